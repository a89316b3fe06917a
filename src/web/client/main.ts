/**
 * The demo softphone page: wires the DOM to {@link TandemPhone} and exposes
 * `window.tandemPhone` (docs/web.md, "Test API").
 */
import { TandemPhone, type DtmfTransport, type PhoneEvent, type PhoneSettings } from './phone.js';
import type { CallStats } from './call-stats.js';

/** The body of GET /config.json (src/web/client-config.ts). */
interface ServerConfig {
  wsUrls: string[];
  domain: string;
  iceServers: RTCIceServer[];
  tokenAuth: boolean;
  version: string;
  warnings: string[];
}

const STORAGE_KEY = 'tandem.softphone.v1';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

const remoteAudio = $<HTMLAudioElement>('remote-audio');
const phone = new TandemPhone(remoteAudio);
let serverConfig: ServerConfig | null = null;

const ui = {
  regDot: $('reg-dot'), regText: $('reg-text'), warnings: $('warnings'), version: $('version'),
  login: $<HTMLFormElement>('login'), wsUrl: $<HTMLInputElement>('ws-url'), wsUrls: $<HTMLDataListElement>('ws-urls'),
  user: $<HTMLInputElement>('user'), domain: $<HTMLInputElement>('domain'), password: $<HTMLInputElement>('password'),
  token: $<HTMLInputElement>('token'), authDigest: $('auth-digest'), authToken: $('auth-token'),
  displayName: $<HTMLInputElement>('display-name'), ec: $<HTMLInputElement>('ec'), ns: $<HTMLInputElement>('ns'), agc: $<HTMLInputElement>('agc'),
  dtmfTransport: $<HTMLSelectElement>('dtmf-transport'), ring: $<HTMLInputElement>('ring'), register: $<HTMLButtonElement>('register'), unregister: $<HTMLButtonElement>('unregister'),
  incoming: $('incoming'), incomingFrom: $('incoming-from'), answer: $<HTMLButtonElement>('answer'), decline: $<HTMLButtonElement>('decline'),
  dial: $<HTMLFormElement>('dial'), target: $<HTMLInputElement>('target'), backspace: $<HTMLButtonElement>('backspace'),
  call: $<HTMLButtonElement>('call'), hangup: $<HTMLButtonElement>('hangup'), hold: $<HTMLButtonElement>('hold'), mute: $<HTMLButtonElement>('mute'),
  callState: $('call-state'), callTimer: $('call-timer'), micLevel: $<HTMLMeterElement>('mic-level'), spkLevel: $<HTMLMeterElement>('spk-level'),
  stCodec: $('st-codec'), stSent: $('st-sent'), stRecv: $('st-recv'), stLoss: $('st-loss'), stJitter: $('st-jitter'), stRtt: $('st-rtt'),
  stLevel: $('st-level'), stPath: $('st-path'), log: $<HTMLOListElement>('log'),
};

const REG_TEXT: Record<string, string> = {
  unregistered: 'Not registered', connecting: 'Connecting…', registering: 'Registering…', registered: 'Registered', failed: 'Registration failed',
};
const CALL_TEXT: Record<string, string> = {
  idle: 'Idle', calling: 'Calling…', ringing: 'Ringing…', incoming: 'Incoming call', active: 'In call', ended: 'Call ended',
};

function authMode(): 'digest' | 'token' {
  const checked = ui.login.querySelector<HTMLInputElement>('input[name=auth]:checked');
  return checked?.value === 'token' ? 'token' : 'digest';
}

function settingsFromForm(): Partial<PhoneSettings> {
  const token = authMode() === 'token';
  return {
    wsUrl: ui.wsUrl.value.trim(), user: ui.user.value.trim(), domain: ui.domain.value.trim(),
    password: token ? '' : ui.password.value, token: token ? ui.token.value.trim() : '',
    displayName: ui.displayName.value.trim(), iceServers: serverConfig?.iceServers ?? [],
    audio: { echoCancellation: ui.ec.checked, noiseSuppression: ui.ns.checked, autoGainControl: ui.agc.checked },
    dtmfTransport: ui.dtmfTransport.value === 'info' ? 'info' : 'rtp',
    ringTones: ui.ring.checked,
  };
}

/** Remembers the non-secret fields for the next visit. */
function saveForm(): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({
      wsUrl: ui.wsUrl.value, user: ui.user.value, domain: ui.domain.value, displayName: ui.displayName.value,
      auth: authMode(), ec: ui.ec.checked, ns: ui.ns.checked, agc: ui.agc.checked, dtmf: ui.dtmfTransport.value, ring: ui.ring.checked,
    }));
  } catch {
    // storage disabled
  }
}

function restoreForm(): void {
  let saved: Record<string, unknown> = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, unknown>;
  } catch {
    saved = {};
  }
  const q = new URLSearchParams(location.search);
  const pick = (key: string, qkey: string): string | null => q.get(qkey) ?? (typeof saved[key] === 'string' ? (saved[key] as string) : null);
  const ws = pick('wsUrl', 'ws');
  if (ws) ui.wsUrl.value = ws;
  const user = pick('user', 'user');
  if (user) ui.user.value = user;
  const domain = pick('domain', 'domain');
  if (domain) ui.domain.value = domain;
  const dn = pick('displayName', 'name');
  if (dn) ui.displayName.value = dn;
  const bool = (key: string, qkey: string, el: HTMLInputElement): void => {
    const v = q.get(qkey);
    if (v !== null) el.checked = v !== '0' && v !== 'false';
    else if (typeof saved[key] === 'boolean') el.checked = saved[key] as boolean;
  };
  bool('ec', 'ec', ui.ec);
  bool('ns', 'ns', ui.ns);
  bool('agc', 'agc', ui.agc);
  bool('ring', 'ring', ui.ring);
  const dtmf = pick('dtmf', 'dtmf');
  if (dtmf === 'info' || dtmf === 'rtp') ui.dtmfTransport.value = dtmf;
  const auth = pick('auth', 'auth');
  if (auth === 'token') {
    const r = ui.login.querySelector<HTMLInputElement>('input[name=auth][value=token]');
    if (r) r.checked = true;
  }
  syncAuthMode();
}

function syncAuthMode(): void {
  const token = authMode() === 'token';
  ui.authDigest.hidden = token;
  ui.authToken.hidden = !token;
}

async function loadServerConfig(): Promise<void> {
  const fallbackWs = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:8088`;
  try {
    const res = await fetch('/config.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    serverConfig = (await res.json()) as ServerConfig;
  } catch (err) {
    phone.log('config-unavailable', { error: String(err) });
  }
  const urls = serverConfig && serverConfig.wsUrls.length > 0 ? serverConfig.wsUrls : [fallbackWs];
  ui.wsUrls.replaceChildren(...urls.map((u) => Object.assign(document.createElement('option'), { value: u })));
  if (ui.wsUrl.value === '') ui.wsUrl.value = urls[0];
  if (ui.domain.value === '') ui.domain.value = serverConfig?.domain ?? location.hostname;
  if (serverConfig && !serverConfig.tokenAuth) {
    const r = ui.login.querySelector<HTMLInputElement>('input[name=auth][value=token]');
    if (r?.parentElement) r.parentElement.title = 'The server has no token secret configured';
  }
  const warnings = [...(serverConfig?.warnings ?? [])];
  if (!window.isSecureContext) warnings.push('This page is not a secure context: browsers only allow the microphone on HTTPS or localhost. Use the HTTPS address.');
  ui.warnings.textContent = warnings.join(' ');
  ui.warnings.hidden = warnings.length === 0;
  ui.version.textContent = `Tandem ${serverConfig?.version ?? '?'} · JsSIP ${phone.jssipVersion}`;
  phone.log('config', { wsUrls: urls, domain: ui.domain.value, iceServers: serverConfig?.iceServers.length ?? 0 });
}

function fmtBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(2)} MB`;
}

function renderStats(s: CallStats | null): void {
  if (!s) {
    for (const el of [ui.stCodec, ui.stSent, ui.stRecv, ui.stLoss, ui.stJitter, ui.stRtt, ui.stLevel, ui.stPath]) el.textContent = '–';
    return;
  }
  const kbps = (v: number | null): string => (v === null ? '' : ` · ${v} kbit/s`);
  ui.stCodec.textContent = s.codec.send === s.codec.receive ? (s.codec.send ?? '–') : `↑ ${s.codec.send ?? '–'} ↓ ${s.codec.receive ?? '–'}`;
  ui.stSent.textContent = `${s.sent.packets} packets · ${fmtBytes(s.sent.bytes)}${kbps(s.sent.bitrateKbps)}`;
  ui.stRecv.textContent = `${s.received.packets} packets · ${fmtBytes(s.received.bytes)}${kbps(s.received.bitrateKbps)}`;
  ui.stLoss.textContent = `${s.received.packetsLost} lost (${s.received.lossPercent} %)`;
  ui.stJitter.textContent = s.received.jitterMs === null ? '–' : `${s.received.jitterMs} ms`;
  ui.stRtt.textContent = s.rttMs === null ? '–' : `${s.rttMs} ms`;
  const lvl = (v: number | null): string => (v === null ? '–' : v.toFixed(3));
  ui.stLevel.textContent = `mic ${lvl(s.audioLevel.local)} · remote ${lvl(s.audioLevel.remote)}`;
  ui.stPath.textContent = s.transport.localCandidate ? `${s.transport.localCandidate} ⇄ ${s.transport.remoteCandidate ?? '?'}${s.transport.srtpCipher ? ` · ${s.transport.srtpCipher}` : ''}` : '–';
}

function render(): void {
  const st = phone.state;
  ui.regDot.dataset.state = st.registration;
  ui.regText.textContent = `${REG_TEXT[st.registration] ?? st.registration}${st.registration === 'registered' && st.aor ? ` as ${st.aor}` : ''}${st.registration === 'failed' && st.lastError ? ` — ${st.lastError}` : ''}`;
  const busy = st.registration === 'connecting' || st.registration === 'registering';
  ui.register.disabled = busy;
  ui.register.textContent = st.registration === 'registered' ? 'Re-register' : 'Register';
  ui.unregister.disabled = st.registration === 'unregistered' && !st.connected;
  const inCall = st.call === 'calling' || st.call === 'ringing' || st.call === 'incoming' || st.call === 'active';
  ui.call.disabled = st.registration !== 'registered' || inCall;
  ui.hangup.disabled = !inCall;
  ui.hold.disabled = st.call !== 'active';
  ui.mute.disabled = st.call !== 'active';
  ui.hold.textContent = st.held ? 'Resume' : 'Hold';
  ui.hold.setAttribute('aria-pressed', String(st.held));
  ui.mute.textContent = st.muted ? 'Unmute' : 'Mute';
  ui.mute.setAttribute('aria-pressed', String(st.muted));
  ui.incoming.hidden = st.call !== 'incoming';
  ui.incomingFrom.textContent = st.remote ?? '';
  let line = CALL_TEXT[st.call] ?? st.call;
  if (st.remote && st.call !== 'idle') line += ` — ${st.remote}`;
  if (st.held) line += ' (on hold)';
  else if (st.remoteHeld) line += ' (held by the other side)';
  if (st.call === 'ended' && st.lastError) line += ` — ${st.lastError}`;
  ui.callState.textContent = line;
  if (st.call !== 'active') {
    ui.callTimer.textContent = '';
    renderStats(null);
  }
}

function appendLog(ev: PhoneEvent): void {
  if (ev.type === 'stats') return;
  const li = document.createElement('li');
  const time = document.createElement('time');
  time.dateTime = new Date(ev.t).toISOString();
  time.textContent = new Date(ev.t).toLocaleTimeString();
  li.append(time, document.createTextNode(ev.type + (ev.detail ? ` ${JSON.stringify(ev.detail)}` : '')));
  if (/failed|error/.test(ev.type)) li.className = 'error';
  ui.log.prepend(li);
  while (ui.log.childElementCount > 200) ui.log.lastElementChild?.remove();
}

function reportError(where: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  phone.log('ui-error', { where, message });
}

phone.subscribe((ev) => {
  if (ev.type === 'stats') renderStats((ev.detail?.stats as CallStats | undefined) ?? null);
  appendLog(ev);
  render();
});

// Meters and the call timer: animation frames while the page is visible, never in the log.
function tick(): void {
  const a = phone.getAudio();
  ui.micLevel.value = Math.min(1, (a.local?.rms ?? 0) * 2);
  ui.spkLevel.value = Math.min(1, (a.remote?.rms ?? 0) * 2);
  const st = phone.state;
  if (st.call === 'active' && st.answeredAt !== null) {
    const s = Math.floor((Date.now() - st.answeredAt) / 1000);
    ui.callTimer.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }
  requestAnimationFrame(tick);
}

ui.login.addEventListener('change', (e) => {
  if ((e.target as HTMLInputElement).name === 'auth') syncAuthMode();
});
ui.login.addEventListener('submit', (e) => {
  e.preventDefault();
  phone.resumeAudio();
  saveForm();
  phone.register(settingsFromForm()).catch((err: unknown) => reportError('register', err));
});
ui.unregister.addEventListener('click', () => {
  phone.unregister().catch((err: unknown) => reportError('unregister', err));
});
ui.dial.addEventListener('submit', (e) => {
  e.preventDefault();
  phone.resumeAudio();
  phone.configure(settingsFromForm());
  phone.call(ui.target.value).catch((err: unknown) => reportError('call', err));
});
ui.hangup.addEventListener('click', () => phone.hangup());
ui.answer.addEventListener('click', () => {
  phone.resumeAudio();
  phone.configure(settingsFromForm());
  phone.answer().catch((err: unknown) => reportError('answer', err));
});
ui.decline.addEventListener('click', () => phone.decline());
ui.hold.addEventListener('click', () => {
  (phone.state.held ? phone.unhold() : phone.hold()).catch((err: unknown) => reportError('hold', err));
});
ui.mute.addEventListener('click', () => phone.setMuted(!phone.state.muted));
ui.backspace.addEventListener('click', () => { ui.target.value = ui.target.value.slice(0, -1); ui.target.focus(); });
for (const key of document.querySelectorAll<HTMLButtonElement>('.keypad button')) {
  key.addEventListener('click', () => {
    const digit = key.dataset.key ?? '';
    if (phone.state.call === 'active') {
      try {
        phone.sendDtmf(digit, { transport: ui.dtmfTransport.value as DtmfTransport });
      } catch (err) {
        reportError('dtmf', err);
      }
    } else {
      ui.target.value += digit;
    }
  });
}
document.addEventListener('keydown', (e) => {
  // Digits typed anywhere but a text field become DTMF during a call.
  if (phone.state.call !== 'active' || e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
  if (/^[0-9*#]$/.test(e.key)) {
    try {
      phone.sendDtmf(e.key, { transport: ui.dtmfTransport.value as DtmfTransport });
    } catch (err) {
      reportError('dtmf', err);
    }
  }
});
window.addEventListener('beforeunload', () => { void phone.unregister(); });

/** Shows settings given through the test API in the form, so UI actions that re-read it agree. */
function applyToForm(o: Partial<PhoneSettings>): void {
  if (o.wsUrl !== undefined) ui.wsUrl.value = o.wsUrl;
  if (o.user !== undefined) ui.user.value = o.user;
  if (o.domain !== undefined) ui.domain.value = o.domain;
  if (o.displayName !== undefined) ui.displayName.value = o.displayName;
  if (o.password !== undefined) ui.password.value = o.password;
  if (o.token !== undefined) ui.token.value = o.token;
  if (o.token !== undefined || o.password !== undefined) {
    const mode = o.token ? 'token' : 'digest';
    const r = ui.login.querySelector<HTMLInputElement>(`input[name=auth][value=${mode}]`);
    if (r) r.checked = true;
    syncAuthMode();
  }
  if (o.audio?.echoCancellation !== undefined) ui.ec.checked = o.audio.echoCancellation;
  if (o.audio?.noiseSuppression !== undefined) ui.ns.checked = o.audio.noiseSuppression;
  if (o.audio?.autoGainControl !== undefined) ui.agc.checked = o.audio.autoGainControl;
  if (o.dtmfTransport !== undefined) ui.dtmfTransport.value = o.dtmfTransport;
  if (o.ringTones !== undefined) ui.ring.checked = o.ringTones;
}

/** The test API: everything a Playwright test needs to drive the page deterministically. */
const api = {
  /** Registers; `opts` override the form fields (wsUrl, user, password, token, domain, audio, ...) and are shown in them. */
  register: (opts: Partial<PhoneSettings> = {}) => {
    applyToForm(opts);
    return phone.register({ ...settingsFromForm(), ...opts });
  },
  unregister: () => phone.unregister(),
  call: (target: string) => phone.call(target),
  answer: () => phone.answer(),
  decline: () => phone.decline(),
  hangup: () => phone.hangup(),
  hold: () => phone.hold(),
  unhold: () => phone.unhold(),
  /** ICE restart: re-INVITE with an `iceRestart` offer (test hook; no button). */
  restartIce: () => phone.restartIce(),
  mute: () => phone.setMuted(true),
  unmute: () => phone.setMuted(false),
  sendDtmf: (digits: string, opts?: { transport?: DtmfTransport; duration?: number; interToneGap?: number }) => phone.sendDtmf(digits, opts),
  getStats: () => phone.getStats(),
  getAudio: () => phone.getAudio(),
  waitForEvent: (type: string, timeoutMs?: number) => phone.waitForEvent(type, timeoutMs),
  configure: (opts: Partial<PhoneSettings>) => {
    applyToForm(opts);
    phone.configure(opts);
  },
  get state() { return { ...phone.state }; },
  get events() { return phone.events.slice(); },
  get dtmfSentRtp() { return phone.dtmfSentRtp.slice(); },
  get dtmfReceived() { return phone.dtmfReceived.slice(); },
  get config() { return serverConfig; },
  /** Resolves once /config.json was applied to the form. */
  ready: null as Promise<void> | null,
};
(window as unknown as { tandemPhone: typeof api }).tandemPhone = api;

restoreForm();
render();
api.ready = loadServerConfig();
requestAnimationFrame(tick);

import { UA, WebSocketInterface, version as jssipVersion } from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { RTCSessionEvent } from 'jssip/lib/UA';
import { AudioMeter, type AudioReading } from './audio-meter.js';
import { collectCallStats, type CallStats } from './call-stats.js';
import { Ringer } from './ringer.js';

/** Registration state shown in the header. */
export type RegistrationState = 'unregistered' | 'connecting' | 'registering' | 'registered' | 'failed';
/** Call state: one call at a time. */
export type CallState = 'idle' | 'calling' | 'ringing' | 'incoming' | 'active' | 'ended';
/** How DTMF digits travel: RFC 4733 telephone-events in RTP, or SIP INFO (application/dtmf-relay). */
export type DtmfTransport = 'rtp' | 'info';

/** Everything needed to log in. */
export interface PhoneSettings {
  /** SIP over WebSocket URL (RFC 7118), ws:// or wss://. */
  wsUrl: string;
  /** SIP user (AOR user part and digest user name). */
  user: string;
  /** Digest password (RFC 3261 §22); empty with token auth. */
  password: string;
  /** Tandem browser token, sent as `?token=` on the WebSocket URL; empty = none. */
  token: string;
  /** SIP domain (AOR host part, normally the realm). */
  domain: string;
  displayName: string;
  iceServers: RTCIceServer[];
  /** getUserMedia audio processing (tests turn these off). */
  audio: { echoCancellation: boolean; noiseSuppression: boolean; autoGainControl: boolean };
  dtmfTransport: DtmfTransport;
  /** REGISTER expiry, seconds. */
  registerExpires: number;
  /** Play ring and ringback tones on the speakers. */
  ringTones: boolean;
}

/** The phone's observable state (`window.tandemPhone.state`). */
export interface PhoneState {
  registration: RegistrationState;
  /** WebSocket connected. */
  connected: boolean;
  call: CallState;
  /** 'incoming' or 'outgoing' while a call exists. */
  direction: 'incoming' | 'outgoing' | null;
  /** The other party (URI) while a call exists. */
  remote: string | null;
  /** We put the call on hold. */
  held: boolean;
  /** The other side put us on hold. */
  remoteHeld: boolean;
  muted: boolean;
  /** When the call was answered (ms since the epoch). */
  answeredAt: number | null;
  /** Last failure (registration or call), human readable. */
  lastError: string | null;
  /** The AOR while registered or registering. */
  aor: string | null;
}

/** One entry of the event log. */
export interface PhoneEvent {
  /** ms since the epoch. */
  t: number;
  type: string;
  detail?: Record<string, unknown>;
}

const DEFAULT_SETTINGS: PhoneSettings = {
  wsUrl: '', user: '', password: '', token: '', domain: '', displayName: '', iceServers: [],
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  dtmfTransport: 'rtp', registerExpires: 600, ringTones: true,
};

const MAX_EVENTS = 500;
/** Longest wait for ICE candidates before the SDP is sent anyway (ms after the first candidate). */
const ICE_GATHERING_CAP_MS = 2000;

/**
 * The softphone: a JsSIP UA (SIP over WebSocket, RFC 7118) with one call at a time,
 * digest or token authentication, RFC 4733 / INFO DTMF, hold (RFC 3264 §8.4 sendonly
 * re-INVITE), mute, call statistics and audio meters. The page UI and the
 * `window.tandemPhone` test API both drive this class.
 */
export class TandemPhone {
  readonly state: PhoneState = {
    registration: 'unregistered', connected: false, call: 'idle', direction: null, remote: null,
    held: false, remoteHeld: false, muted: false, answeredAt: null, lastError: null, aor: null,
  };
  readonly events: PhoneEvent[] = [];
  settings: PhoneSettings = structuredClone(DEFAULT_SETTINGS);
  /** DTMF digits sent in RTP as confirmed by the browser's RTCDTMFSender (tonechange). */
  readonly dtmfSentRtp: string[] = [];
  /** DTMF digits received by SIP INFO. */
  readonly dtmfReceived: string[] = [];

  private ua: UA | null = null;
  private session: RTCSession | null = null;
  private localStream: MediaStream | null = null;
  private remoteStream: MediaStream | null = null;
  private audioCtx: AudioContext | null = null;
  private localMeter: AudioMeter | null = null;
  private remoteMeter: AudioMeter | null = null;
  private lastStats: CallStats | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private readonly listeners = new Set<(ev: PhoneEvent) => void>();
  private readonly ringer = new Ringer(() => this.audioContext());

  constructor(private readonly remoteAudio: HTMLAudioElement) {}

  /** JsSIP version bundled into the page. */
  get jssipVersion(): string {
    return jssipVersion;
  }

  /** Calls `fn` for every logged event and state change. Returns an unsubscribe function. */
  subscribe(fn: (ev: PhoneEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves with the first event of `type` logged after this call (rejects after `timeoutMs`). */
  waitForEvent(type: string, timeoutMs = 10000): Promise<PhoneEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timeout waiting for ${type}`));
      }, timeoutMs);
      const off = this.subscribe((ev) => {
        if (ev.type !== type) return;
        clearTimeout(timer);
        off();
        resolve(ev);
      });
    });
  }

  /** Merges `s` into the settings (used by register()). */
  configure(s: Partial<PhoneSettings>): void {
    this.settings = { ...this.settings, ...s, audio: { ...this.settings.audio, ...(s.audio ?? {}) } };
  }

  /**
   * Connects and REGISTERs (RFC 3261 §10). Resolves when registered; rejects with the
   * failure cause (e.g. "Authentication Error", "Connection Error").
   */
  async register(s: Partial<PhoneSettings> = {}): Promise<void> {
    this.configure(s);
    const cfg = this.settings;
    if (!/^wss?:\/\//.test(cfg.wsUrl)) throw new Error('the server URL must start with ws:// or wss://');
    if (cfg.user === '') throw new Error('enter a SIP user');
    if (cfg.domain === '') throw new Error('enter a SIP domain');
    this.stopUa();
    let url = cfg.wsUrl;
    if (cfg.token !== '') url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(cfg.token)}`;
    const socket = new WebSocketInterface(url);
    const aor = `sip:${cfg.user}@${cfg.domain}`;
    const ua = new UA({
      sockets: [socket], uri: aor, register: false, register_expires: cfg.registerExpires,
      session_timers: false, user_agent: `Tandem demo page (JsSIP ${jssipVersion})`,
      connection_recovery_min_interval: 2, connection_recovery_max_interval: 30,
      ...(cfg.password !== '' ? { password: cfg.password, authorization_user: cfg.user } : {}),
      ...(cfg.displayName !== '' ? { display_name: cfg.displayName } : {}),
    });
    this.ua = ua;
    this.state.aor = aor;
    this.setState({ registration: 'connecting', lastError: null }, 'connecting', { url: cfg.wsUrl, aor, auth: cfg.token !== '' ? 'token' : 'digest' });
    const done = new Promise<void>((resolve, reject) => {
      ua.on('connected', () => {
        if (this.ua !== ua) return;
        this.setState({ connected: true, registration: 'registering' }, 'ws-connected');
        ua.register();
      });
      ua.on('disconnected', (e: { error?: boolean; code?: number; reason?: string }) => {
        if (this.ua !== ua) return;
        const wasConnecting = this.state.registration === 'connecting';
        this.setState({ connected: false, ...(wasConnecting ? { registration: 'failed' as const, lastError: 'cannot connect to the WebSocket server' } : {}) }, 'ws-disconnected', { code: e.code, reason: e.reason });
        if (wasConnecting) reject(new Error('Connection Error'));
      });
      ua.on('registered', () => {
        if (this.ua !== ua) return;
        this.setState({ registration: 'registered', lastError: null }, 'registered', { aor });
        resolve();
      });
      ua.on('unregistered', () => {
        if (this.ua !== ua) return;
        this.setState({ registration: 'unregistered' }, 'unregistered');
      });
      ua.on('registrationFailed', (e: { cause?: string; response?: { status_code?: number; reason_phrase?: string } }) => {
        if (this.ua !== ua) return;
        const status = e.response?.status_code;
        const why = `${e.cause ?? 'failed'}${status ? ` (${status} ${e.response?.reason_phrase ?? ''})` : ''}`;
        this.setState({ registration: 'failed', lastError: `registration failed: ${why}` }, 'registration-failed', { cause: e.cause, status });
        reject(new Error(why));
      });
      ua.on('newRTCSession', (e: RTCSessionEvent) => this.onNewSession(e));
    });
    ua.start();
    return done;
  }

  /** Sends REGISTER with Expires: 0 and disconnects. */
  async unregister(): Promise<void> {
    const ua = this.ua;
    if (!ua) return;
    if (this.session) this.hangup();
    if (ua.isRegistered()) {
      const gone = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 3000);
        ua.on('unregistered', () => { clearTimeout(t); resolve(); });
      });
      ua.unregister();
      await gone;
    }
    this.stopUa();
    this.setState({ registration: 'unregistered', connected: false, aor: null }, 'logged-out');
  }

  /**
   * Calls `target` (a user, a number, or a full sip: URI). Resolves when answered,
   * rejects with the failure cause (e.g. "Busy", "Rejected", "Not Found").
   */
  async call(target: string): Promise<void> {
    const ua = this.ua;
    if (!ua || this.state.registration !== 'registered') throw new Error('register first');
    if (this.session) throw new Error('a call is already in progress');
    const t = target.trim();
    if (t === '') throw new Error('enter a number or user');
    const uri = /^sips?:/i.test(t) ? t : `sip:${t.includes('@') ? t : `${t}@${this.settings.domain}`}`;
    const stream = await this.getMic();
    const result = this.callOutcome();
    ua.call(uri, {
      mediaStream: stream,
      pcConfig: { iceServers: this.settings.iceServers, rtcpMuxPolicy: 'require', bundlePolicy: 'max-bundle' },
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
    });
    return result;
  }

  /** Answers the ringing incoming call. Resolves when the call is confirmed. */
  async answer(): Promise<void> {
    const s = this.session;
    if (!s || this.state.call !== 'incoming') throw new Error('no incoming call');
    const stream = await this.getMic();
    const result = this.callOutcome();
    s.answer({ mediaStream: stream, pcConfig: { iceServers: this.settings.iceServers, rtcpMuxPolicy: 'require', bundlePolicy: 'max-bundle' } });
    return result;
  }

  /** Rejects the incoming call with 486 Busy Here (or 603 with `decline: true`). */
  decline(opts: { decline?: boolean } = {}): void {
    const s = this.session;
    if (!s || this.state.call !== 'incoming') return;
    s.terminate(opts.decline ? { status_code: 603, reason_phrase: 'Decline' } : { status_code: 486, reason_phrase: 'Busy Here' });
  }

  /** Ends the call in any state (CANCEL, BYE or a rejection). */
  hangup(): void {
    const s = this.session;
    if (!s || s.isEnded()) return;
    s.terminate();
  }

  /** Puts the call on hold (re-INVITE with a=sendonly). Resolves when the re-INVITE succeeded. */
  hold(): Promise<void> {
    return this.reinvite('hold');
  }

  /** Resumes a held call (re-INVITE with a=sendrecv). */
  unhold(): Promise<void> {
    return this.reinvite('unhold');
  }

  private reinvite(which: 'hold' | 'unhold'): Promise<void> {
    const s = this.session;
    if (!s || this.state.call !== 'active') return Promise.reject(new Error('no active call'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${which} timed out`)), 10000);
      const accepted = which === 'hold'
        ? s.hold({}, () => { clearTimeout(timer); resolve(); })
        : s.unhold({}, () => { clearTimeout(timer); resolve(); });
      if (!accepted) {
        clearTimeout(timer);
        reject(new Error(`cannot ${which} now`));
      }
    });
  }

  /**
   * ICE restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1): a re-INVITE whose offer is made with
   * `iceRestart: true` (new ice-ufrag/ice-pwd, freshly gathered candidates); the call, its DTLS
   * association and SRTP keys stay. Resolves once the answer is applied; the browser's ICE then
   * checks the new pairs and goes back to connected. A refused re-INVITE ends the call (JsSIP).
   */
  restartIce(): Promise<void> {
    const s = this.session;
    if (!s || this.state.call !== 'active') return Promise.reject(new Error('no active call'));
    this.log('ice-restart');
    return new Promise<void>((resolve, reject) => {
      const off = this.subscribe((ev) => {
        if (ev.type !== 'call-ended' && ev.type !== 'call-failed') return;
        finish();
        reject(new Error('the call ended during the ICE restart'));
      });
      const timer = setTimeout(() => { finish(); reject(new Error('ICE restart timed out')); }, 15000);
      const finish = (): void => { clearTimeout(timer); off(); };
      const started = s.renegotiate({ rtcOfferConstraints: { iceRestart: true, offerToReceiveAudio: true, offerToReceiveVideo: false } }, () => {
        finish();
        this.log('ice-restarted');
        resolve();
      });
      if (!started) {
        finish();
        reject(new Error('cannot restart ICE now (another re-INVITE is in progress)'));
      }
    });
  }

  /** Mutes (true) or unmutes (false) the microphone. */
  setMuted(muted: boolean): void {
    const s = this.session;
    if (!s) return;
    if (muted) s.mute({ audio: true });
    else s.unmute({ audio: true });
  }

  /**
   * Sends DTMF digits (0-9 * # A-D, ',' = 2 s pause). `transport` defaults to the
   * setting: 'rtp' = RFC 4733 telephone-events through RTCDTMFSender, 'info' = SIP INFO.
   */
  sendDtmf(digits: string, opts: { transport?: DtmfTransport; duration?: number; interToneGap?: number } = {}): void {
    const s = this.session;
    if (!s || this.state.call !== 'active') throw new Error('no active call');
    if (!/^[0-9A-Da-d#*,]+$/.test(digits)) throw new Error(`invalid DTMF digits "${digits}"`);
    const transport = opts.transport ?? this.settings.dtmfTransport;
    s.sendDTMF(digits, {
      transportType: transport === 'rtp' ? 'RFC2833' : 'INFO',
      duration: opts.duration ?? 100, interToneGap: opts.interToneGap ?? 70,
    } as Parameters<RTCSession['sendDTMF']>[1]);
    this.log('dtmf-sent', { digits, transport });
  }

  /** The current call statistics, or null without a call. */
  async getStats(): Promise<CallStats | null> {
    const pc = this.session?.connection;
    if (!pc) return null;
    this.lastStats = await collectCallStats(pc, this.lastStats);
    return this.lastStats;
  }

  /** Microphone and speaker readings from the WebAudio analysers. */
  getAudio(): { local: AudioReading | null; remote: AudioReading | null } {
    return { local: this.localMeter?.read() ?? null, remote: this.remoteMeter?.read() ?? null };
  }

  /** Resumes the AudioContext (call from a user gesture; autoplay policies). */
  resumeAudio(): void {
    void this.audioCtx?.resume();
    void this.remoteAudio.play().catch(() => undefined);
  }

  private audioContext(): AudioContext {
    if (!this.audioCtx) this.audioCtx = new AudioContext();
    if (this.audioCtx.state === 'suspended') void this.audioCtx.resume();
    return this.audioCtx;
  }

  private async getMic(): Promise<MediaStream> {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('no microphone access: open the page over HTTPS or on localhost');
    const a = this.settings.audio;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: a.echoCancellation, noiseSuppression: a.noiseSuppression, autoGainControl: a.autoGainControl },
      video: false,
    });
    this.localStream = stream;
    this.localMeter?.close();
    this.localMeter = new AudioMeter(this.audioContext(), stream);
    this.log('microphone', { label: stream.getAudioTracks()[0]?.label ?? '', ...a });
    return stream;
  }

  /** A promise settled by the current session's confirmed/failed events. */
  private callOutcome(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const off = this.subscribe((ev) => {
        if (ev.type === 'call-confirmed') { off(); resolve(); }
        if (ev.type === 'call-failed' || ev.type === 'call-ended') {
          off();
          reject(new Error(String(ev.detail?.cause ?? 'call ended')));
        }
      });
    });
  }

  private onNewSession(e: RTCSessionEvent): void {
    const s = e.session;
    if (this.session && this.session !== s) {
      if (e.originator === 'remote') {
        s.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
        this.log('call-rejected-busy', { from: s.remote_identity.uri.toString() });
      }
      return;
    }
    this.session = s;
    const incoming = e.originator === 'remote';
    this.setState({
      call: incoming ? 'incoming' : 'calling', direction: incoming ? 'incoming' : 'outgoing',
      remote: s.remote_identity.uri.toString(), held: false, remoteHeld: false, muted: false, answeredAt: null,
    }, incoming ? 'call-incoming' : 'call-outgoing', { remote: s.remote_identity.uri.toString(), displayName: s.remote_identity.display_name ?? '' });

    const watchPc = (pc: RTCPeerConnection): void => {
      pc.addEventListener('track', (ev: RTCTrackEvent) => {
        if (ev.track.kind !== 'audio') return;
        const stream = ev.streams[0] ?? new MediaStream([ev.track]);
        this.attachRemote(stream);
      });
      pc.addEventListener('connectionstatechange', () => this.log('pc-state', { state: pc.connectionState }));
    };
    if (incoming) s.on('peerconnection', (ev) => watchPc(ev.peerconnection));
    else if (s.connection) watchPc(s.connection);
    else s.on('peerconnection', (ev) => watchPc(ev.peerconnection));

    // JsSIP sends the offer/answer when ICE gathering completes; an unreachable STUN/TURN
    // server would hold it for up to ~40 s. Cap the wait (trickle ICE is not used by SIP).
    let iceCap: ReturnType<typeof setTimeout> | null = null;
    s.on('icecandidate', (ev: { ready: () => void }) => {
      iceCap ??= setTimeout(() => ev.ready(), ICE_GATHERING_CAP_MS);
    });
    s.on('sdp', (ev: { originator: string }) => {
      if (ev.originator !== 'local') return;
      if (iceCap) clearTimeout(iceCap);
      iceCap = null;
    });
    if (incoming && this.settings.ringTones) this.ringer.start('incoming');
    s.on('progress', () => {
      if (incoming) return;
      this.setState({ call: 'ringing' }, 'call-ringing');
      if (this.settings.ringTones && !this.remoteStream) this.ringer.start('ringback');
    });
    s.on('accepted', () => {
      this.ringer.stop();
      this.setState({ call: 'active', answeredAt: Date.now() }, 'call-accepted');
    });
    s.on('confirmed', () => {
      this.setState({ call: 'active', answeredAt: this.state.answeredAt ?? Date.now() }, 'call-confirmed');
      this.watchDtmfSender(s);
      this.startStats();
    });
    s.on('ended', (ev) => this.endSession(s, 'call-ended', ev.cause, ev.originator));
    s.on('failed', (ev) => this.endSession(s, 'call-failed', ev.cause, ev.originator));
    s.on('hold', (ev) => this.setState(ev.originator === 'local' ? { held: true } : { remoteHeld: true }, 'hold', { originator: ev.originator }));
    s.on('unhold', (ev) => this.setState(ev.originator === 'local' ? { held: false } : { remoteHeld: false }, 'unhold', { originator: ev.originator }));
    s.on('muted', () => this.setState({ muted: true }, 'muted'));
    s.on('unmuted', () => this.setState({ muted: false }, 'unmuted'));
    s.on('newDTMF', (ev: { originator: string; dtmf: { tone: string | number } }) => {
      if (ev.originator !== 'remote') return;
      const tone = String(ev.dtmf.tone);
      this.dtmfReceived.push(tone);
      this.log('dtmf-received', { tone, transport: 'info' });
    });
    s.on('getusermediafailed', (err: unknown) => this.log('getusermedia-failed', { error: String(err) }));
  }

  private watchDtmfSender(s: RTCSession): void {
    const sender = s.connection?.getSenders().find((x) => x.track?.kind === 'audio');
    const dtmf = sender?.dtmf;
    if (!dtmf) return;
    dtmf.addEventListener('tonechange', (ev: RTCDTMFToneChangeEvent) => {
      if (ev.tone === '' || ev.tone === ',') return;
      this.dtmfSentRtp.push(ev.tone);
      this.log('dtmf-rtp-tone', { tone: ev.tone });
    });
  }

  private attachRemote(stream: MediaStream): void {
    if (this.remoteStream === stream) return;
    this.remoteStream = stream;
    this.ringer.stop(); // early media (183) replaces the local ringback
    this.remoteAudio.srcObject = stream;
    void this.remoteAudio.play().catch((err: unknown) => this.log('autoplay-blocked', { error: String(err) }));
    this.remoteMeter?.close();
    this.remoteMeter = new AudioMeter(this.audioContext(), stream);
    this.log('remote-audio', { tracks: stream.getAudioTracks().length });
  }

  private endSession(s: RTCSession, type: 'call-ended' | 'call-failed', cause: string, originator: string): void {
    if (this.session !== s) return;
    this.session = null;
    this.ringer.stop();
    this.stopStats();
    this.localMeter?.close();
    this.remoteMeter?.close();
    this.localMeter = null;
    this.remoteMeter = null;
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
    this.localStream = null;
    this.remoteStream = null;
    this.remoteAudio.srcObject = null;
    this.lastStats = null;
    this.setState({
      call: 'ended', direction: null, held: false, remoteHeld: false, muted: false, answeredAt: null,
      lastError: type === 'call-failed' ? `call failed: ${cause}` : this.state.lastError,
    }, type, { cause, originator });
    setTimeout(() => {
      if (!this.session && this.state.call === 'ended') this.setState({ call: 'idle', remote: null }, 'call-idle');
    }, 1500);
  }

  private startStats(): void {
    this.stopStats();
    this.statsTimer = setInterval(() => {
      void this.getStats().then((st) => { if (st) this.emit({ t: Date.now(), type: 'stats', detail: { stats: st } }); }).catch(() => undefined);
    }, 1000);
  }

  private stopStats(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
  }

  private stopUa(): void {
    const ua = this.ua;
    this.ua = null;
    if (!ua) return;
    try {
      ua.stop();
    } catch {
      // already stopped
    }
  }

  private setState(patch: Partial<PhoneState>, type: string, detail?: Record<string, unknown>): void {
    Object.assign(this.state, patch);
    this.log(type, detail);
  }

  /** Adds an entry to the event log (also used by the page for UI actions). */
  log(type: string, detail?: Record<string, unknown>): void {
    const ev: PhoneEvent = detail === undefined ? { t: Date.now(), type } : { t: Date.now(), type, detail };
    this.events.push(ev);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    this.emit(ev);
  }

  private emit(ev: PhoneEvent): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(ev);
      } catch {
        // a listener's error must not break the phone
      }
    }
  }
}

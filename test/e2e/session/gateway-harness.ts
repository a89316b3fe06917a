/**
 * A whole Gateway in-process for session tests: embedded SIP (udp + ws) and drachtio server,
 * the media engine, the demo page over HTTP, users alice/bob and static desk phones.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { Gateway } from '../../../src/gateway.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/common/logger.js';
import { freePorts } from '../../helpers/ports.js';
import { devCert } from '../../integration/web/web-harness.js';

export const REALM = 'tandem.test';

export interface PhoneEndpoint {
  /** User name (dial string) of the static endpoint. */
  name: string;
  /** Its SIP contact URI. */
  contact: string;
  /** Peer profile: deskphone (avp) or a configured one. */
  profile: string;
}

export interface GatewayHarness {
  gw: Gateway;
  httpUrl: string;
  sipUdpPort: number;
  wsUrl: string;
  /** The demo page over HTTPS (self-signed certificate), with `tls: true`; else null. */
  httpsUrl: string | null;
  /** The secure WebSocket listener, with `tls: true`; else null. */
  wssUrl: string | null;
  stop(): Promise<void>;
}

/** Options for {@link startGateway}; every field is optional. */
export interface GatewayHarnessOptions {
  /** media.rtpTimeoutSeconds. Default 60. */
  rtpTimeoutSeconds?: number;
  /** Also serve the page over HTTPS and listen on wss: (scripts/dev-cert.sh self-signed certificate). Default false. */
  tls?: boolean;
  /** `trunks` config entries. Default none. */
  trunks?: Record<string, unknown>[];
  /** Dial plan number normalization (countryCode, nationalPrefix, internationalPrefix). Default none. */
  numbering?: Record<string, string>;
  /** Dial plan rules put before the phones' and the local users' rules. Default none. */
  rules?: Record<string, unknown>[];
  /** Extra `profiles` entries (one named `browser` replaces the built-in browser profile, e.g. `ice: 'lite'`). Default none. */
  profiles?: Record<string, unknown>[];
}

/** Starts a Gateway on free ports with users alice/bob and the given static phones. */
export async function startGateway(phones: PhoneEndpoint[], opts: GatewayHarnessOptions = {}): Promise<GatewayHarness> {
  const [sipPort, wsPort, wssPort] = await freePorts(3, { spacing: 2 });
  const base = 30000 + Math.floor(Math.random() * 300) * 20;
  const cert = opts.tls === true ? devCert() : null;
  const certFiles = cert ? { tlsCert: path.join(cert.dir, 'cert.pem'), tlsKey: path.join(cert.dir, 'key.pem') } : {};
  const config = loadConfig({
    useDefaultFile: false,
    overrides: {
      log: { level: process.env.SESSION_LOG ?? 'warn', pretty: false },
      http: { host: '127.0.0.1', port: 0 },
      web: { enabled: true, ...(cert ? { httpsPort: 0, ...certFiles } : {}) },
      sip: { listen: [`udp:127.0.0.1:${sipPort}`, `ws:127.0.0.1:${wsPort}`, ...(cert ? [`wss:127.0.0.1:${wssPort}`] : [])], ...certFiles },
      drachtio: { mode: 'embedded', host: '127.0.0.1', port: 0, secret: '' },
      media: { workers: 1, bindAddress: '127.0.0.1', portMin: base, portMax: base + 399, rtpTimeoutSeconds: opts.rtpTimeoutSeconds ?? 60 },
      auth: { realm: REALM },
      users: [
        { name: 'alice', password: 'alice-pw' },
        { name: 'bob', password: 'bob-pw' },
        ...phones.map((p) => ({ name: p.name, password: `${p.name}-pw`, contact: p.contact, profile: p.profile })),
      ],
      profiles: [
        { name: 'srtpphone', media: 'sdes', codecs: { allow: ['PCMU', 'PCMA'] } },
        { name: 'pcma30', media: 'avp', codecs: { allow: ['PCMA'] }, ptime: 30 },
        ...(opts.profiles ?? []),
      ],
      ...(opts.trunks ? { trunks: opts.trunks } : {}),
      dialplan: {
        ...opts.numbering,
        rules: [
          ...(opts.rules ?? []),
          ...phones.map((p) => ({ name: `to ${p.name}`, from: ['user'], match: p.name, to: `endpoint:${p.name}` })),
          { name: 'local users', from: ['user'], match: '[a-z]+', to: 'user:$user' },
        ],
      },
    },
  });
  const logger = createLogger({ level: config.log.level, pretty: false });
  const gw = new Gateway(config, logger);
  await gw.start();
  const addr = gw.http.address();
  const https = gw.http.httpsAddress();
  return {
    gw,
    httpUrl: `http://127.0.0.1:${addr.port}`,
    sipUdpPort: sipPort,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    httpsUrl: cert && https ? `https://127.0.0.1:${https.port}` : null,
    wssUrl: cert ? `wss://127.0.0.1:${wssPort}` : null,
    stop: () => gw.stop(),
  };
}

interface Reading { rms: number; peakHz: number }

/** Polls the page's remote analyser until `ok` holds twice in a row (or throws with the readings). */
export async function waitRemoteAudio(page: Page, what: string, ok: (r: Reading) => boolean, timeoutMs = 8000): Promise<Reading> {
  const deadline = Date.now() + timeoutMs;
  const seen: Reading[] = [];
  for (;;) {
    const r = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { getAudio(): { remote: Reading | null } } }).tandemPhone.getAudio().remote);
    const reading = r ?? { rms: 0, peakHz: 0 };
    seen.push(reading);
    if (ok(reading) && seen.length >= 2 && ok(seen[seen.length - 2])) return reading;
    if (Date.now() > deadline) throw new Error(`${what}: last readings ${JSON.stringify(seen.slice(-4))}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

export const near = (hz: number, target: number, tol = 25): boolean => Math.abs(hz - target) <= tol;

/**
 * Loads the demo page and registers `user` over WebSocket (digest). With `secure: true` the page
 * comes over HTTPS and registers over WSS (the harness must have been started with `tls: true`).
 */
export async function registerPage(page: Page, h: GatewayHarness, user: string, password: string, opts: { secure?: boolean } = {}): Promise<void> {
  const secure = opts.secure === true;
  if (secure && (h.httpsUrl === null || h.wssUrl === null)) throw new Error('registerPage: start the gateway with tls: true');
  await page.goto(`${secure ? h.httpsUrl : h.httpUrl}/`);
  await page.evaluate(() => (globalThis as unknown as { tandemPhone: { ready: Promise<void> } }).tandemPhone.ready);
  await page.evaluate(async (o) => {
    await (globalThis as unknown as { tandemPhone: { register(x: object): Promise<void> } }).tandemPhone.register(o);
  }, { wsUrl: secure ? h.wssUrl : h.wsUrl, user, password, domain: REALM, audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
}

/** The part of the page's RTCPeerConnection read here (the test build has no DOM lib). */
interface PagePc {
  remoteDescription: { sdp: string } | null;
  getStats(): Promise<{ forEach(fn: (r: Record<string, unknown>) => void): void }>;
}
type PagePcClass = new (...args: unknown[]) => PagePc;

/**
 * Makes the page remember every RTCPeerConnection it creates (JsSIP looks the constructor up on
 * the global at call time), so {@link browserSsrcs} can read their descriptions and stats.
 */
export async function recordPeerConnections(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as { RTCPeerConnection: PagePcClass; tandemTestPcs?: PagePc[] };
    if (g.tandemTestPcs) return;
    const pcs: PagePc[] = [];
    g.tandemTestPcs = pcs;
    const Orig = g.RTCPeerConnection;
    g.RTCPeerConnection = class extends Orig {
      constructor(...args: unknown[]) {
        super(...args);
        pcs.push(this);
      }
    };
  });
}

export interface BrowserSsrcs {
  /** `a=ssrc` values in the remote (Tandem's) description of the newest peer connection. */
  announced: number[];
  /** SSRCs of the audio inbound-rtp stats (what actually arrived) with packetsReceived > 0. */
  received: number[];
}

/** The SSRC Tandem announced toward the browser and the SSRCs the browser received, from the newest peer connection. */
export async function browserSsrcs(page: Page): Promise<BrowserSsrcs> {
  return page.evaluate(async () => {
    const pcs = (globalThis as unknown as { tandemTestPcs?: PagePc[] }).tandemTestPcs ?? [];
    const pc = pcs[pcs.length - 1];
    if (!pc) return { announced: [], received: [] };
    const sdp = pc.remoteDescription?.sdp ?? '';
    const announced = [...new Set([...sdp.matchAll(/^a=ssrc:(\d+) /gm)].map((m) => Number(m[1])))];
    const received: number[] = [];
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && (r.kind === 'audio' || r.mediaType === 'audio') && typeof r.ssrc === 'number' && (r.packetsReceived as number) > 0) received.push(r.ssrc);
    });
    return { announced, received };
  });
}

/** Diagnostics: every recorded peer connection's descriptions and audio RTP stats. */
export async function pcDump(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    const pcs = (globalThis as unknown as { tandemTestPcs?: Array<PagePc & { localDescription: { sdp: string } | null }> }).tandemTestPcs ?? [];
    const out: unknown[] = [];
    for (const pc of pcs) {
      const rtp: unknown[] = [];
      (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' || r.type === 'outbound-rtp') rtp.push(r); });
      out.push({ remote: pc.remoteDescription?.sdp, local: pc.localDescription?.sdp, rtp });
    }
    return out;
  });
}

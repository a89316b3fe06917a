/**
 * A whole Gateway in-process for session tests: embedded SIP (udp + ws) and drachtio server,
 * the media engine, the demo page over HTTP, users alice/bob and static desk phones.
 */
import type { Page } from 'playwright-core';
import { Gateway } from '../../../src/gateway.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/common/logger.js';
import { freePorts } from '../../helpers/ports.js';

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
  stop(): Promise<void>;
}

/** Starts a Gateway on free ports with users alice/bob and the given static phones. */
export async function startGateway(phones: PhoneEndpoint[], opts: { rtpTimeoutSeconds?: number } = {}): Promise<GatewayHarness> {
  const [sipPort, wsPort] = await freePorts(2, { spacing: 2 });
  const base = 30000 + Math.floor(Math.random() * 300) * 20;
  const config = loadConfig({
    useDefaultFile: false,
    overrides: {
      log: { level: process.env.SESSION_LOG ?? 'warn', pretty: false },
      http: { host: '127.0.0.1', port: 0 },
      web: { enabled: true },
      sip: { listen: [`udp:127.0.0.1:${sipPort}`, `ws:127.0.0.1:${wsPort}`] },
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
      ],
      dialplan: {
        rules: [
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
  return {
    gw,
    httpUrl: `http://127.0.0.1:${addr.port}`,
    sipUdpPort: sipPort,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
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

/** Loads the demo page and registers `user` over WebSocket (digest). */
export async function registerPage(page: Page, h: GatewayHarness, user: string, password: string): Promise<void> {
  await page.goto(`${h.httpUrl}/`);
  await page.evaluate(() => (globalThis as unknown as { tandemPhone: { ready: Promise<void> } }).tandemPhone.ready);
  await page.evaluate(async (o) => {
    await (globalThis as unknown as { tandemPhone: { register(x: object): Promise<void> } }).tandemPhone.register(o);
  }, { wsUrl: h.wsUrl, user, password, domain: REALM, audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
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

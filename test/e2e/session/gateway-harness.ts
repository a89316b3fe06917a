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

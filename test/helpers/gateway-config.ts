/**
 * Config overrides for a whole Gateway on loopback in tests: embedded SIP server (drachtio wire
 * protocol) listening on UDP (optionally TCP on the same port) and WebSocket (RFC 7118), HTTP on
 * an ephemeral port, one media worker on a random 200-port block, log level from SESSION_LOG.
 */
import { freePorts } from './ports.js';

export interface LoopbackGatewayOptions {
  /** auth.realm. */
  realm: string;
  /** Also listen on TCP at the UDP port. Default false. */
  tcp?: boolean;
  /** Extra `sip` keys (e.g. maxMessageBytes). Default none. */
  sip?: Record<string, unknown>;
  /** Extra `media` keys (e.g. rtpTimeoutSeconds). Default none. */
  media?: Record<string, unknown>;
  /** Extra `auth` keys (e.g. tokenSecret). Default none. */
  auth?: Record<string, unknown>;
}

export interface LoopbackGateway {
  sipPort: number;
  wsPort: number;
  /** Spread into `loadConfig({ overrides })`, then add users, trunks, dialplan… */
  overrides: Record<string, unknown>;
}

/** Picks free SIP / WS ports and returns the overrides shared by gateway tests. */
export async function loopbackGateway(o: LoopbackGatewayOptions): Promise<LoopbackGateway> {
  const [sipPort, wsPort] = await freePorts(2, { spacing: 2 }) as [number, number];
  const base = 30000 + Math.floor(Math.random() * 300) * 20;
  const listen = [`udp:127.0.0.1:${sipPort}`, ...(o.tcp ? [`tcp:127.0.0.1:${sipPort}`] : []), `ws:127.0.0.1:${wsPort}`];
  return {
    sipPort,
    wsPort,
    overrides: {
      log: { level: process.env.SESSION_LOG ?? 'warn', pretty: false },
      http: { host: '127.0.0.1', port: 0 },
      sip: { listen, ...o.sip },
      drachtio: { mode: 'embedded', host: '127.0.0.1', port: 0, secret: '' },
      media: { workers: 1, bindAddress: '127.0.0.1', portMin: base, portMax: base + 199, ...o.media },
      auth: { realm: o.realm, ...o.auth },
    },
  };
}

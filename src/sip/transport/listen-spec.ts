import { ValidationError } from '../../common/errors.js';
import type { TransportName } from '../message/sip-message.js';

/** A parsed listen spec such as `udp:127.0.0.1:5060` or `wss:[::1]:0`. */
export interface ListenSpec {
  transport: TransportName;
  address: string;
  port: number;
  /** Host to advertise in Via/Contact instead of the bound address (e.g. a public name). */
  advertisedHost?: string;
}

const TRANSPORTS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

/** Parses `transport:address:port` (IPv6 address in brackets). Throws ValidationError. */
export function parseListenSpec(spec: string | ListenSpec): ListenSpec {
  if (typeof spec !== 'string') return spec;
  const m = /^(udp|tcp|tls|wss?):(\[[0-9a-fA-F:.]+\]|[^:[\]]+):([0-9]{1,5})$/.exec(spec.trim());
  if (!m || !TRANSPORTS.has(m[1]) || Number(m[3]) > 65535) {
    throw new ValidationError('ERR_SIP_LISTEN_SPEC', `bad listen spec "${spec}" (want transport:address:port)`, { data: { spec } });
  }
  const address = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  return { transport: m[1] as TransportName, address, port: Number(m[3]) };
}

import { randomFillSync, randomUUID } from 'node:crypto';
import { ValidationError } from '../common/errors.js';

/** CRLF separating the wire meta line from the SIP text. */
export const CRLF = '\r\n';

/** A parsed message from a drachtio client (the first CRLF ends the `|`-separated meta line). */
export interface ClientMessage {
  msgId: string;
  type: string;
  /** All `|` tokens of the meta line, `tokens[0]` = msgId, `tokens[1]` = type. */
  tokens: string[];
  /** Text after the first CRLF (SIP message for `sip`/`proxy`), '' if none. */
  payload: string;
}

/** Splits one framed client message. Throws ValidationError when it has no id or type. */
export function parseClientMessage(raw: string): ClientMessage {
  const pos = raw.indexOf(CRLF);
  const meta = pos === -1 ? raw : raw.slice(0, pos);
  const payload = pos === -1 ? '' : raw.slice(pos + 2);
  const tokens = meta.split('|');
  if (tokens.length < 2 || tokens[0] === '' || tokens[1] === '') {
    throw new ValidationError('ERR_DRACHTIO_MESSAGE', 'invalid message format', { data: { meta: meta.slice(0, 80) } });
  }
  return { msgId: tokens[0], type: tokens[1], tokens, payload };
}

/** Where and how a SIP message went or came, as drachtio-server reports it (`SipMsgData_t`). */
export interface SipMeta {
  /** `network` (received) or `application` (sent by us for the app). */
  source: 'network' | 'application';
  /** Size of the SIP message in bytes. */
  bytes: number;
  /** `udp`, `tcp`, `tls`, `ws`, `wss` (drachtio-server reports ws/wss as tcp; we report them as they are). */
  protocol: string;
  /** Remote address for `network`, our local address for `application`. */
  address: string;
  /** Remote port for `network`, our local port for `application`. */
  port: number;
  /** Time of day UTC, `HH:MM:SS.uuuuuu`. */
  time: string;
}

/** drachtio-server's time stamp: UTC time of day `HH:MM:SS.uuuuuu`. */
export function formatTime(epochMs: number): string {
  const ms = Math.floor(epochMs);
  // every frame carries one; many frames share a millisecond under load
  if (ms === lastTimeMs) return lastTimeText;
  lastTimeText = formatTimeUncached(ms);
  lastTimeMs = ms;
  return lastTimeText;
}

let lastTimeMs = Number.NaN;
let lastTimeText = '';

function formatTimeUncached(ms: number): string {
  const secs = Math.floor(ms / 1000);
  const usec = (ms % 1000) * 1000;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(Math.floor(secs / 3600) % 24)}:${p2(Math.floor(secs / 60) % 60)}:${p2(secs % 60)}.${String(usec).padStart(6, '0')}`;
}

/** `source|bytes|protocol|address|port|time`, drachtio-server's `toMessageFormat`. */
export function formatMeta(meta: SipMeta): string {
  return `${meta.source}|${meta.bytes}|${meta.protocol}|${meta.address}|${meta.port}|${meta.time}`;
}

/** A fresh message / transaction id (UUID v4, as drachtio-server uses). */
export function newId(): string {
  return randomUUID();
}

/** CSPRNG bytes drawn 4 KiB at a time (one `getrandom` per ~680 tags instead of one per tag). */
const RANDOM_POOL = Buffer.alloc(4096);
let randomPos = RANDOM_POOL.length;

/** `bytes` random bytes as lower-case hex (the same output as `randomBytes(bytes).toString('hex')`, from a pool). */
export function randomHex(bytes: number): string {
  if (bytes > RANDOM_POOL.length) return randomFillSync(Buffer.alloc(bytes)).toString('hex');
  if (randomPos + bytes > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomPos = 0;
  }
  const out = RANDOM_POOL.toString('hex', randomPos, randomPos + bytes);
  randomPos += bytes;
  return out;
}

/** `uuid|response|<msgId>|OK|...` or `...|NOK|reason`. */
export function buildApiResponse(clientMsgId: string, ok: boolean, ...rest: string[]): string {
  const tail = rest.length > 0 ? `|${rest.join('|')}` : '';
  return `${newId()}|response|${clientMsgId}|${ok ? 'OK' : 'NOK'}${tail}`;
}

/**
 * Answer to authenticate/route/ping etc. drachtio-server answers these with `OK`/`NO`
 * (createResponseMsg), and API results (sip, proxy) with `OK`/`NOK`.
 */
export function buildControlResponse(clientMsgId: string, ok: boolean, reason?: string): string {
  return `${newId()}|response|${clientMsgId}|${ok ? 'OK' : 'NO'}${reason !== undefined ? `|${reason}` : ''}`;
}

/**
 * OK answer to a `sip` message from the app, carrying what was sent:
 * requests: `OK|<meta>|<txnId>|Msg sent:|` CRLF sip;
 * responses: `OK|<meta>|<txnId>|<dialogId>||Msg sent:|` CRLF sip.
 */
export function buildSentRequestResponse(clientMsgId: string, meta: SipMeta, txnId: string, sipText: string): string {
  return `${newId()}|response|${clientMsgId}|OK|${formatMeta(meta)}|${txnId}|Msg sent:|${CRLF}${sipText}`;
}

export function buildSentResponseResponse(
  clientMsgId: string, meta: SipMeta, txnId: string, dialogId: string, sipText: string,
): string {
  return `${newId()}|response|${clientMsgId}|OK|${formatMeta(meta)}|${txnId}|${dialogId}||Msg sent:|${CRLF}${sipText}`;
}

/**
 * A SIP message for the app: `uuid|sip|<meta>|<txnId>|<dialogId>|[<localAddr>|<localPort>|]` CRLF sip.
 * The local address/port pair is present on new requests outside a dialog (srf: `receivedOn`).
 */
export function buildSipNotification(
  meta: SipMeta, txnId: string, dialogId: string, sipText: string, receivedOn?: { address: string; port: number },
): string {
  const on = receivedOn ? `${receivedOn.address}|${receivedOn.port}|` : '';
  return `${newId()}|sip|${formatMeta(meta)}|${txnId}|${dialogId}|${on}${CRLF}${sipText}`;
}

/** CDR record kinds and their trailing field. */
export type CdrKind = 'attempt' | 'start' | 'stop';

/** `uuid|cdr:<kind>|<source>|<time>[|<role or reason>]` CRLF sip. */
export function buildCdr(kind: CdrKind, source: 'network' | 'application', time: string, extra: string | undefined,
  sipText: string): string {
  const tail = kind === 'attempt' || extra === undefined ? '' : `|${extra}`;
  return `${newId()}|cdr:${kind}|${source}|${time}${tail}${CRLF}${sipText}`;
}

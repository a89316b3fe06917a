import * as sdpTransform from 'sdp-transform';
import { SdpError } from './errors.js';
import { STATIC_AUDIO_PAYLOAD_TYPES } from './codecs.js';
import { parseCryptoAttribute } from './crypto-attr.js';
import type { CodecSpec, CryptoAttribute, DtlsFingerprint, DtlsSetup, IceCandidate, MediaDirection } from './types.js';

/** Default maximum size of a description, in UTF-16 code units (≈ bytes for SDP's ASCII). */
export const DEFAULT_MAX_SDP_SIZE = 64 * 1024;
const MAX_LINES = 4096;
const MAX_MEDIA = 64;

/** c= / o= connection data. */
export interface ConnectionData {
  readonly ipVer: 4 | 6;
  readonly address: string;
}

/** One validated m-section. Internal model; see {@link parseSdp}. */
export interface ParsedMedia {
  readonly index: number;
  /** audio, video, application, … */
  readonly kind: string;
  readonly port: number;
  /** Transport protocol as written, e.g. `RTP/AVP`, `UDP/TLS/RTP/SAVPF`. */
  readonly proto: string;
  /** Format list (payload types for RTP protocols) as written. */
  readonly fmts: readonly string[];
  /** Effective connection (media-level c=, else session-level), if any. */
  readonly connection?: ConnectionData;
  /** Direction attribute (media, else session, else sendrecv). */
  readonly direction: MediaDirection;
  /** Codecs in format-list order (rtpmap, or static table); unknown dynamic PTs are left out. */
  readonly codecs: readonly CodecSpec[];
  readonly rtcpPort?: number;
  readonly rtcpMux: boolean;
  readonly mid?: string;
  readonly iceUfrag?: string;
  readonly icePwd?: string;
  readonly candidates: readonly IceCandidate[];
  readonly fingerprints: readonly DtlsFingerprint[];
  readonly setup?: DtlsSetup;
  /** Valid a=crypto lines (invalid ones are dropped). */
  readonly crypto: readonly CryptoAttribute[];
  readonly ptime?: number;
  readonly maxptime?: number;
  readonly ssrcs: readonly number[];
  readonly bundleOnly: boolean;
}

/** A validated session description. Internal model; see {@link parseSdp}. */
export interface ParsedSdp {
  readonly origin: { readonly username: string; readonly sessionId: string; readonly version: string; readonly address: string };
  readonly connection?: ConnectionData;
  readonly iceLite: boolean;
  /** a=group:BUNDLE mid lists. */
  readonly bundles: readonly (readonly string[])[];
  readonly media: readonly ParsedMedia[];
}

/** Options of {@link parseSdp}. */
export interface ParseOptions {
  /** Maximum size; default {@link DEFAULT_MAX_SDP_SIZE} (64 KiB). */
  readonly maxSize?: number;
}

function parseError(reason: string, data?: Record<string, unknown>): SdpError {
  return new SdpError('ERR_SDP_PARSE', reason, data ? { data } : {});
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
const FQDN = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*\.?$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

/** Checks an address of c=/o= for the given IP version (RFC 8866 §5.7; FQDNs allowed). */
export function isValidAddress(ipVer: 4 | 6, address: string): boolean {
  if (ipVer === 4) {
    // multicast may carry /ttl[/n]; strip it
    const a = address.split('/')[0];
    return IPV4.test(a) || (FQDN.test(a) && !/^[\d.]+$/.test(a));
  }
  return (IPV6.test(address) && address.includes(':')) || (FQDN.test(address) && !/^[\d.]+$/.test(address));
}

function parseConnection(text: string, where: string): ConnectionData {
  const m = /^IN IP([46]) (\S+)$/.exec(text.trim());
  if (!m) throw parseError(`bad c= line at ${where}`);
  const ipVer = m[1] === '4' ? 4 : 6;
  if (!isValidAddress(ipVer, m[2])) throw parseError(`bad address in c= line at ${where}`);
  return { ipVer, address: m[2].split('/')[0] };
}

const M_LINE = /^([A-Za-z0-9_-]{1,32}) (\d{1,5})(?:\/(\d{1,5}))? ([A-Za-z0-9/._-]{1,64})((?: [^ ]{1,64}){1,128})$/;

/** Line-level validation (RFC 8866 §5): runs before sdp-transform sees the text. */
function scanLines(text: string): { connections: Map<number, ConnectionData>; sessionConnection?: ConnectionData } {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > MAX_LINES) throw parseError(`more than ${MAX_LINES} lines`);
  if (lines.length === 0 || lines[0].trim() !== 'v=0') throw parseError('does not start with v=0');
  let mediaIndex = -1;
  let sawOrigin = false;
  let sessionConnection: ConnectionData | undefined;
  const connections = new Map<number, ConnectionData>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue; // tolerate blank lines
    if (line.length > 4096) throw parseError(`line ${i + 1} too long`);
    if (!/^[a-z]=/.test(line)) throw parseError(`line ${i + 1} is not <type>=<value>`, { line: i + 1 });
    const type = line[0];
    const value = line.slice(2);
    if (type === 'o') {
      if (mediaIndex >= 0) throw parseError('o= inside a media section');
      const f = value.trim().split(/ +/);
      if (f.length !== 6 || f[3] !== 'IN' || !/^IP[46]$/.test(f[4]) || !/^\d{1,20}$/.test(f[1]) || !/^\d{1,20}$/.test(f[2])) {
        throw parseError('bad o= line');
      }
      sawOrigin = true;
    } else if (type === 'm') {
      mediaIndex++;
      if (mediaIndex >= MAX_MEDIA) throw parseError(`more than ${MAX_MEDIA} m-lines`);
      const m = M_LINE.exec(value.trimEnd());
      if (!m) throw parseError(`bad m= line ${mediaIndex}`, { mLine: mediaIndex });
      if (Number(m[2]) > 65535) throw parseError(`port out of range in m= line ${mediaIndex}`, { mLine: mediaIndex });
      if (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535)) throw parseError(`bad port count in m= line ${mediaIndex}`);
      if (/RTP/.test(m[4])) {
        for (const f of m[5].trim().split(' ')) {
          if (!/^\d{1,3}$/.test(f) || Number(f) > 127) throw parseError(`bad payload type "${f.slice(0, 8)}" in m= line ${mediaIndex}`);
        }
      }
    } else if (type === 'c') {
      const c = parseConnection(value, mediaIndex < 0 ? 'session level' : `m-line ${mediaIndex}`);
      if (mediaIndex < 0) sessionConnection = c;
      else connections.set(mediaIndex, c);
    }
  }
  if (!sawOrigin) throw parseError('missing o= line');
  return { connections, ...(sessionConnection ? { sessionConnection } : {}) };
}

/* -------- defensive readers of sdp-transform's untyped output -------- */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
function int(v: unknown, min: number, max: number): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

const DIRECTIONS: readonly MediaDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
function direction(v: unknown): MediaDirection | undefined {
  return DIRECTIONS.find((d) => d === v);
}
const SETUPS: readonly DtlsSetup[] = ['active', 'passive', 'actpass', 'holdconn'];

function readCodecs(m: Obj, fmts: readonly string[]): CodecSpec[] {
  const rtpmaps = new Map<number, Omit<CodecSpec, 'pt'>>();
  for (const r of arr(m.rtp)) {
    const pt = int(r.payload, 0, 127);
    const name = str(r.codec);
    const rate = int(r.rate, 1, 10_000_000);
    const channels = r.encoding === undefined ? 1 : int(r.encoding, 1, 255);
    if (pt === undefined || !name || !TOKEN.test(name) || rate === undefined || channels === undefined) continue;
    if (!rtpmaps.has(pt)) rtpmaps.set(pt, { name, clockRate: rate, channels });
  }
  const fmtps = new Map<number, string>();
  for (const f of arr(m.fmtp)) {
    const pt = int(f.payload, 0, 127);
    const cfg = str(f.config);
    if (pt !== undefined && cfg !== undefined && !fmtps.has(pt)) fmtps.set(pt, cfg.trim());
  }
  const out: CodecSpec[] = [];
  const seen = new Set<number>();
  for (const f of fmts) {
    const pt = Number(f);
    if (!/^\d{1,3}$/.test(f) || pt > 127 || seen.has(pt)) continue;
    seen.add(pt);
    const base = rtpmaps.get(pt) ?? (pt < 96 ? STATIC_AUDIO_PAYLOAD_TYPES[pt] : undefined);
    if (!base) continue;
    const fmtp = fmtps.get(pt);
    out.push({ pt, ...base, ...(fmtp !== undefined && fmtp !== '' ? { fmtp } : {}) });
  }
  return out;
}

function readCandidates(m: Obj): IceCandidate[] {
  const out: IceCandidate[] = [];
  for (const c of arr(m.candidates)) {
    const foundation = str(c.foundation);
    const component = int(c.component, 1, 256);
    const transport = str(c.transport);
    const priority = int(c.priority, 0, 4294967295);
    const address = str(c.ip);
    const port = int(c.port, 0, 65535);
    const type = str(c.type);
    if (!foundation || component === undefined || !transport || priority === undefined || !address || port === undefined || !type) continue;
    const raddr = str(c.raddr);
    const rport = int(c.rport, 0, 65535);
    const tcpType = str(c.tcptype);
    out.push({
      foundation, component, transport, priority, address, port, type,
      ...(raddr ? { relatedAddress: raddr } : {}),
      ...(rport !== undefined ? { relatedPort: rport } : {}),
      ...(tcpType ? { tcpType } : {}),
    });
  }
  return out;
}

function readFingerprint(v: unknown): DtlsFingerprint | undefined {
  if (!isObj(v)) return undefined;
  const algorithm = str(v.type);
  const value = str(v.hash);
  if (!algorithm || !value || !/^[A-Za-z0-9-]{1,16}$/.test(algorithm) || !/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){15,63}$/.test(value)) return undefined;
  return { algorithm: algorithm.toLowerCase(), value: value.toUpperCase() };
}

/** Reads raw `a=crypto:` values: sdp-transform splits them, we re-parse with our stricter parser. */
function readCrypto(m: Obj): CryptoAttribute[] {
  const out: CryptoAttribute[] = [];
  for (const c of arr(m.crypto)) {
    const text = [str(c.id), str(c.suite), str(c.config), str(c.sessionConfig)].filter((x) => x !== undefined).join(' ');
    try {
      out.push(parseCryptoAttribute(text));
    } catch {
      // RFC 4568 §6.1: an unusable crypto line is ignored, not fatal.
    }
  }
  return out;
}

function readSsrcs(m: Obj): number[] {
  const out: number[] = [];
  for (const s of arr(m.ssrcs)) {
    const id = int(s.id, 0, 4294967295);
    if (id !== undefined && !out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * Safely parses and validates a session description (RFC 8866). Never throws
 * anything but an {@link SdpError} (`ERR_SDP_PARSE`, `ERR_SDP_TOO_LARGE`); it
 * checks the text line by line before handing it to sdp-transform and then
 * checks the shape of what sdp-transform returned.
 */
export function parseSdp(input: unknown, options: ParseOptions = {}): ParsedSdp {
  const maxSize = options.maxSize ?? DEFAULT_MAX_SDP_SIZE;
  if (typeof input !== 'string') throw parseError(`SDP must be a string, got ${input === null ? 'null' : typeof input}`);
  if (input.length > maxSize) {
    throw new SdpError('ERR_SDP_TOO_LARGE', `SDP is ${input.length} bytes, limit is ${maxSize}`, { data: { size: input.length, maxSize } });
  }
  // Control characters other than CR, LF and TAB are never valid in SDP (RFC 8866 §9).
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/.test(input)) throw parseError('SDP contains binary or control characters');
  if (/\r(?!\n)/.test(input)) throw parseError('SDP contains a bare CR');
  const { connections, sessionConnection } = scanLines(input);

  let raw: unknown;
  try {
    raw = sdpTransform.parse(input);
  } catch (e) {
    throw new SdpError('ERR_SDP_PARSE', 'SDP could not be parsed', { cause: e });
  }
  if (!isObj(raw)) throw parseError('SDP could not be parsed');
  const origin = isObj(raw.origin) ? raw.origin : undefined;
  const username = str(origin?.username);
  const sessionId = str(origin?.sessionId);
  const version = str(origin?.sessionVersion);
  const originAddress = str(origin?.address);
  if (!username || !sessionId || !version || !originAddress) throw parseError('bad o= line');

  const sessionDirection = direction(raw.direction);
  const sessionFingerprint = readFingerprint(raw.fingerprint);
  const sessionSetup = SETUPS.find((s) => s === raw.setup);
  const sessionUfrag = str(raw.iceUfrag);
  const sessionPwd = str(raw.icePwd);
  const sessionCrypto = readCrypto(raw);
  const bundles = arr(raw.groups)
    .filter((g) => str(g.type)?.toUpperCase() === 'BUNDLE')
    .map((g) => (str(g.mids) ?? '').split(' ').filter((x) => x !== ''));

  const rawMedia = Array.isArray(raw.media) ? raw.media : [];
  const media: ParsedMedia[] = rawMedia.map((mv: unknown, index: number): ParsedMedia => {
    if (!isObj(mv)) throw parseError(`bad m= line ${index}`);
    const kind = str(mv.type);
    const port = int(mv.port, 0, 65535);
    const proto = str(mv.protocol);
    const payloads = str(mv.payloads);
    if (!kind || port === undefined || !proto || payloads === undefined) throw parseError(`bad m= line ${index}`, { mLine: index });
    const fmts = payloads.trim().split(/ +/).filter((x) => x !== '');
    const connection = connections.get(index) ?? sessionConnection;
    const isRtp = proto.includes('RTP');
    const rtcp = isObj(mv.rtcp) ? int(mv.rtcp.port, 0, 65535) : undefined;
    const fps = [readFingerprint(mv.fingerprint) ?? sessionFingerprint].filter((f): f is DtlsFingerprint => f !== undefined);
    const setup = SETUPS.find((s) => s === mv.setup) ?? sessionSetup;
    const mid = str(mv.mid);
    const ptime = int(mv.ptime, 1, 1000);
    const maxptime = int(mv.maxptime, 1, 1000);
    const mediaCrypto = readCrypto(mv);
    if (port !== 0 && !connection) throw parseError(`missing c= line for m-line ${index}`, { mLine: index });
    const iceUfrag = str(mv.iceUfrag) ?? sessionUfrag;
    const icePwd = str(mv.icePwd) ?? sessionPwd;
    return {
      index, kind: kind.toLowerCase(), port, proto, fmts,
      ...(connection ? { connection } : {}),
      direction: direction(mv.direction) ?? sessionDirection ?? 'sendrecv',
      codecs: isRtp ? readCodecs(mv, fmts) : [],
      ...(rtcp !== undefined ? { rtcpPort: rtcp } : {}),
      rtcpMux: mv.rtcpMux !== undefined,
      ...(mid !== undefined && mid !== '' ? { mid } : {}),
      ...(iceUfrag ? { iceUfrag } : {}),
      ...(icePwd ? { icePwd } : {}),
      candidates: readCandidates(mv),
      fingerprints: fps,
      ...(setup ? { setup } : {}),
      crypto: mediaCrypto.length > 0 ? mediaCrypto : sessionCrypto,
      ...(ptime !== undefined ? { ptime } : {}),
      ...(maxptime !== undefined ? { maxptime } : {}),
      ssrcs: readSsrcs(mv),
      bundleOnly: mv.bundleOnly !== undefined,
    };
  });

  return {
    origin: { username, sessionId, version, address: originAddress },
    ...(sessionConnection ? { connection: sessionConnection } : {}),
    iceLite: raw.icelite !== undefined,
    bundles,
    media,
  };
}

/** True when the m-line is a null-address (RFC 2543 style) hold: c=0.0.0.0 or c=::. */
export function isNullConnection(m: ParsedMedia): boolean {
  const a = m.connection?.address;
  return a === '0.0.0.0' || a === '::' || a === '0:0:0:0:0:0:0:0';
}

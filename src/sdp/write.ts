import { SdpError } from './errors.js';
import { isValidAddress } from './parse.js';
import { isSupportedCryptoSuite, formatCryptoAttribute, parseCryptoAttribute } from './crypto-attr.js';
import type { SdpLegState } from './leg-state.js';
import type { CodecSpec, IceCandidate, SipLocalMedia, WebRtcLocalMedia } from './types.js';

/** IP version of an address as written in c=/o= (RFC 8866 §5.7). */
export function ipVersion(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** `IN IP4 a` / `IN IP6 a`. */
export function connectionValue(address: string): string {
  return `IN IP${ipVersion(address)} ${address}`;
}

/** The o= value of the leg (RFC 8866 §5.2); `version` defaults to the leg's current one. */
export function originValue(leg: SdpLegState, address: string, version: number = leg.version): string {
  return `${leg.username} ${leg.sessionId} ${version} ${connectionValue(address)}`;
}

/** The value of one a=candidate attribute (RFC 8839 §5.1). */
export function candidateValue(c: IceCandidate): string {
  let s = `candidate:${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.address} ${c.port} typ ${c.type}`;
  if (c.relatedAddress !== undefined) s += ` raddr ${c.relatedAddress}`;
  if (c.relatedPort !== undefined) s += ` rport ${c.relatedPort}`;
  if (c.tcpType !== undefined) s += ` tcptype ${c.tcpType}`;
  return s;
}

/** Writes the rtpmap + fmtp lines of the codecs (RFC 8866 §6.6, §6.15). */
export function codecLines(codecs: readonly CodecSpec[]): string[] {
  const out: string[] = [];
  for (const c of codecs) out.push(`a=rtpmap:${c.pt} ${c.name}/${c.clockRate}${c.channels !== 1 ? `/${c.channels}` : ''}`);
  for (const c of codecs) if (c.fmtp !== undefined) out.push(`a=fmtp:${c.pt} ${c.fmtp}`);
  return out;
}

function invalid(reason: string): SdpError {
  return new SdpError('ERR_SDP_INVALID_OPTIONS', reason);
}

function checkAddressPort(address: unknown, port: unknown, what: string): void {
  if (typeof address !== 'string' || !isValidAddress(ipVersion(address), address)) throw invalid(`${what}: invalid address`);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${what}: port must be 1-65535`);
}

const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/;

/** Validates the local WebRTC media parameters (inputs, never generated here). */
export function validateWebRtcLocal(m: WebRtcLocalMedia): void {
  if (typeof m !== 'object' || m === null) throw invalid('webrtc local media missing');
  checkAddressPort(m.address, m.port, 'webrtc local media');
  const ice = m.ice;
  if (typeof ice !== 'object' || ice === null) throw invalid('ICE parameters missing');
  // RFC 8839 §5.4: ufrag 4-256, pwd 22-256 ice-chars
  if (typeof ice.ufrag !== 'string' || ice.ufrag.length < 4 || ice.ufrag.length > 256 || !ICE_CHARS.test(ice.ufrag)) throw invalid('ice ufrag must be 4-256 ice-chars');
  if (typeof ice.pwd !== 'string' || ice.pwd.length < 22 || ice.pwd.length > 256 || !ICE_CHARS.test(ice.pwd)) throw invalid('ice pwd must be 22-256 ice-chars');
  if (!Array.isArray(ice.candidates)) throw invalid('ice candidates must be an array');
  for (const c of ice.candidates) {
    if (typeof c !== 'object' || c === null || !TOKEN.test(String(c.foundation)) || !Number.isInteger(c.component) || !TOKEN.test(String(c.transport))
      || !Number.isInteger(c.priority) || !TOKEN.test(String(c.type)) || typeof c.address !== 'string' || !/^[0-9A-Za-z.:-]{1,253}$/.test(c.address)
      || !Number.isInteger(c.port) || c.port < 0 || c.port > 65535) {
      throw invalid('invalid ICE candidate');
    }
  }
  const fp = m.fingerprint;
  if (typeof fp !== 'object' || fp === null || typeof fp.algorithm !== 'string' || !/^[a-z0-9-]{1,16}$/.test(fp.algorithm)
    || typeof fp.value !== 'string' || !/^[0-9A-F]{2}(:[0-9A-F]{2}){15,63}$/.test(fp.value)) {
    throw invalid('fingerprint must be a lower-case hash name and upper-case colon-separated hex');
  }
  if (!Number.isInteger(m.ssrc) || m.ssrc < 0 || m.ssrc > 0xffffffff) throw invalid('ssrc must be a 32-bit unsigned integer');
  if (typeof m.cname !== 'string' || !TOKEN.test(m.cname)) throw invalid('cname must be a token');
  if (m.msid !== undefined && (!TOKEN.test(String(m.msid.stream)) || !TOKEN.test(String(m.msid.track)))) throw invalid('msid ids must be tokens');
}

/** Validates the local SIP media parameters; `needCrypto` when the profile requires keys. */
export function validateSipLocal(m: SipLocalMedia, needCrypto: boolean): void {
  if (typeof m !== 'object' || m === null) throw invalid('sip local media missing');
  checkAddressPort(m.address, m.port, 'sip local media');
  if (m.rtcpPort !== undefined && (!Number.isInteger(m.rtcpPort) || m.rtcpPort < 1 || m.rtcpPort > 65535)) throw invalid('rtcpPort must be 1-65535');
  if (m.crypto !== undefined) {
    if (!Array.isArray(m.crypto)) throw invalid('crypto must be an array');
    for (const c of m.crypto) {
      try {
        parseCryptoAttribute(formatCryptoAttribute(c));
      } catch {
        throw invalid('invalid local crypto attribute');
      }
      if (!isSupportedCryptoSuite(c.suite)) throw invalid(`unsupported local crypto-suite ${c.suite}`);
    }
  }
  if (needCrypto && (m.crypto === undefined || m.crypto.length === 0)) throw invalid('SDES profile needs local crypto keys');
}

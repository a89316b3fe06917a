import { formatCryptoAttribute } from './crypto-attr.js';
import { candidateValue, codecLines, connectionValue, originValue } from './write.js';
import type { SdpLegState } from './leg-state.js';
import type { CodecSpec, CryptoAttribute, DtlsSetup, MediaDirection, WebRtcLocalMedia } from './types.js';

/** Session part of a description for a plain SIP peer. */
export function sipSessionLines(leg: SdpLegState, address: string): string[] {
  return ['v=0', `o=${originValue(leg, address)}`, 's=tandem', `c=${connectionValue(address)}`, 't=0 0'];
}

/** Session part of a description for a WebRTC peer (JSEP §5.2.1, RFC 9143 §7 BUNDLE). */
export function webrtcSessionLines(leg: SdpLegState, local: WebRtcLocalMedia, bundleMids: readonly string[]): string[] {
  const lines = ['v=0', `o=${originValue(leg, local.address)}`, 's=-', `c=${connectionValue(local.address)}`, 't=0 0'];
  if (local.ice.lite === true) lines.push('a=ice-lite');
  if (bundleMids.length > 0) lines.push(`a=group:BUNDLE ${bundleMids.join(' ')}`);
  return lines;
}

/** A disabled m-line (RFC 3264 §6: port 0 keeps the slot; §8.2 in offers). */
export function rejectedSection(kind: string, proto: string, fmt: string, mid?: string): string[] {
  const lines = [`m=${kind} 0 ${proto} ${fmt}`];
  if (mid !== undefined) lines.push(`a=mid:${mid}`);
  return lines;
}

/** The audio m-line for a plain SIP peer: RTP/AVP or RTP/SAVP (RFC 3551, RFC 4568), a=rtcp (RFC 3605), a=ptime. */
export function sipAudioSection(o: {
  proto: string;
  port: number;
  rtcpPort?: number;
  codecs: readonly CodecSpec[];
  crypto: readonly CryptoAttribute[];
  ptime: number;
  direction: MediaDirection;
}): string[] {
  const lines = [`m=audio ${o.port} ${o.proto} ${o.codecs.map((c) => c.pt).join(' ')}`, ...codecLines(o.codecs)];
  if (o.rtcpPort !== undefined && o.rtcpPort !== o.port + 1) lines.push(`a=rtcp:${o.rtcpPort}`);
  for (const c of o.crypto) lines.push(`a=crypto:${formatCryptoAttribute(c)}`);
  lines.push(`a=ptime:${o.ptime}`, `a=${o.direction}`);
  return lines;
}

/**
 * The audio m-line for a WebRTC peer: UDP/TLS/RTP/SAVPF (RFC 5764), ICE
 * (RFC 8839), DTLS fingerprint + setup (RFC 8122, RFC 5763), rtcp-mux
 * (RFC 5761), mid (RFC 9143), msid (RFC 8830) and our SSRC (RFC 5576).
 * The SSRC (`a=ssrc:<ssrc> cname:<cname>`) is declared whenever the m-line is active (port ≠ 0),
 * whatever the direction; msid (`a=msid`, `a=ssrc:<ssrc> msid:`) only while we send.
 */
export function webrtcAudioSection(o: {
  port: number;
  mid?: string;
  codecs: readonly CodecSpec[];
  local: WebRtcLocalMedia;
  setup: DtlsSetup;
  direction: MediaDirection;
  proto?: string;
}): string[] {
  const { local } = o;
  const msid = local.msid ?? { stream: 'tandem', track: 'tandem-audio' };
  const sending = o.direction === 'sendrecv' || o.direction === 'sendonly';
  const lines = [`m=audio ${o.port} ${o.proto ?? 'UDP/TLS/RTP/SAVPF'} ${o.codecs.map((c) => c.pt).join(' ')}`];
  if (o.mid !== undefined) lines.push(`a=mid:${o.mid}`);
  lines.push(`a=${o.direction}`, ...codecLines(o.codecs));
  lines.push(`a=ice-ufrag:${local.ice.ufrag}`, `a=ice-pwd:${local.ice.pwd}`);
  lines.push(`a=fingerprint:${local.fingerprint.algorithm} ${local.fingerprint.value}`, `a=setup:${o.setup}`, 'a=rtcp-mux');
  if (sending) {
    lines.push(`a=msid:${msid.stream} ${msid.track}`, `a=ssrc:${local.ssrc} cname:${local.cname}`, `a=ssrc:${local.ssrc} msid:${msid.stream} ${msid.track}`);
  } else if (o.port !== 0) {
    // Hold (recvonly/inactive): still declare our SSRC (RFC 5576 §4.1; JSEP, RFC 8829 §5.3.1, does
    // not forbid it). Chromium drops its receive stream when the SSRC leaves the remote description
    // and, on resume with the same SSRC, does not reconnect the receiver's track (silence). msid is
    // written only while we send (RFC 8829 §5.2.1).
    lines.push(`a=ssrc:${local.ssrc} cname:${local.cname}`);
  }
  for (const c of local.ice.candidates) lines.push(`a=${candidateValue(c)}`);
  if (local.ice.endOfCandidates !== false) lines.push('a=end-of-candidates');
  return lines;
}

import { isNullConnection, type ParsedMedia, type ParsedSdp } from './parse.js';
import type { MediaDirection, RemoteMedia } from './types.js';

/**
 * The direction a plain SIP peer meant. RFC 3264 §8.4: hold used to be
 * signalled with c=0.0.0.0 (RFC 2543); we read it as "do not send to me", i.e.
 * sendrecv→sendonly and recvonly→inactive. Not applied to ICE media sections,
 * where c=0.0.0.0 is normal (RFC 8839 §4.2.1, JSEP).
 */
export function effectiveDirection(m: ParsedMedia): { direction: MediaDirection; legacyHold: boolean } {
  if (m.port === 0 || m.iceUfrag !== undefined || !isNullConnection(m)) return { direction: m.direction, legacyHold: false };
  const map: Record<MediaDirection, MediaDirection> = { sendrecv: 'sendonly', recvonly: 'inactive', sendonly: 'sendonly', inactive: 'inactive' };
  return { direction: map[m.direction], legacyHold: true };
}

/**
 * Clamps an answer's direction to what the offer allows (RFC 3264 §6.1):
 * sendonly offer → recvonly/inactive answer, recvonly → sendonly/inactive,
 * inactive → inactive.
 */
export function constrainAnswerDirection(offer: MediaDirection, answer: MediaDirection): MediaDirection {
  const answerSends = answer === 'sendrecv' || answer === 'sendonly';
  const answerRecvs = answer === 'sendrecv' || answer === 'recvonly';
  const canSend = answerSends && (offer === 'sendrecv' || offer === 'recvonly');
  const canRecv = answerRecvs && (offer === 'sendrecv' || offer === 'sendonly');
  if (canSend && canRecv) return 'sendrecv';
  if (canSend) return 'sendonly';
  if (canRecv) return 'recvonly';
  return 'inactive';
}

/** Builds the {@link RemoteMedia} view of one m-line of a description the remote sent. */
export function describeRemote(sdp: ParsedSdp, m: ParsedMedia): RemoteMedia {
  const { direction, legacyHold } = effectiveDirection(m);
  const address = m.connection?.address ?? sdp.connection?.address ?? '0.0.0.0';
  return {
    mLineIndex: m.index,
    address,
    port: m.port,
    rtcpPort: m.rtcpMux ? m.port : (m.rtcpPort ?? m.port + 1),
    rtcpMux: m.rtcpMux,
    direction,
    hold: direction === 'sendonly' || direction === 'inactive',
    legacyHold,
    ssrcs: m.ssrcs,
    ...(m.ptime !== undefined ? { ptime: m.ptime } : {}),
    ...(m.iceUfrag !== undefined && m.icePwd !== undefined
      ? { ice: { ufrag: m.iceUfrag, pwd: m.icePwd, candidates: m.candidates, lite: sdp.iceLite } }
      : {}),
    ...(m.fingerprints.length > 0 ? { fingerprints: m.fingerprints } : {}),
    ...(m.setup !== undefined ? { setup: m.setup } : {}),
  };
}

import { SdpError } from './errors.js';
import type { ParsedMedia, ParsedSdp } from './parse.js';

/** Transport profiles of a WebRTC audio section (RFC 5764 §8, JSEP §5.1.2). */
export const WEBRTC_PROTO = /^(UDP|TCP)\/TLS\/RTP\/SAVPF?$/;
/** Transport profiles a plain SIP peer may use (RFC 3551, RFC 3711, RFC 4585). */
export const SIP_PROTO = /^RTP\/S?AVPF?$/;

/**
 * Picks the first usable audio m-line (RFC 3264 §5: the others are answered
 * with port 0). Throws ERR_SDP_NO_AUDIO when there is no enabled audio m-line,
 * ERR_SDP_UNSUPPORTED_PROFILE when none has an acceptable transport, and
 * ERR_SDP_NO_COMMON_CODEC when none has a codec Tandem can use.
 */
export function selectAudio(sdp: ParsedSdp, proto: RegExp, side: string, usable: (m: ParsedMedia) => boolean): ParsedMedia {
  const audios = sdp.media.filter((m) => m.kind === 'audio' && (m.port !== 0 || m.bundleOnly));
  if (audios.length === 0) throw new SdpError('ERR_SDP_NO_AUDIO', `${side} description has no enabled audio m-line`);
  const protoOk = audios.filter((m) => proto.test(m.proto));
  if (protoOk.length === 0) {
    throw new SdpError('ERR_SDP_UNSUPPORTED_PROFILE', `${side} audio uses unsupported transport ${audios[0].proto.slice(0, 32)}`, { data: { proto: audios[0].proto } });
  }
  const found = protoOk.find(usable);
  if (!found) {
    const names = protoOk[0].codecs.map((c) => `${c.name}/${c.clockRate}`).join(' ');
    throw new SdpError('ERR_SDP_NO_COMMON_CODEC', `no common audio codec with ${side} peer (offered: ${names || 'none'})`.slice(0, 200));
  }
  return found;
}

/** Checks that a WebRTC section carries ICE credentials and a fingerprint (RFC 8839 §5.4, RFC 8122 §5). */
export function requireIceAndDtls(m: ParsedMedia): void {
  if (m.iceUfrag === undefined || m.icePwd === undefined) throw new SdpError('ERR_SDP_MISSING_ICE', 'WebRTC description lacks ice-ufrag/ice-pwd');
  if (m.fingerprints.length === 0) throw new SdpError('ERR_SDP_MISSING_FINGERPRINT', 'WebRTC description lacks a DTLS fingerprint');
}

/**
 * Finds the m-line of an answer that answers offer slot `index` (RFC 3264 §6:
 * same count, same order); a peer that breaks that rule gets ERR_SDP_ANSWER_MISMATCH.
 */
export function answerSlot(answer: ParsedSdp, index: number, offerCount: number): ParsedMedia {
  if (answer.media.length !== offerCount) {
    throw new SdpError('ERR_SDP_ANSWER_MISMATCH', `answer has ${answer.media.length} m-lines, offer had ${offerCount}`);
  }
  const m = answer.media[index];
  if (m.kind !== 'audio') throw new SdpError('ERR_SDP_ANSWER_MISMATCH', `answer m-line ${index} is ${m.kind.slice(0, 16)}, expected audio`);
  if (m.port === 0 && !m.bundleOnly) throw new SdpError('ERR_SDP_NO_COMMON_CODEC', 'the peer rejected the audio stream (port 0)');
  return m;
}

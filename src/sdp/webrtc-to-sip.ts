import { SdpError } from './errors.js';
import { parseSdp, type ParsedMedia, type ParsedSdp } from './parse.js';
import {
  DEFAULT_DTMF_8K_PT, DEFAULT_G711_ORDER, dtmfSpec, freeDynamicPt, g711Name, g711Spec, isDtmf, isG711, isOpus, sameName,
  type G711Name,
} from './codecs.js';
import { finishDescription, noteRemoteIce, slotsOf, withSlots, type CallSdpLegs, type MediaSlot } from './leg-state.js';
import { constrainAnswerDirection, describeRemote, effectiveDirection } from './media-info.js';
import { rejectedSection, sipAudioSection, sipSessionLines } from './sections.js';
import { answerSlot, requireIceAndDtls, selectAudio, WEBRTC_PROTO } from './select.js';
import { originValue, validateSipLocal } from './write.js';
import { isSupportedCryptoSuite } from './crypto-attr.js';
import type { PendingSipOffer } from './sip-to-webrtc.js';
import type {
  AnswerTranslation, CodecPlan, CodecSpec, CryptoAttribute, MediaDirection, OfferTranslation, SipLocalMedia, SipProfile, SrtpKeys,
} from './types.js';

/** Default packetization time on the SIP leg (RFC 3551 §4.5: 20 ms for G.711). */
export const DEFAULT_SIP_PTIME = 20;

/** Options of {@link webrtcOfferToSip}. */
export interface WebRtcOfferToSipOptions {
  /** How to talk to the SIP peer (see {@link SipProfile}). */
  readonly profile: SipProfile;
  /** Our SIP-leg address, port, RTCP port and (for SDES profiles) keys. */
  readonly local: SipLocalMedia;
  /** Both legs' state. */
  readonly legs: CallSdpLegs;
  /** Allow Opus↔G.711 transcoding. Default true. */
  readonly allowTranscode?: boolean;
  /** Order of the G.711 codecs offered for transcoding. Default PCMU, PCMA. */
  readonly g711Order?: readonly G711Name[];
  /** a=ptime on the SIP leg. Default 20. */
  readonly ptime?: number;
  /** Maximum SDP size. Default 64 KiB. */
  readonly maxSize?: number;
}

/** What {@link sipAnswerToWebrtc} needs to know about the offer pair. */
export interface PendingWebRtcOffer {
  readonly kind: 'webrtc-to-sip';
  /** The browser's offer. */
  readonly webrtcOffer: ParsedSdp;
  /** Index of the audio m-line used (same slot on both legs). */
  readonly audioIndex: number;
  readonly profile: SipProfile;
  /** The codecs (SIP payload types) we offered to the SIP peer, DTMF excluded. */
  readonly sipCodecs: readonly CodecSpec[];
  /** telephone-event/8000 we offered to the SIP peer, if any. */
  readonly sipDtmf?: CodecSpec;
  /** Codecs of `sipCodecs` that the browser offered too (no transcoding). */
  readonly passthrough: readonly G711Name[];
  /** Our offered SDES keys on the SIP leg. */
  readonly crypto: readonly CryptoAttribute[];
  /** Direction of the browser's offer (= the one we relayed). */
  readonly direction: MediaDirection;
  readonly ptime: number;
  /** m-line count of the SIP offer we wrote. */
  readonly sipMLineCount: number;
}

/**
 * A format for a disabled RTP m-line on the SIP leg: the first one if static,
 * else PCMU (audio) or H263 (video), so that no dynamic payload type appears
 * without its a=rtpmap (some SIP stacks reject that even with port 0).
 */
function staticFmt(m: ParsedMedia): string {
  const first = m.fmts[0];
  if (/^\d+$/.test(first) && Number(first) < 96) return first;
  return m.kind === 'video' ? '34' : '0';
}

function sipProto(profile: SipProfile): string {
  return profile === 'sdes' ? 'RTP/SAVP' : 'RTP/AVP';
}

function checkProfile(p: unknown): asserts p is SipProfile {
  if (p !== 'avp' && p !== 'sdes' && p !== 'sdes-optional') {
    throw new SdpError('ERR_SDP_INVALID_OPTIONS', `unknown SIP profile ${String(p).slice(0, 20)}`);
  }
}

function checkPtime(ptime: unknown): number {
  if (ptime === undefined) return DEFAULT_SIP_PTIME;
  if (typeof ptime !== 'number' || !Number.isInteger(ptime) || ptime < 10 || ptime > 120 || ptime % 10 !== 0) {
    throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'ptime must be 10-120 ms in steps of 10');
  }
  return ptime;
}

/**
 * WebRTC offer → SIP offer (browser calls a phone).
 *
 * Codec policy: the G.711 codecs the browser offered are offered first, for
 * passthrough; when transcoding is allowed and the browser offered Opus, the
 * remaining G.711 codecs (PCMU, PCMA by default) follow as transcoding
 * targets. telephone-event/8000 is passed through, or mapped from
 * telephone-event/48000 (RFC 4733 §7.1.1). ICE, DTLS, BUNDLE, mid, msid,
 * ssrc, extmap, rtcp-fb, rtcp-mux and rtcp-rsize are removed; the direction is
 * kept; a=rtcp (RFC 3605) and a=ptime are added. Other m-lines keep their slot
 * with port 0 (RFC 3264 §8.2).
 *
 * @throws SdpError ERR_SDP_PARSE, ERR_SDP_TOO_LARGE, ERR_SDP_NO_AUDIO, ERR_SDP_UNSUPPORTED_PROFILE,
 *   ERR_SDP_NO_COMMON_CODEC, ERR_SDP_MISSING_ICE, ERR_SDP_MISSING_FINGERPRINT, ERR_SDP_INVALID_OPTIONS
 */
export function webrtcOfferToSip(offerSdp: string, opts: WebRtcOfferToSipOptions): OfferTranslation<PendingWebRtcOffer> {
  checkProfile(opts.profile);
  const ptime = checkPtime(opts.ptime);
  validateSipLocal(opts.local, opts.profile !== 'avp');
  const allowTranscode = opts.allowTranscode ?? true;
  const g711Order = opts.g711Order ?? DEFAULT_G711_ORDER;
  if (!Array.isArray(g711Order) || g711Order.some((n) => n !== 'PCMU' && n !== 'PCMA')) {
    throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'g711Order must list PCMU and/or PCMA');
  }
  const offer = parseSdp(offerSdp, { maxSize: opts.maxSize });

  const usable = (m: ParsedMedia): boolean => m.codecs.some(isG711) || (allowTranscode && m.codecs.some(isOpus));
  const audio = selectAudio(offer, WEBRTC_PROTO, 'WebRTC', usable);
  requireIceAndDtls(audio);

  const passthrough: G711Name[] = [];
  for (const c of audio.codecs) {
    const n = g711Name(c);
    if (n !== undefined && !passthrough.includes(n)) passthrough.push(n);
  }
  const sipCodecs: CodecSpec[] = passthrough.map(g711Spec);
  if (allowTranscode && audio.codecs.some(isOpus)) {
    for (const n of g711Order) if (!passthrough.includes(n) && !sipCodecs.some((c) => c.name === n)) sipCodecs.push(g711Spec(n));
  }
  const dtmf8k = audio.codecs.find((c) => isDtmf(c) && c.clockRate === 8000);
  const dtmf48k = audio.codecs.find((c) => isDtmf(c) && c.clockRate === 48000);
  let sipDtmf: CodecSpec | undefined;
  const used = new Set(sipCodecs.map((c) => c.pt));
  if (dtmf8k) {
    // passthrough: keep the browser's payload type and events (no fmtp means 0-15, RFC 4733 §7.1.1)
    sipDtmf = dtmfSpec(used.has(dtmf8k.pt) ? freeDynamicPt(used, DEFAULT_DTMF_8K_PT) : dtmf8k.pt, 8000, dtmf8k.fmtp ?? '0-15');
  } else if (dtmf48k) {
    sipDtmf = dtmfSpec(freeDynamicPt(used, DEFAULT_DTMF_8K_PT), 8000, dtmf48k.fmtp ?? '0-15');
  }

  const crypto = opts.profile === 'avp' ? [] : (opts.local.crypto ?? []);
  const { direction } = effectiveDirection(audio);
  const legs0 = opts.legs;
  const sipLeg = legs0.sip;
  const { state: webrtcLeg, iceRestart } = noteRemoteIce(legs0.webrtc, audio.iceUfrag);

  const proto = sipProto(opts.profile);
  const lines = sipSessionLines(sipLeg, opts.local.address);
  const count = Math.max(offer.media.length, sipLeg.slots.length);
  const sipSlots: MediaSlot[] = [];
  for (let i = 0; i < count; i++) {
    const m = offer.media[i];
    if (m === audio) {
      lines.push(...sipAudioSection({
        proto, port: opts.local.port, rtcpPort: opts.local.rtcpPort,
        codecs: sipDtmf ? [...sipCodecs, sipDtmf] : sipCodecs, crypto, ptime, direction,
      }));
    } else if (m !== undefined) {
      lines.push(...rejectedSection(m.kind, m.proto.includes('RTP') ? proto : m.proto, m.proto.includes('RTP') ? staticFmt(m) : m.fmts[0]));
    } else {
      // RFC 3264 §8: a re-offer never has fewer m-lines than the previous description on this leg
      const kind = sipLeg.slots[i].kind;
      lines.push(...rejectedSection(kind, proto, kind === 'video' ? '34' : '0'));
    }
    sipSlots.push({ kind: m?.kind ?? sipLeg.slots[i].kind });
  }

  const pending: PendingWebRtcOffer = {
    kind: 'webrtc-to-sip', webrtcOffer: offer, audioIndex: audio.index, profile: opts.profile, sipCodecs,
    ...(sipDtmf ? { sipDtmf } : {}), passthrough, crypto, direction, ptime, sipMLineCount: count,
  };
  const done = finishDescription(sipLeg, lines, (v) => originValue(sipLeg, opts.local.address, v));
  return {
    sdp: done.sdp,
    changed: done.changed,
    legs: { sip: withSlots(done.leg, sipSlots), webrtc: withSlots(webrtcLeg, slotsOf(offer)) },
    pending,
    remote: describeRemote(offer, audio),
    iceRestart,
  };
}

/** Options of {@link webrtcAnswerToSip}. */
export interface WebRtcAnswerToSipOptions {
  /** `pending` from {@link sipOfferToWebrtc}. */
  readonly pending: PendingSipOffer;
  /** Our SIP-leg media; `crypto` holds our keys when the SIP offer asked for SDES. */
  readonly local: SipLocalMedia;
  readonly legs: CallSdpLegs;
  /** a=ptime when the SIP offer had none. Default 20. */
  readonly ptime?: number;
  readonly maxSize?: number;
}

/**
 * Picks our answer crypto (RFC 4568 §7.1.2): the first offered line with a
 * suite we have a key for and no session parameters we do not implement; it
 * keeps the offer's tag and carries our key.
 */
export function chooseAnswerCrypto(offered: readonly CryptoAttribute[], ours: readonly CryptoAttribute[]): SrtpKeys | undefined {
  for (const remote of offered) {
    if (!isSupportedCryptoSuite(remote.suite) || remote.sessionParams.length > 0 || remote.keyParams.length !== 1) continue;
    const mine = ours.find((c) => c.suite === remote.suite);
    if (mine) return { remote, local: { ...mine, tag: remote.tag, sessionParams: [] } };
  }
  return undefined;
}

/**
 * WebRTC answer → SIP answer (a phone called the browser). The SIP answer
 * carries the codec the browser picked (first format of its answer, RFC 3264
 * §6.1) when it is G.711 (passthrough), or the SIP offer's first G.711 codec
 * when the browser picked Opus (transcode); telephone-event/8000 when the
 * browser accepted telephone-event. m-line count and order follow the SIP offer.
 *
 * @throws SdpError ERR_SDP_PARSE, ERR_SDP_ANSWER_MISMATCH, ERR_SDP_NO_COMMON_CODEC, ERR_SDP_MISSING_ICE,
 *   ERR_SDP_MISSING_FINGERPRINT, ERR_SDP_NO_CRYPTO, ERR_SDP_INVALID_OPTIONS
 */
export function webrtcAnswerToSip(answerSdp: string, opts: WebRtcAnswerToSipOptions): AnswerTranslation {
  const p = opts.pending;
  if (p === null || typeof p !== 'object' || p.kind !== 'sip-to-webrtc') throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'pending must come from sipOfferToWebrtc');
  const defaultPtime = checkPtime(opts.ptime);
  const answer = parseSdp(answerSdp, { maxSize: opts.maxSize });
  const audio = answerSlot(answer, p.webrtcAudioIndex, p.webrtcMLineCount);
  if (!WEBRTC_PROTO.test(audio.proto)) throw new SdpError('ERR_SDP_ANSWER_MISMATCH', 'WebRTC answer changed the transport profile');
  requireIceAndDtls(audio);
  if (audio.setup === 'actpass') throw new SdpError('ERR_SDP_ANSWER_MISMATCH', 'WebRTC answer uses setup:actpass (RFC 5763 §5: active or passive)');

  // The browser's choice: first format of its answer that we offered.
  const chosen = audio.codecs.find((c) => !isDtmf(c) && p.webrtcCodecs.some((o) => o.pt === c.pt && sameName(o.name, c.name)));
  if (!chosen) throw new SdpError('ERR_SDP_NO_COMMON_CODEC', 'WebRTC answer selected no codec we offered');
  const sipAudio = p.sipOffer.media[p.sipAudioIndex];
  let plan: Omit<CodecPlan, 'sipPtime' | 'webrtcDtmf' | 'sipDtmf'>;
  if (isG711(chosen)) {
    const sip = sipAudio.codecs.find((c) => isG711(c) && g711Name(c) === g711Name(chosen));
    if (!sip) throw new SdpError('ERR_SDP_ANSWER_MISMATCH', 'WebRTC answer selected a G.711 codec the SIP offer lacks');
    plan = { mode: 'passthrough', webrtc: chosen, sip };
  } else if (isOpus(chosen)) {
    const sip = sipAudio.codecs.find(isG711);
    if (!sip) throw new SdpError('ERR_SDP_NO_COMMON_CODEC', 'SIP offer has no G.711 codec to transcode to');
    plan = { mode: 'transcode', webrtc: chosen, sip };
  } else {
    throw new SdpError('ERR_SDP_NO_COMMON_CODEC', `WebRTC answer selected unsupported codec ${chosen.name.slice(0, 32)}`);
  }
  const webrtcDtmf = audio.codecs.find((c) => isDtmf(c) && c.clockRate === plan.webrtc.clockRate);
  const sipDtmfOffered = sipAudio.codecs.find((c) => isDtmf(c) && c.clockRate === 8000);
  const sipDtmf = webrtcDtmf && sipDtmfOffered ? sipDtmfOffered : undefined;

  // SDES on the SIP leg (RFC 4568 §7.1.2).
  const wantsSrtp = sipAudio.proto.startsWith('RTP/SAVP');
  const srtp = sipAudio.crypto.length > 0 ? chooseAnswerCrypto(sipAudio.crypto, opts.local.crypto ?? []) : undefined;
  validateSipLocal(opts.local, wantsSrtp);
  if (wantsSrtp && !srtp) throw new SdpError('ERR_SDP_NO_CRYPTO', 'no SDES crypto-suite in common with the SIP offer');

  const sipPtime = sipAudio.ptime !== undefined && sipAudio.ptime % 10 === 0 && sipAudio.ptime <= 120 ? sipAudio.ptime : defaultPtime;
  const offerDirection = effectiveDirection(sipAudio).direction;
  const direction = constrainAnswerDirection(offerDirection, effectiveDirection(audio).direction);

  const sipLeg = opts.legs.sip;
  const { state: webrtcLeg, iceRestart } = noteRemoteIce(opts.legs.webrtc, audio.iceUfrag);
  const lines = sipSessionLines(sipLeg, opts.local.address);
  for (const m of p.sipOffer.media) {
    if (m === sipAudio) {
      lines.push(...sipAudioSection({
        proto: sipAudio.proto, port: opts.local.port, rtcpPort: opts.local.rtcpPort,
        codecs: sipDtmf ? [plan.sip, sipDtmf] : [plan.sip], crypto: srtp ? [srtp.local] : [], ptime: sipPtime, direction,
      }));
    } else {
      lines.push(...rejectedSection(m.kind, m.proto, m.fmts[0]));
    }
  }
  const fullPlan: CodecPlan = {
    ...plan,
    ...(webrtcDtmf && sipDtmf ? { webrtcDtmf, sipDtmf } : {}),
    sipPtime,
  };
  const done = finishDescription(sipLeg, lines, (v) => originValue(sipLeg, opts.local.address, v));
  return {
    sdp: done.sdp,
    changed: done.changed,
    legs: { sip: withSlots(done.leg, slotsOf(p.sipOffer)), webrtc: withSlots(webrtcLeg, slotsOf(answer)) },
    plan: fullPlan,
    remote: describeRemote(answer, audio),
    ...(srtp ? { srtp } : {}),
    direction,
    iceRestart,
  };
}

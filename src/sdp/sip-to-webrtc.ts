import { SdpError } from './errors.js';
import { parseSdp, type ParsedMedia, type ParsedSdp } from './parse.js';
import {
  DEFAULT_DTMF_48K_PT, DEFAULT_OPUS_PT, dtmfSpec, freeDynamicPt, g711Name, g711Spec, isDtmf, isG711, isOpus, opusSpec, sameName, OPUS_FMTP,
  type G711Name,
} from './codecs.js';
import { isSupportedCryptoSuite } from './crypto-attr.js';
import { finishDescription, noteRemoteIce, slotsOf, withSlots, type CallSdpLegs, type MediaSlot } from './leg-state.js';
import { constrainAnswerDirection, describeRemote, effectiveDirection } from './media-info.js';
import { rejectedSection, webrtcAudioSection, webrtcSessionLines } from './sections.js';
import { answerSlot, selectAudio, SIP_PROTO } from './select.js';
import { originValue, validateWebRtcLocal } from './write.js';
import type { PendingWebRtcOffer } from './webrtc-to-sip.js';
import type { AnswerTranslation, CodecPlan, CodecSpec, MediaDirection, OfferTranslation, SrtpKeys, WebRtcLocalMedia } from './types.js';

/** Options of {@link sipAnswerToWebrtc}. */
export interface SipAnswerToWebRtcOptions {
  /** `pending` from {@link webrtcOfferToSip}. */
  readonly pending: PendingWebRtcOffer;
  /** Our WebRTC-leg media (ICE, fingerprint, SSRC). */
  readonly local: WebRtcLocalMedia;
  readonly legs: CallSdpLegs;
  /**
   * Our DTLS role as answerer (RFC 5763 §5: `active` or `passive`). Default
   * `passive`. If the offer was not `actpass`, the only role it allows is used.
   */
  readonly setup?: 'active' | 'passive';
  readonly maxSize?: number;
}

function answerSetup(offered: string | undefined, wanted: 'active' | 'passive'): 'active' | 'passive' {
  if (offered === 'active') return 'passive';
  if (offered === 'passive') return 'active';
  return wanted;
}

/**
 * SIP answer → WebRTC answer (browser called a phone). Writes
 * UDP/TLS/RTP/SAVPF with our ICE credentials and candidates, fingerprint,
 * setup (RFC 5763 §5), the offer's mid and BUNDLE group (RFC 9143 §7.3),
 * rtcp-mux, our SSRC/msid, and the codec actually used: the SIP peer's G.711
 * codec when the browser offered it (passthrough), else Opus with
 * `minptime=10;useinbandfec=1` (transcode). telephone-event is included with
 * the clock of that codec when both sides have it. Rejected m-lines keep
 * their slot with port 0 (RFC 3264 §6).
 *
 * @throws SdpError ERR_SDP_PARSE, ERR_SDP_ANSWER_MISMATCH, ERR_SDP_NO_COMMON_CODEC, ERR_SDP_NO_CRYPTO,
 *   ERR_SDP_INVALID_OPTIONS
 */
export function sipAnswerToWebrtc(answerSdp: string, opts: SipAnswerToWebRtcOptions): AnswerTranslation {
  const p = opts.pending;
  if (p === null || typeof p !== 'object' || p.kind !== 'webrtc-to-sip') throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'pending must come from webrtcOfferToSip');
  const wanted = opts.setup ?? 'passive';
  if (wanted !== 'active' && wanted !== 'passive') throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'setup must be active or passive');
  validateWebRtcLocal(opts.local);
  const answer = parseSdp(answerSdp, { maxSize: opts.maxSize });
  const audio = answerSlot(answer, p.audioIndex, p.sipMLineCount);
  if (!SIP_PROTO.test(audio.proto)) throw new SdpError('ERR_SDP_ANSWER_MISMATCH', `SIP answer uses transport ${audio.proto.slice(0, 32)}`);

  // The SIP peer's choice: first format of its answer that we offered (RFC 3264 §6.1).
  const sip = audio.codecs.find((c) => !isDtmf(c) && p.sipCodecs.some((o) => sameName(o.name, c.name) && o.clockRate === c.clockRate));
  if (!sip) throw new SdpError('ERR_SDP_NO_COMMON_CODEC', 'SIP answer selected no codec we offered');
  const browserAudio = p.webrtcOffer.media[p.audioIndex];
  const name = g711Name(sip);
  const browserSame = browserAudio.codecs.find((c) => name !== undefined && g711Name(c) === name);
  const browserOpus = browserAudio.codecs.find(isOpus);
  let plan: Omit<CodecPlan, 'sipPtime'>;
  if (browserSame) {
    plan = { mode: 'passthrough', webrtc: browserSame, sip };
  } else if (browserOpus) {
    plan = { mode: 'transcode', webrtc: { ...browserOpus, channels: 2, fmtp: OPUS_FMTP }, sip };
  } else {
    throw new SdpError('ERR_SDP_NO_COMMON_CODEC', 'SIP answer selected a codec the browser cannot use');
  }
  const sipDtmfAnswered = p.sipDtmf ? audio.codecs.find((c) => isDtmf(c) && c.clockRate === 8000) : undefined;
  const browserDtmf = browserAudio.codecs.find((c) => isDtmf(c) && c.clockRate === plan.webrtc.clockRate);
  if (sipDtmfAnswered && browserDtmf) plan = { ...plan, webrtcDtmf: browserDtmf, sipDtmf: sipDtmfAnswered };

  // SDES (RFC 4568 §7.1.3): the answer's crypto must answer one of our tags with the same suite.
  let srtp: SrtpKeys | undefined;
  for (const remote of audio.crypto) {
    const local = p.crypto.find((c) => c.tag === remote.tag && c.suite === remote.suite);
    if (local && isSupportedCryptoSuite(remote.suite) && remote.sessionParams.length === 0) {
      srtp = { local, remote };
      break;
    }
  }
  if (p.profile === 'sdes' && !srtp) throw new SdpError('ERR_SDP_NO_CRYPTO', 'SIP answer has no usable a=crypto for RTP/SAVP');
  if (p.profile === 'avp') srtp = undefined;

  const answerDir = effectiveDirection(audio).direction;
  const direction = constrainAnswerDirection(p.direction, answerDir);
  const webrtcLeg0 = opts.legs.webrtc;
  const offer = p.webrtcOffer;
  const audioMid = browserAudio.mid;
  const bundle = offer.bundles.find((g) => audioMid !== undefined && g.includes(audioMid));
  const lines = webrtcSessionLines(webrtcLeg0, opts.local, bundle && audioMid !== undefined ? [audioMid] : []);
  for (const m of offer.media) {
    if (m === browserAudio) {
      lines.push(...webrtcAudioSection({
        port: opts.local.port, mid: m.mid, proto: m.proto,
        codecs: plan.webrtcDtmf ? [plan.webrtc, plan.webrtcDtmf] : [plan.webrtc],
        local: opts.local, setup: answerSetup(m.setup, wanted), direction,
      }));
    } else {
      lines.push(...rejectedSection(m.kind, m.proto, m.fmts[0], m.mid));
    }
  }
  const sipPtime = audio.ptime ?? p.ptime;
  const done = finishDescription(webrtcLeg0, lines, (v) => originValue(webrtcLeg0, opts.local.address, v));
  return {
    sdp: done.sdp,
    changed: done.changed,
    legs: { webrtc: withSlots(done.leg, slotsOf(offer)), sip: withSlots(opts.legs.sip, slotsOf(answer)) },
    plan: { ...plan, sipPtime },
    remote: describeRemote(answer, audio),
    ...(srtp ? { srtp } : {}),
    direction,
    iceRestart: false,
  };
}

/** Options of {@link sipOfferToWebrtc}. */
export interface SipOfferToWebRtcOptions {
  /** Our WebRTC-leg media (ICE, fingerprint, SSRC). */
  readonly local: WebRtcLocalMedia;
  readonly legs: CallSdpLegs;
  /** Offer Opus too (transcoding to the SIP offer's G.711). Default true. */
  readonly allowTranscode?: boolean;
  /** Put Opus before G.711 (the browser then prefers transcoding). Default false: passthrough first. */
  readonly preferOpus?: boolean;
  readonly maxSize?: number;
}

/** What {@link webrtcAnswerToSip} needs to know about the offer pair. */
export interface PendingSipOffer {
  readonly kind: 'sip-to-webrtc';
  /** The SIP peer's offer. */
  readonly sipOffer: ParsedSdp;
  readonly sipAudioIndex: number;
  /** Index of the audio m-line in the WebRTC offer we wrote. */
  readonly webrtcAudioIndex: number;
  readonly webrtcMLineCount: number;
  /** The codecs (WebRTC payload types) we offered to the browser, DTMF included. */
  readonly webrtcCodecs: readonly CodecSpec[];
  /** G.711 codecs offered to the browser for passthrough. */
  readonly passthrough: readonly G711Name[];
  /** Direction of the SIP offer (legacy hold mapped). */
  readonly direction: MediaDirection;
}

function sipUsable(m: ParsedMedia): boolean {
  return m.codecs.some(isG711);
}

function uniqueMid(wanted: string | undefined, index: number, taken: Set<string>): string {
  let mid = wanted ?? String(index);
  while (taken.has(mid)) mid = `${mid}x`;
  taken.add(mid);
  return mid;
}

/**
 * SIP offer → WebRTC offer (a phone calls the browser). Writes
 * UDP/TLS/RTP/SAVPF with `setup:actpass` (RFC 5763 §5), ICE, rtcp-mux,
 * BUNDLE and mid, our SSRC; codecs: the SIP offer's G.711 codecs
 * (passthrough) and Opus (transcode, unless disabled), telephone-event/8000
 * and /48000 when the SIP offer has telephone-event. RTP/SAVP offers need an
 * AES_CM_128_HMAC_SHA1_80/32 a=crypto; DTLS-SRTP or other profiles from a SIP
 * peer are refused. Other m-lines keep their slot with port 0; on re-offers the
 * slots and mids of the previous negotiation are kept (RFC 3264 §8).
 *
 * @throws SdpError ERR_SDP_PARSE, ERR_SDP_TOO_LARGE, ERR_SDP_NO_AUDIO, ERR_SDP_UNSUPPORTED_PROFILE,
 *   ERR_SDP_NO_COMMON_CODEC, ERR_SDP_NO_CRYPTO, ERR_SDP_INVALID_OPTIONS
 */
export function sipOfferToWebrtc(offerSdp: string, opts: SipOfferToWebRtcOptions): OfferTranslation<PendingSipOffer> {
  validateWebRtcLocal(opts.local);
  const allowTranscode = opts.allowTranscode ?? true;
  const offer = parseSdp(offerSdp, { maxSize: opts.maxSize });
  const audio = selectAudio(offer, SIP_PROTO, 'SIP', sipUsable);
  if (audio.proto.startsWith('RTP/SAVP') && !audio.crypto.some((c) => isSupportedCryptoSuite(c.suite) && c.sessionParams.length === 0 && c.keyParams.length === 1)) {
    throw new SdpError('ERR_SDP_NO_CRYPTO', 'RTP/SAVP offer without a supported a=crypto (AES_CM_128_HMAC_SHA1_80/32)');
  }

  const passthrough: G711Name[] = [];
  for (const c of audio.codecs) {
    const n = g711Name(c);
    if (n !== undefined && !passthrough.includes(n)) passthrough.push(n);
  }
  const g711 = passthrough.map(g711Spec);
  const used = new Set<number>(g711.map((c) => c.pt));
  const audioCodecs: CodecSpec[] = [];
  let opus: CodecSpec | undefined;
  if (allowTranscode) {
    opus = opusSpec(freeDynamicPt(used, DEFAULT_OPUS_PT));
    used.add(opus.pt);
  }
  if (opus && opts.preferOpus === true) audioCodecs.push(opus, ...g711);
  else audioCodecs.push(...g711, ...(opus ? [opus] : []));
  const sipDtmf = audio.codecs.find((c) => isDtmf(c) && c.clockRate === 8000);
  const dtmf: CodecSpec[] = [];
  if (sipDtmf) {
    const pt8k = !used.has(sipDtmf.pt) && sipDtmf.pt >= 96 ? sipDtmf.pt : freeDynamicPt(used, 126);
    used.add(pt8k);
    dtmf.push(dtmfSpec(pt8k, 8000, sipDtmf.fmtp ?? '0-15'));
    if (opus) {
      const pt48k = freeDynamicPt(used, DEFAULT_DTMF_48K_PT);
      used.add(pt48k);
      dtmf.push(dtmfSpec(pt48k, 48000, sipDtmf.fmtp ?? '0-15'));
    }
  }
  const webrtcCodecs = [...audioCodecs, ...dtmf];

  const { direction } = effectiveDirection(audio);
  const webrtcLeg = opts.legs.webrtc;
  const { state: sipLeg, iceRestart } = noteRemoteIce(opts.legs.sip, undefined);
  const count = Math.max(offer.media.length, webrtcLeg.slots.length);
  const taken = new Set<string>();
  const mids: string[] = [];
  for (let i = 0; i < count; i++) mids.push(uniqueMid(webrtcLeg.slots[i]?.mid, i, taken));
  const audioMid = mids[audio.index];
  const lines = webrtcSessionLines(webrtcLeg, opts.local, [audioMid]);
  const slots: MediaSlot[] = [];
  for (let i = 0; i < count; i++) {
    const m = offer.media[i];
    if (m === audio) {
      lines.push(...webrtcAudioSection({ port: opts.local.port, mid: audioMid, codecs: webrtcCodecs, local: opts.local, setup: 'actpass', direction }));
      slots.push({ kind: 'audio', mid: audioMid });
    } else {
      const kind = m?.kind ?? webrtcLeg.slots[i].kind;
      const isRtpKind = kind === 'audio' || kind === 'video';
      const proto = isRtpKind ? 'UDP/TLS/RTP/SAVPF' : (m?.proto ?? 'UDP/TLS/RTP/SAVPF');
      const fmt = isRtpKind && m !== undefined && !/^\d+$/.test(m.fmts[0]) ? '0' : (m?.fmts[0] ?? '0');
      lines.push(...rejectedSection(kind, proto, fmt, mids[i]));
      slots.push({ kind, mid: mids[i] });
    }
  }
  const pending: PendingSipOffer = {
    kind: 'sip-to-webrtc', sipOffer: offer, sipAudioIndex: audio.index, webrtcAudioIndex: audio.index, webrtcMLineCount: count,
    webrtcCodecs, passthrough, direction,
  };
  const done = finishDescription(webrtcLeg, lines, (v) => originValue(webrtcLeg, opts.local.address, v));
  return {
    sdp: done.sdp,
    changed: done.changed,
    legs: { webrtc: withSlots(done.leg, slots), sip: withSlots(sipLeg, slotsOf(offer)) },
    pending,
    remote: describeRemote(offer, audio),
    iceRestart,
  };
}

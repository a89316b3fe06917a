import { SdpError } from './errors.js';
import { parseSdp, type ParsedMedia, type ParsedSdp } from './parse.js';
import { isDtmf, isG711, isOpus, sameName } from './codecs.js';
import { finishDescription, noteRemoteIce, slotsOf, withSlots, type MediaSlot, type SdpLegState } from './leg-state.js';
import { constrainAnswerDirection, describeRemote, effectiveDirection } from './media-info.js';
import { rejectedSection, webrtcAudioSection, webrtcSessionLines } from './sections.js';
import { answerSlot, requireIceAndDtls, selectAudio, WEBRTC_PROTO } from './select.js';
import { originValue, validateWebRtcLocal } from './write.js';
import type { CodecSpec, MediaDirection, RemoteMedia, WebRtcLocalMedia } from './types.js';

/**
 * The SDP state of the two WebRTC legs of a browser → browser call, named by their role in the
 * offer/answer exchange being translated: `offerer` is the leg the offer came from (it gets the
 * translated answer), `answerer` the leg the translated offer goes to. A re-offer from the callee
 * swaps them.
 */
export interface RelayLegs {
  readonly offerer: SdpLegState;
  readonly answerer: SdpLegState;
}

/** Options of {@link webrtcOfferToWebrtc}. */
export interface WebRtcOfferToWebRtcOptions {
  /** Our media on the answerer's leg (ICE credentials and candidates, fingerprint, SSRC). */
  readonly local: WebRtcLocalMedia;
  readonly legs: RelayLegs;
  /**
   * `a=setup` of the offer: `actpass` for a new DTLS association (default, RFC 5763 §5), or our
   * established role on that leg in a subsequent offer (RFC 8842 §5.5 allows active/passive).
   */
  readonly setup?: 'actpass' | 'active' | 'passive';
  readonly maxSize?: number;
}

/** What {@link webrtcAnswerToWebrtc} needs to know about the offer pair. */
export interface PendingWebRtcRelay {
  readonly kind: 'webrtc-to-webrtc';
  /** The offer as received from the offerer. */
  readonly offer: ParsedSdp;
  /** Index of the audio m-line (same slot in the offer received and the offer we wrote). */
  readonly audioIndex: number;
  /** m-line count of the offer we wrote. */
  readonly relayMLineCount: number;
  /** The codecs we offered (the offerer's payload types), telephone-event included. */
  readonly codecs: readonly CodecSpec[];
  /** Direction of the offer (= the one we relayed). */
  readonly direction: MediaDirection;
}

/**
 * The codec decision of a browser → browser exchange: the same codec on both legs (the
 * answerer's choice among what the offerer offered), relayed without decoding. Each leg's
 * payload type is given; telephone-event at that codec's clock rate when both sides have it.
 */
export interface RelayCodecPlan {
  readonly mode: 'passthrough';
  /** Codec on the offerer's leg (its payload type; the answerer's fmtp, written in our answer). */
  readonly offerer: CodecSpec;
  /** Codec on the answerer's leg (as it answered). */
  readonly answerer: CodecSpec;
  readonly offererDtmf?: CodecSpec;
  readonly answererDtmf?: CodecSpec;
}

/** Result of {@link webrtcOfferToWebrtc}. */
export interface RelayOfferTranslation {
  /** The offer to send to the answerer. */
  readonly sdp: string;
  /** False when identical to the last description we sent on the answerer's leg (same o= version, RFC 3264 §8). */
  readonly changed: boolean;
  readonly legs: RelayLegs;
  readonly pending: PendingWebRtcRelay;
  /** The offerer's media (ICE, DTLS, direction), for the media engine. */
  readonly remote: RemoteMedia;
  /** The offerer changed its ICE ufrag (RFC 8839 §4.4.1.1.1). */
  readonly iceRestart: boolean;
}

/** Result of {@link webrtcAnswerToWebrtc}. */
export interface RelayAnswerTranslation {
  /** The answer to send to the offerer. */
  readonly sdp: string;
  readonly changed: boolean;
  readonly legs: RelayLegs;
  readonly plan: RelayCodecPlan;
  /** The answerer's media, for the media engine. */
  readonly remote: RemoteMedia;
  /** The direction written in the answer to the offerer. */
  readonly direction: MediaDirection;
  /** The answerer changed its ICE ufrag. */
  readonly iceRestart: boolean;
}

function relayUsable(m: ParsedMedia): boolean {
  return m.codecs.some((c) => isOpus(c) || isG711(c));
}

function uniqueMid(wanted: string | undefined, index: number, taken: Set<string>): string {
  let mid = wanted ?? String(index);
  while (taken.has(mid)) mid = `${mid}x`;
  taken.add(mid);
  return mid;
}

function answerSetup(offered: string | undefined, wanted: 'active' | 'passive'): 'active' | 'passive' {
  if (offered === 'active') return 'passive';
  if (offered === 'passive') return 'active';
  return wanted;
}

/**
 * The codecs relayed from a browser's offer: Opus first (payload type and fmtp as offered), then
 * PCMU/PCMA in the offer's order, then every telephone-event as offered (RFC 4733). Other
 * formats (red, G722, CN, …) are left out: the relay passes one codec through without decoding.
 */
function relayCodecs(m: ParsedMedia): CodecSpec[] {
  const opus = m.codecs.find(isOpus);
  const g711 = m.codecs.filter(isG711);
  const dtmf = m.codecs.filter((c) => isDtmf(c) && (c.clockRate === 48000 || c.clockRate === 8000));
  return [...(opus ? [opus] : []), ...g711, ...dtmf];
}

/**
 * WebRTC offer → WebRTC offer (browser calls browser through Tandem, or a re-offer from either
 * browser). Tandem terminates ICE and DTLS-SRTP on both legs (B2BUA), so the offer carries our
 * own ICE credentials and candidates, fingerprint and `setup` (actpass unless given, RFC 5763 §5
 * / RFC 8842 §5.5), rtcp-mux (RFC 5761), a BUNDLE group of the audio mid (RFC 9143), our SSRC and
 * msid; codecs: Opus preferred, then PCMU/PCMA, then telephone-event, each only as the offerer
 * offered it, with its payload type and fmtp. Header extensions, rtcp-fb, red/G722/CN and the
 * offerer's SSRCs are not relayed. Other m-lines (video, data channel) keep their slot with port
 * 0; on re-offers the slots and mids of the previous negotiation on that leg are kept (RFC 3264 §8).
 *
 * @throws SdpError ERR_SDP_PARSE, ERR_SDP_TOO_LARGE, ERR_SDP_NO_AUDIO, ERR_SDP_UNSUPPORTED_PROFILE,
 *   ERR_SDP_NO_COMMON_CODEC, ERR_SDP_MISSING_ICE, ERR_SDP_MISSING_FINGERPRINT, ERR_SDP_INVALID_OPTIONS
 */
export function webrtcOfferToWebrtc(offerSdp: string, opts: WebRtcOfferToWebRtcOptions): RelayOfferTranslation {
  validateWebRtcLocal(opts.local);
  const setup = opts.setup ?? 'actpass';
  if (setup !== 'actpass' && setup !== 'active' && setup !== 'passive') throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'setup must be actpass, active or passive');
  const offer = parseSdp(offerSdp, { maxSize: opts.maxSize });
  const audio = selectAudio(offer, WEBRTC_PROTO, 'WebRTC', relayUsable);
  requireIceAndDtls(audio);
  const codecs = relayCodecs(audio);
  const { direction } = effectiveDirection(audio);
  const { state: offererLeg, iceRestart } = noteRemoteIce(opts.legs.offerer, audio.iceUfrag);
  const target = opts.legs.answerer;
  const count = Math.max(offer.media.length, target.slots.length);
  const taken = new Set<string>();
  const mids: string[] = [];
  for (let i = 0; i < count; i++) mids.push(uniqueMid(target.slots[i]?.mid ?? offer.media[i]?.mid, i, taken));
  const audioMid = mids[audio.index];
  const lines = webrtcSessionLines(target, opts.local, [audioMid]);
  const slots: MediaSlot[] = [];
  for (let i = 0; i < count; i++) {
    const m = offer.media[i];
    if (m === audio) {
      lines.push(...webrtcAudioSection({ port: opts.local.port, mid: audioMid, codecs, local: opts.local, setup, direction }));
      slots.push({ kind: 'audio', mid: audioMid });
    } else {
      const kind = m?.kind ?? target.slots[i].kind;
      const isRtpKind = kind === 'audio' || kind === 'video';
      const proto = isRtpKind ? 'UDP/TLS/RTP/SAVPF' : (m?.proto ?? 'UDP/TLS/RTP/SAVPF');
      const fmt = isRtpKind && m !== undefined && !/^\d+$/.test(m.fmts[0]) ? '0' : (m?.fmts[0] ?? '0');
      lines.push(...rejectedSection(kind, proto, fmt, mids[i]));
      slots.push({ kind, mid: mids[i] });
    }
  }
  const done = finishDescription(target, lines, (v) => originValue(target, opts.local.address, v));
  return {
    sdp: done.sdp,
    changed: done.changed,
    legs: { offerer: withSlots(offererLeg, slotsOf(offer)), answerer: withSlots(done.leg, slots) },
    pending: { kind: 'webrtc-to-webrtc', offer, audioIndex: audio.index, relayMLineCount: count, codecs, direction },
    remote: describeRemote(offer, audio),
    iceRestart,
  };
}

/** Options of {@link webrtcAnswerToWebrtc}. */
export interface WebRtcAnswerToWebRtcOptions {
  /** `pending` from {@link webrtcOfferToWebrtc}. */
  readonly pending: PendingWebRtcRelay;
  /** Our media on the offerer's leg. */
  readonly local: WebRtcLocalMedia;
  /** The `legs` returned by {@link webrtcOfferToWebrtc}. */
  readonly legs: RelayLegs;
  /**
   * Our DTLS role on the offerer's leg (RFC 5763 §5: `active` or `passive`). Default `active`
   * (RFC 5763 §5 recommends it for the answerer). If the offer was not `actpass`, the only role
   * it allows is used.
   */
  readonly setup?: 'active' | 'passive';
  readonly maxSize?: number;
}

/**
 * WebRTC answer → WebRTC answer (the callee browser answered, or answered a re-offer). The
 * answerer's choice (first format of its answer that we offered, RFC 3264 §6.1) is the codec on
 * both legs: the answer to the offerer carries it with the offerer's payload type and the
 * answerer's fmtp (its receive parameters, e.g. Opus `useinbandfec`), telephone-event at that
 * codec's clock when both sides have it, our ICE/DTLS/SSRC, the offer's mids and BUNDLE group
 * (RFC 9143 §7.3), and the direction allowed by both (RFC 3264 §6.1). Rejected m-lines keep their
 * slot with port 0.
 *
 * @throws SdpError ERR_SDP_PARSE, ERR_SDP_ANSWER_MISMATCH, ERR_SDP_NO_COMMON_CODEC, ERR_SDP_MISSING_ICE,
 *   ERR_SDP_MISSING_FINGERPRINT, ERR_SDP_INVALID_OPTIONS
 */
export function webrtcAnswerToWebrtc(answerSdp: string, opts: WebRtcAnswerToWebRtcOptions): RelayAnswerTranslation {
  const p = opts.pending;
  if (p === null || typeof p !== 'object' || p.kind !== 'webrtc-to-webrtc') throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'pending must come from webrtcOfferToWebrtc');
  const wanted = opts.setup ?? 'active';
  if (wanted !== 'active' && wanted !== 'passive') throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'setup must be active or passive');
  validateWebRtcLocal(opts.local);
  const answer = parseSdp(answerSdp, { maxSize: opts.maxSize });
  const audio = answerSlot(answer, p.audioIndex, p.relayMLineCount);
  if (!WEBRTC_PROTO.test(audio.proto)) throw new SdpError('ERR_SDP_ANSWER_MISMATCH', 'WebRTC answer changed the transport profile');
  requireIceAndDtls(audio);
  if (audio.setup === 'actpass') throw new SdpError('ERR_SDP_ANSWER_MISMATCH', 'WebRTC answer uses setup:actpass (RFC 5763 §5: active or passive)');

  const offered = (c: CodecSpec): CodecSpec | undefined => p.codecs.find((o) => o.pt === c.pt && sameName(o.name, c.name) && o.clockRate === c.clockRate);
  const chosen = audio.codecs.find((c) => !isDtmf(c) && offered(c) !== undefined);
  if (!chosen) throw new SdpError('ERR_SDP_NO_COMMON_CODEC', 'WebRTC answer selected no codec we offered');
  const mine = offered(chosen)!;
  const offererCodec: CodecSpec = {
    pt: mine.pt, name: mine.name, clockRate: mine.clockRate, channels: mine.channels, ...(chosen.fmtp !== undefined ? { fmtp: chosen.fmtp } : {}),
  };
  const answererDtmf = audio.codecs.find((c) => isDtmf(c) && c.clockRate === chosen.clockRate && offered(c) !== undefined);
  const offererDtmf = answererDtmf ? offered(answererDtmf) : undefined;
  const plan: RelayCodecPlan = {
    mode: 'passthrough', offerer: offererCodec, answerer: chosen,
    ...(answererDtmf && offererDtmf ? { offererDtmf, answererDtmf } : {}),
  };

  const direction = constrainAnswerDirection(p.direction, effectiveDirection(audio).direction);
  const offerAudio = p.offer.media[p.audioIndex];
  const audioMid = offerAudio.mid;
  const bundle = p.offer.bundles.find((g) => audioMid !== undefined && g.includes(audioMid));
  const target = opts.legs.offerer;
  const lines = webrtcSessionLines(target, opts.local, bundle && audioMid !== undefined ? [audioMid] : []);
  for (const m of p.offer.media) {
    if (m === offerAudio) {
      lines.push(...webrtcAudioSection({
        port: opts.local.port, mid: m.mid, proto: m.proto,
        codecs: plan.offererDtmf ? [plan.offerer, plan.offererDtmf] : [plan.offerer],
        local: opts.local, setup: answerSetup(m.setup, wanted), direction,
      }));
    } else {
      lines.push(...rejectedSection(m.kind, m.proto, m.fmts[0], m.mid));
    }
  }
  const { state: answererLeg, iceRestart } = noteRemoteIce(opts.legs.answerer, audio.iceUfrag);
  const done = finishDescription(target, lines, (v) => originValue(target, opts.local.address, v));
  return {
    sdp: done.sdp,
    changed: done.changed,
    legs: { offerer: withSlots(done.leg, slotsOf(p.offer)), answerer: withSlots(answererLeg, slotsOf(answer)) },
    plan,
    remote: describeRemote(answer, audio),
    direction,
    iceRestart,
  };
}

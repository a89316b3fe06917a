import { SdpError } from './errors.js';
import { parseSdp, type ParsedMedia, type ParsedSdp } from './parse.js';
import { isDtmf, isG711, isOpus, sameName } from './codecs.js';
import { isSupportedCryptoSuite } from './crypto-attr.js';
import { finishDescription, slotsOf, withSlots, type MediaSlot } from './leg-state.js';
import { constrainAnswerDirection, describeRemote, effectiveDirection } from './media-info.js';
import { rejectedSection, sipAudioSection, sipSessionLines } from './sections.js';
import { answerSlot, selectAudio, SIP_PROTO } from './select.js';
import { originValue, validateSipLocal } from './write.js';
import { chooseAnswerCrypto, DEFAULT_SIP_PTIME } from './webrtc-to-sip.js';
import type { RelayLegs } from './webrtc-to-webrtc.js';
import type { CodecSpec, CryptoAttribute, MediaDirection, RemoteMedia, SipLocalMedia, SipProfile, SrtpKeys } from './types.js';

/** Options of {@link sipOfferToSip}. */
export interface SipOfferToSipOptions {
  /** How to talk to the answering phone (its profile's `media`): RTP/AVP, RTP/SAVP + SDES, or RTP/AVP + optional SDES. */
  readonly profile: SipProfile;
  /** Our media on the answerer's leg (address, ports, our SDES keys for `sdes`/`sdes-optional`). */
  readonly local: SipLocalMedia;
  /** Both legs' SDP state, named by their role in this exchange (a re-offer from the callee swaps them). */
  readonly legs: RelayLegs;
  /** a=ptime toward the answerer. Default: the offer's a=ptime, else 20. */
  readonly ptime?: number;
  /**
   * Encoding names (case-insensitive, e.g. `PCMU`, `PCMA`, `opus`) both phones' profiles allow;
   * only those are relayed (telephone-event always is). Default: every G.711/Opus codec offered.
   */
  readonly codecs?: readonly string[];
  readonly maxSize?: number;
}

/** What {@link sipAnswerToSip} needs to know about the offer pair. */
export interface PendingSipRelay {
  readonly kind: 'sip-to-sip';
  /** The offer as received. */
  readonly offer: ParsedSdp;
  readonly audioIndex: number;
  /** m-line count of the offer we wrote. */
  readonly relayMLineCount: number;
  readonly profile: SipProfile;
  /** The codecs we offered (the offerer's payload types), telephone-event included. */
  readonly codecs: readonly CodecSpec[];
  /** Our SDES keys offered to the answerer (empty for `avp`). */
  readonly crypto: readonly CryptoAttribute[];
  readonly direction: MediaDirection;
  /** a=ptime we offered to the answerer. */
  readonly ptime: number;
}

/**
 * The codec decision of a phone → phone exchange: the answerer's choice among the codecs the
 * offerer offered, the same codec on both legs with each leg's payload type, telephone-event at
 * that codec's clock rate when both sides have it, and each leg's packetization time (the bridge
 * repacketizes when they differ).
 */
export interface SipRelayCodecPlan {
  readonly mode: 'passthrough';
  readonly offerer: CodecSpec;
  readonly answerer: CodecSpec;
  readonly offererDtmf?: CodecSpec;
  readonly answererDtmf?: CodecSpec;
  /** Packetization on the offerer's leg (its offer's a=ptime, else the answerer's). */
  readonly offererPtime: number;
  /** Packetization on the answerer's leg (its answer's a=ptime, else what we offered). */
  readonly answererPtime: number;
}

/** Result of {@link sipOfferToSip}. */
export interface SipRelayOfferTranslation {
  readonly sdp: string;
  /** False when identical to the last description we sent on the answerer's leg (RFC 3264 §8). */
  readonly changed: boolean;
  readonly legs: RelayLegs;
  readonly pending: PendingSipRelay;
  /** The offerer's media (address, ports, direction), for the media engine. */
  readonly remote: RemoteMedia;
}

/** Result of {@link sipAnswerToSip}. */
export interface SipRelayAnswerTranslation {
  /** The answer to send to the offerer. */
  readonly sdp: string;
  readonly changed: boolean;
  readonly legs: RelayLegs;
  readonly plan: SipRelayCodecPlan;
  /** The answerer's media, for the media engine. */
  readonly remote: RemoteMedia;
  /** SDES keys on the offerer's leg (RFC 4568 §7.1.2); absent for plain RTP. */
  readonly srtpOfferer?: SrtpKeys;
  /** SDES keys on the answerer's leg (RFC 4568 §7.1.3); absent for plain RTP. */
  readonly srtpAnswerer?: SrtpKeys;
  /** The direction written in the answer to the offerer. */
  readonly direction: MediaDirection;
}

function checkProfile(p: unknown): asserts p is SipProfile {
  if (p !== 'avp' && p !== 'sdes' && p !== 'sdes-optional') throw new SdpError('ERR_SDP_INVALID_OPTIONS', `unknown SIP profile ${String(p).slice(0, 20)}`);
}

function validPtime(p: number | undefined): number | undefined {
  return p !== undefined && Number.isInteger(p) && p >= 10 && p <= 120 && p % 10 === 0 ? p : undefined;
}

function relayUsable(m: ParsedMedia): boolean {
  return m.codecs.some((c) => isG711(c) || isOpus(c));
}

/** A disabled RTP m-line's format: the first static one, else PCMU/H263 (no dynamic PT without rtpmap). */
function staticFmt(m: ParsedMedia): string {
  const first = m.fmts[0];
  if (/^\d+$/.test(first) && Number(first) < 96) return first;
  return m.kind === 'video' ? '34' : '0';
}

/**
 * The offerer's leg must be answerable: an RTP/SAVP offer needs one supported a=crypto line
 * (RFC 4568 §7.1.1); we answer with the first such line (chooseAnswerCrypto).
 */
function requireOfferCrypto(m: ParsedMedia): void {
  if (m.proto.startsWith('RTP/SAVP') && !m.crypto.some((c) => isSupportedCryptoSuite(c.suite) && c.sessionParams.length === 0 && c.keyParams.length === 1)) {
    throw new SdpError('ERR_SDP_NO_CRYPTO', 'RTP/SAVP offer without a supported a=crypto (AES_CM_128_HMAC_SHA1_80/32)');
  }
}

/**
 * SIP offer → SIP offer (a phone calls a phone through Tandem, or a re-offer from either phone).
 * Tandem anchors the media (B2BUA): the offer carries our address and RTP/RTCP ports (a=rtcp,
 * RFC 3605), the answerer's transport profile (RTP/AVP, or RTP/SAVP with our own SDES keys
 * (RFC 4568), or RTP/AVP with optional SDES keys), the G.711/Opus codecs the offerer offered
 * that both profiles allow (payload types, fmtp and order kept; no transcoding between phones) and its telephone-event formats (RFC 4733), a=ptime and
 * the offer's direction (RFC 3264 §5.1). The offerer's keys, a=ssrc and other attributes are not
 * relayed. Other m-lines keep their slot with port 0 (RFC 3264 §8.2).
 *
 * @throws SdpError ERR_SDP_PARSE, ERR_SDP_TOO_LARGE, ERR_SDP_NO_AUDIO, ERR_SDP_UNSUPPORTED_PROFILE,
 *   ERR_SDP_NO_COMMON_CODEC, ERR_SDP_NO_CRYPTO, ERR_SDP_INVALID_OPTIONS
 */
export function sipOfferToSip(offerSdp: string, opts: SipOfferToSipOptions): SipRelayOfferTranslation {
  checkProfile(opts.profile);
  if (opts.ptime !== undefined && validPtime(opts.ptime) === undefined) throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'ptime must be 10-120 ms in steps of 10');
  validateSipLocal(opts.local, opts.profile !== 'avp');
  const offer = parseSdp(offerSdp, { maxSize: opts.maxSize });
  const allowed = opts.codecs;
  if (allowed !== undefined && (!Array.isArray(allowed) || allowed.some((n) => typeof n !== 'string'))) {
    throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'codecs must be a list of encoding names');
  }
  const permitted = (c: CodecSpec): boolean => (isG711(c) || isOpus(c)) && (allowed === undefined || allowed.some((n) => sameName(n, c.name)));
  const audio = selectAudio(offer, SIP_PROTO, 'SIP', (m) => relayUsable(m) && m.codecs.some(permitted));
  requireOfferCrypto(audio);
  const codecs = [
    ...audio.codecs.filter(permitted),
    ...audio.codecs.filter((c) => isDtmf(c) && (c.clockRate === 8000 || c.clockRate === 48000)),
  ];
  const ptime = opts.ptime ?? validPtime(audio.ptime) ?? DEFAULT_SIP_PTIME;
  const crypto = opts.profile === 'avp' ? [] : (opts.local.crypto ?? []);
  const proto = opts.profile === 'sdes' ? 'RTP/SAVP' : 'RTP/AVP';
  const { direction } = effectiveDirection(audio);
  const target = opts.legs.answerer;
  const count = Math.max(offer.media.length, target.slots.length);
  const lines = sipSessionLines(target, opts.local.address);
  const slots: MediaSlot[] = [];
  for (let i = 0; i < count; i++) {
    const m = offer.media[i];
    if (m === audio) {
      lines.push(...sipAudioSection({ proto, port: opts.local.port, rtcpPort: opts.local.rtcpPort, codecs, crypto, ptime, direction }));
    } else if (m !== undefined) {
      const rtp = m.proto.includes('RTP');
      lines.push(...rejectedSection(m.kind, rtp ? proto : m.proto, rtp ? staticFmt(m) : m.fmts[0]));
    } else {
      const kind = target.slots[i].kind;
      lines.push(...rejectedSection(kind, proto, kind === 'video' ? '34' : '0'));
    }
    slots.push({ kind: m?.kind ?? target.slots[i].kind });
  }
  const done = finishDescription(target, lines, (v) => originValue(target, opts.local.address, v));
  return {
    sdp: done.sdp,
    changed: done.changed,
    legs: { offerer: withSlots(opts.legs.offerer, slotsOf(offer)), answerer: withSlots(done.leg, slots) },
    pending: { kind: 'sip-to-sip', offer, audioIndex: audio.index, relayMLineCount: count, profile: opts.profile, codecs, crypto, direction, ptime },
    remote: describeRemote(offer, audio),
  };
}

/** Options of {@link sipAnswerToSip}. */
export interface SipAnswerToSipOptions {
  /** `pending` from {@link sipOfferToSip}. */
  readonly pending: PendingSipRelay;
  /** Our media on the offerer's leg; `crypto` holds our keys for answering an SDES offer. */
  readonly local: SipLocalMedia;
  /** The `legs` returned by {@link sipOfferToSip}. */
  readonly legs: RelayLegs;
  readonly maxSize?: number;
}

/**
 * SIP answer → SIP answer (the callee phone answered, or answered a re-offer). The answerer's
 * choice (first format of its answer that we offered, RFC 3264 §6.1) is answered to the offerer
 * with the offerer's payload type; telephone-event at that codec's clock when both sides have it
 * (RFC 4733 §7.1.1); the offerer's transport profile, its crypto answered with our key under the
 * offered tag (RFC 4568 §7.1.2) — the answerer's SDES keys are checked against ours (§7.1.3);
 * a=ptime as the offerer asked (else the answerer's); the direction allowed by both (RFC 3264 §6.1).
 * m-line count and order follow the offer; other m-lines are rejected with port 0.
 *
 * @throws SdpError ERR_SDP_PARSE, ERR_SDP_ANSWER_MISMATCH, ERR_SDP_NO_COMMON_CODEC, ERR_SDP_NO_CRYPTO,
 *   ERR_SDP_INVALID_OPTIONS
 */
export function sipAnswerToSip(answerSdp: string, opts: SipAnswerToSipOptions): SipRelayAnswerTranslation {
  const p = opts.pending;
  if (p === null || typeof p !== 'object' || p.kind !== 'sip-to-sip') throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'pending must come from sipOfferToSip');
  const answer = parseSdp(answerSdp, { maxSize: opts.maxSize });
  const audio = answerSlot(answer, p.audioIndex, p.relayMLineCount);
  if (!SIP_PROTO.test(audio.proto)) throw new SdpError('ERR_SDP_ANSWER_MISMATCH', `SIP answer uses transport ${audio.proto.slice(0, 32)}`);

  const offered = (c: CodecSpec): CodecSpec | undefined => p.codecs.find((o) => sameName(o.name, c.name) && o.clockRate === c.clockRate && (o.pt === c.pt || o.pt >= 96 || c.pt >= 96));
  const chosen = audio.codecs.find((c) => !isDtmf(c) && offered(c) !== undefined);
  if (!chosen) throw new SdpError('ERR_SDP_NO_COMMON_CODEC', 'SIP answer selected no codec we offered');
  const mine = offered(chosen)!;
  const offererCodec: CodecSpec = {
    pt: mine.pt, name: mine.name, clockRate: mine.clockRate, channels: mine.channels, ...(mine.fmtp !== undefined ? { fmtp: mine.fmtp } : {}),
  };
  const answererDtmf = audio.codecs.find((c) => isDtmf(c) && c.clockRate === chosen.clockRate && offered(c) !== undefined);
  const offererDtmf = answererDtmf ? offered(answererDtmf) : undefined;

  // SDES on the answerer's leg (RFC 4568 §7.1.3): its crypto must answer one of our tags with the same suite.
  let srtpAnswerer: SrtpKeys | undefined;
  if (p.profile !== 'avp') {
    for (const remote of audio.crypto) {
      const local = p.crypto.find((c) => c.tag === remote.tag && c.suite === remote.suite);
      if (local && isSupportedCryptoSuite(remote.suite) && remote.sessionParams.length === 0 && remote.keyParams.length === 1) {
        srtpAnswerer = { local, remote };
        break;
      }
    }
  }
  if (p.profile === 'sdes' && !srtpAnswerer) throw new SdpError('ERR_SDP_NO_CRYPTO', 'SIP answer has no usable a=crypto for RTP/SAVP');

  // SDES on the offerer's leg (RFC 4568 §7.1.2): answer its first usable crypto line with our key.
  const offerAudio = p.offer.media[p.audioIndex];
  const wantsSrtp = offerAudio.proto.startsWith('RTP/SAVP');
  validateSipLocal(opts.local, wantsSrtp);
  const srtpOfferer = offerAudio.crypto.length > 0 ? chooseAnswerCrypto(offerAudio.crypto, opts.local.crypto ?? []) : undefined;
  if (wantsSrtp && !srtpOfferer) throw new SdpError('ERR_SDP_NO_CRYPTO', 'no SDES crypto-suite in common with the SIP offer');

  const answererPtime = validPtime(audio.ptime) ?? p.ptime;
  const offererPtime = validPtime(offerAudio.ptime) ?? answererPtime;
  const direction = constrainAnswerDirection(p.direction, effectiveDirection(audio).direction);
  const plan: SipRelayCodecPlan = {
    mode: 'passthrough', offerer: offererCodec, answerer: chosen,
    ...(answererDtmf && offererDtmf ? { offererDtmf, answererDtmf } : {}),
    offererPtime, answererPtime,
  };
  const target = opts.legs.offerer;
  const lines = sipSessionLines(target, opts.local.address);
  for (const m of p.offer.media) {
    if (m === offerAudio) {
      lines.push(...sipAudioSection({
        proto: offerAudio.proto, port: opts.local.port, rtcpPort: opts.local.rtcpPort,
        codecs: plan.offererDtmf ? [plan.offerer, plan.offererDtmf] : [plan.offerer],
        crypto: srtpOfferer ? [srtpOfferer.local] : [], ptime: offererPtime, direction,
      }));
    } else {
      lines.push(...rejectedSection(m.kind, m.proto, m.fmts[0]));
    }
  }
  const done = finishDescription(target, lines, (v) => originValue(target, opts.local.address, v));
  return {
    sdp: done.sdp,
    changed: done.changed,
    legs: { offerer: withSlots(done.leg, slotsOf(p.offer)), answerer: withSlots(opts.legs.answerer, slotsOf(answer)) },
    plan,
    remote: describeRemote(answer, audio),
    ...(srtpOfferer ? { srtpOfferer } : {}),
    ...(srtpAnswerer ? { srtpAnswerer } : {}),
    direction,
  };
}

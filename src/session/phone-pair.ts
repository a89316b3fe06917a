/**
 * Phone → phone calls (both legs SIP with RTP/AVP or SDES-SRTP media), media anchored in Tandem:
 * the engine terminates RTP/SRTP and RTCP on two RTP legs (bridge mode 'rtp-rtp') and relays
 * between them. This file holds the per-call SDP state of the two legs and the engine calls;
 * {@link CallSession} does the SIP side (INVITE, answer, BYE, CANCEL) as for the other call kinds.
 */
import type { Logger } from '../common/logger.js';
import type { PayloadFormat } from '../media/leg.js';
import type { AllocateRequest, AllocateResult, ApplyRequest, BridgeParams, RtpRemoteParams } from '../media/engine/index.js';
import {
  createLegState, sipAnswerToSip, sipOfferToSip,
  type CodecSpec, type CryptoAttribute, type PendingSipRelay, type RelayLegs, type RemoteMedia, type SdpLegState, type SipLocalMedia,
  type SipProfile, type SipRelayAnswerTranslation, type SrtpKeys,
} from '../sdp/index.js';
import { generateLocalCrypto, reverseDirection, rtpRemote, sipLocalMedia, srtpSessionKeys } from './media-mapping.js';
import type { MediaPort } from './media-port.js';
import { SessionError } from './session-errors.js';
import type { SessionDialog } from './srf-types.js';

/** One phone leg's settings (from its profile). */
export interface PhoneLegProfile {
  /** Transport profile toward that phone when we offer to it. */
  media: SipProfile;
  /** a=ptime when we offer to that phone; default: the offer's. */
  ptime?: number;
}

/** Options of {@link PhonePair}. */
export interface PhonePairOptions {
  media: MediaPort;
  /** The engine's id for this call's media. */
  mediaId: string;
  /** Address written into c= on both legs. */
  sdpAddress: string;
  logger: Logger;
  /** The caller's profile (used when the callee re-offers toward it). */
  a: PhoneLegProfile;
  /** The callee's profile. */
  b: PhoneLegProfile;
  /** Codecs both profiles allow (the call plan's passthrough codecs); default: any G.711/Opus offered. */
  codecs?: readonly string[];
}

type Side = 'a' | 'b';

function formats(codec: CodecSpec, dtmf: CodecSpec | undefined, ptime: number): PayloadFormat[] {
  const f = (c: CodecSpec, p?: number): PayloadFormat => ({
    pt: c.pt, name: c.name, clockRate: c.clockRate, ...(c.channels > 1 ? { channels: c.channels } : {}), ...(p ? { ptimeMs: p } : {}),
  });
  return [f(codec, ptime), ...(dtmf ? [f(dtmf)] : [])];
}

function rtpParams(remote: RemoteMedia, fmts: PayloadFormat[], keys: SrtpKeys | undefined, ourDirection: RtpRemoteParams['direction']): RtpRemoteParams {
  return { remote: rtpRemote(remote), formats: fmts, srtp: srtpSessionKeys(keys), ...(ourDirection ? { direction: ourDirection } : {}) };
}

/**
 * The media side of one phone → phone call. Leg A is the caller (Tandem answers its offer),
 * leg B the callee (Tandem offers to it with B's profile); both are RTP legs of one engine call
 * (bridge mode 'rtp-rtp', one worker). Each leg has its own `o=` line and m-line layout
 * (RFC 3264 §8), its own RTP/RTCP ports and its own SDES keys (RFC 4568), so SRTP on one side and
 * plain RTP on the other works. Re-offers from either side (hold/resume, new address) are
 * translated to the other phone and the engine is updated.
 */
export class PhonePair {
  private localA: SipLocalMedia | null = null;
  private localB: SipLocalMedia | null = null;
  private readonly cryptoA: CryptoAttribute[] = generateLocalCrypto();
  private readonly cryptoB: CryptoAttribute[] = generateLocalCrypto();
  private legA: SdpLegState = createLegState({ sessionId: String(Date.now()) });
  private legB: SdpLegState = createLegState({ sessionId: String(Date.now() + 1) });
  private pending: { pending: PendingSipRelay; remoteA: RemoteMedia } | null = null;
  private applied = false;
  /** The last answer sent to A and the callee SDP it came from (early media → 200 with the same SDP). */
  private lastAnswer: { sdp: string; from: string } | null = null;
  private callee: PhoneLegProfile;
  /**
   * How we offer to the caller in re-INVITEs from the callee: what the caller itself offered
   * (RTP/SAVP → `sdes`, RTP/AVP with a=crypto → `sdes-optional`, else `avp`); its profile until then.
   */
  private callerMedia: SipProfile;
  private codecs: readonly string[] | undefined;

  constructor(private readonly opts: PhonePairOptions) {
    this.callee = opts.b;
    this.codecs = opts.codecs;
    this.callerMedia = opts.a.media;
  }

  /** The callee of the next ring wave (its profile and the codecs both profiles allow); before {@link offerToCallee}. */
  setCallee(b: PhoneLegProfile, codecs: readonly string[] | undefined): void {
    this.callee = b;
    this.codecs = codecs;
  }

  /** The engine allocation for such a call: two RTP legs. */
  allocateRequest(): AllocateRequest {
    return { offerer: false, bridge: 'rtp-rtp' };
  }

  /** Takes the allocation's local endpoints of both legs. */
  allocated(alloc: AllocateResult): void {
    if (!alloc.rtp || !alloc.rtpB) throw new SessionError('ERR_SESSION_MEDIA', 'the engine gave no second RTP endpoint', { data: { sipStatus: 503 } });
    this.localA = sipLocalMedia(alloc.rtp, this.opts.sdpAddress, this.cryptoA);
    this.localB = sipLocalMedia(alloc.rtpB, this.opts.sdpAddress, this.cryptoB);
  }

  /** Caller's offer → the offer for the callee (RFC 3264 §5; {@link sipOfferToSip}). */
  offerToCallee(offerSdp: string): string {
    const o = sipOfferToSip(offerSdp, {
      profile: this.callee.media, local: this.need(this.localB), legs: { offerer: this.legA, answerer: this.legB },
      ...(this.codecs ? { codecs: this.codecs } : {}),
      ...(this.callee.ptime !== undefined ? { ptime: this.callee.ptime } : {}),
    });
    this.legA = o.legs.offerer;
    this.legB = o.legs.answerer;
    this.pending = { pending: o.pending, remoteA: o.remote };
    this.lastAnswer = null;
    const m = o.pending.offer.media[o.pending.audioIndex];
    if (m) this.callerMedia = m.proto.startsWith('RTP/SAVP') ? 'sdes' : m.crypto.length > 0 ? 'sdes-optional' : 'avp';
    return o.sdp;
  }

  /**
   * The callee's answer (183 early media or 200) → the answer for the caller; applies both legs
   * to the engine (first time) or updates them. The same callee SDP twice (183 then 200) gives the
   * same answer without touching the engine again.
   */
  async answerFromCallee(answerSdp: string): Promise<string> {
    if (this.lastAnswer && this.lastAnswer.from === answerSdp) return this.lastAnswer.sdp;
    const p = this.pending;
    if (!p) throw new SessionError('ERR_SESSION_MEDIA', 'no offer sent to the callee', { data: { sipStatus: 500 } });
    const t = sipAnswerToSip(answerSdp, { pending: p.pending, local: this.need(this.localA), legs: { offerer: this.legA, answerer: this.legB } });
    const req = this.request('a', p.remoteA, t);
    if (this.applied) await this.opts.media.update(this.opts.mediaId, req);
    else await this.opts.media.apply(this.opts.mediaId, req);
    this.applied = true;
    this.legA = t.legs.offerer;
    this.legB = t.legs.answerer;
    this.lastAnswer = { sdp: t.sdp, from: answerSdp };
    this.opts.logger.info({
      codec: t.plan.answerer.name, dtmf: t.plan.offererDtmf !== undefined, srtpA: t.srtpOfferer !== undefined, srtpB: t.srtpAnswerer !== undefined,
      ptimeA: t.plan.offererPtime, ptimeB: t.plan.answererPtime, direction: t.direction,
    }, 'phone ↔ phone media applied');
    return t.sdp;
  }

  /** The 200 came: no further early answers apply; the pending offer is done. */
  settled(): void {
    this.pending = null;
  }

  /**
   * A re-INVITE from one phone (hold/resume, new address, RFC 3264 §8): its offer is translated and
   * sent to the other phone (`other.modify`), whose answer is translated back; the engine is
   * updated for both legs.
   */
  async reoffer(from: Side, offerSdp: string, other: SessionDialog): Promise<string> {
    const toB = from === 'a';
    const o = sipOfferToSip(offerSdp, {
      profile: toB ? this.callee.media : this.callerMedia,
      local: this.need(toB ? this.localB : this.localA),
      legs: toB ? { offerer: this.legA, answerer: this.legB } : { offerer: this.legB, answerer: this.legA },
      ...(this.codecs ? { codecs: this.codecs } : {}),
      ...((toB ? this.callee.ptime : this.opts.a.ptime) !== undefined ? { ptime: (toB ? this.callee.ptime : this.opts.a.ptime)! } : {}),
    });
    const answer = await other.modify(o.sdp);
    const t = sipAnswerToSip(answer, { pending: o.pending, local: this.need(toB ? this.localA : this.localB), legs: o.legs });
    await this.opts.media.update(this.opts.mediaId, this.request(from, o.remote, t));
    const legs: RelayLegs = t.legs;
    if (toB) { this.legA = legs.offerer; this.legB = legs.answerer; } else { this.legB = legs.offerer; this.legA = legs.answerer; }
    this.opts.logger.info({ from, direction: t.direction, codec: t.plan.answerer.name }, 'phone ↔ phone re-INVITE relayed');
    return t.sdp;
  }

  /** Engine parameters of both legs after an exchange whose offerer was `from`. */
  private request(from: Side, offererRemote: RemoteMedia, t: SipRelayAnswerTranslation): ApplyRequest {
    const offerer = rtpParams(offererRemote, formats(t.plan.offerer, t.plan.offererDtmf, t.plan.offererPtime), t.srtpOfferer, t.direction);
    const answerer = rtpParams(t.remote, formats(t.plan.answerer, t.plan.answererDtmf, t.plan.answererPtime), t.srtpAnswerer, reverseDirection(t.remote.direction));
    const bridge: BridgeParams = from === 'a'
      ? { rtpSendPt: t.plan.offerer.pt, rtpPtimeMs: t.plan.offererPtime, rtpBSendPt: t.plan.answerer.pt, rtpBPtimeMs: t.plan.answererPtime }
      : { rtpSendPt: t.plan.answerer.pt, rtpPtimeMs: t.plan.answererPtime, rtpBSendPt: t.plan.offerer.pt, rtpBPtimeMs: t.plan.offererPtime };
    return from === 'a' ? { rtp: offerer, rtpB: answerer, bridge } : { rtp: answerer, rtpB: offerer, bridge };
  }

  private need<T>(v: T | null | undefined): T {
    if (v === null || v === undefined) throw new SessionError('ERR_SESSION_MEDIA', 'phone ↔ phone media not allocated', { data: { sipStatus: 500 } });
    return v;
  }
}

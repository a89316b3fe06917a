/**
 * Browser → browser calls (both legs WebRTC), media anchored in Tandem: the engine terminates
 * ICE and DTLS-SRTP on both browser legs and relays SRTP ↔ SRTP through its bridge (passthrough,
 * re-encrypted per leg; RTCP terminated per leg). This file holds the per-call SDP state of the
 * two legs and the engine calls; {@link CallSession} does the SIP side (INVITE, answer, BYE,
 * CANCEL) as for the other call kinds.
 */
import type { Logger } from '../common/logger.js';
import type { AllocateRequest, AllocateResult, ApplyResult, BridgeParams } from '../media/engine/index.js';
import type { WebRtcRemoteParams } from '../media/webrtc/types.js';
import {
  createLegState, webrtcAnswerToWebrtc, webrtcOfferToWebrtc,
  type CodecSpec, type MediaDirection, type PendingWebRtcRelay, type RelayAnswerTranslation, type RemoteMedia, type SdpLegState,
  type WebRtcLocalMedia,
} from '../sdp/index.js';
import { newWebRtcIdentity, reverseDirection, webrtcLocalMedia, webrtcRemoteParams, type WebRtcIdentity } from './media-mapping.js';
import type { MediaPort } from './media-port.js';
import { SessionError } from './session-errors.js';
import type { SessionDialog } from './srf-types.js';

/** Options of {@link BrowserPair}. */
export interface BrowserPairOptions {
  media: MediaPort;
  /** The engine's id for this call's media. */
  mediaId: string;
  /** Fallback address for c= (the ICE candidates carry the real addresses). */
  sdpAddress: string;
  logger: Logger;
  /** ICE-lite on both legs (the caller's profile says `ice: lite`). Default: the engine's setting. */
  iceLite?: boolean;
}

type Side = 'a' | 'b';

/** The engine's parameters of one browser leg from its description and the codec on that leg. */
function remoteParams(remote: RemoteMedia, codec: CodecSpec, dtmf: CodecSpec | undefined, ourDirection: MediaDirection): WebRtcRemoteParams {
  return webrtcRemoteParams(remote, { mode: 'passthrough', webrtc: codec, sip: codec, ...(dtmf ? { webrtcDtmf: dtmf } : {}), sipPtime: 20 }, ourDirection);
}

function resolvedSetup(s: string | undefined, fallback: 'active' | 'passive'): 'active' | 'passive' {
  return s === 'active' || s === 'passive' ? s : fallback;
}

/**
 * The media side of one browser → browser call. Leg A is the caller's browser (Tandem answers
 * its offer), leg B the callee's (Tandem offers to it); both are WebRTC legs of one engine call
 * (bridge mode 'webrtc', one worker). Each leg has its own SSRC/CNAME (RFC 5576) written in every
 * description sent on it, its own `o=` line and m-line layout (RFC 3264 §8), and its own DTLS
 * role: Tandem is the DTLS client on both legs. Toward A as answerer (`active`, RFC 5763 §5);
 * toward B as offerer with `a=setup:active` (RFC 8842 §5.3 allows it), so B's browser waits for
 * our ClientHello instead of sending one before its answer reached the engine (with `actpass`,
 * Chromium's early ClientHello retransmissions raced the handshake under load and left the
 * callee's DTLS transport `connecting` now and then).
 */
export class BrowserPair {
  private readonly idA: WebRtcIdentity = newWebRtcIdentity();
  private readonly idB: WebRtcIdentity = newWebRtcIdentity();
  private localA: WebRtcLocalMedia | null = null;
  private localB: WebRtcLocalMedia | null = null;
  private legA: SdpLegState = createLegState({ sessionId: String(Date.now()) });
  private legB: SdpLegState = createLegState({ sessionId: String(Date.now() + 1) });
  /** Our DTLS role on each leg once known (before: what we will ask for). */
  private setupA: 'active' | 'passive' = 'active';
  private setupB: 'active' | 'passive' = 'active';
  private pending: { pending: PendingWebRtcRelay; remoteA: RemoteMedia } | null = null;
  private applied = false;

  constructor(private readonly opts: BrowserPairOptions) {}

  /** The engine allocation for such a call: two WebRTC legs, Tandem answerer on A and offerer on B. */
  allocateRequest(): AllocateRequest {
    return {
      offerer: false, offererB: true, bridge: 'webrtc', webrtcSsrc: this.idA.ssrc, webrtcBSsrc: this.idB.ssrc,
      ...(this.opts.iceLite ? { iceLite: true } : {}),
    };
  }

  /** Takes the allocation's local parameters of both legs. */
  allocated(alloc: AllocateResult): void {
    if (!alloc.webrtcB) throw new SessionError('ERR_SESSION_MEDIA', 'the engine gave no second WebRTC endpoint', { data: { sipStatus: 503 } });
    this.localA = webrtcLocalMedia(alloc.webrtc, this.idA, this.opts.sdpAddress);
    this.localB = webrtcLocalMedia(alloc.webrtcB, this.idB, this.opts.sdpAddress);
  }

  /** Caller's offer → the offer for the callee browser (RFC 3264 §5; `webrtcOfferToWebrtc`). */
  offerToCallee(offerSdp: string): string {
    const o = webrtcOfferToWebrtc(offerSdp, { local: this.need(this.localB), legs: { offerer: this.legA, answerer: this.legB }, setup: this.setupB });
    this.legA = o.legs.offerer;
    this.legB = o.legs.answerer;
    this.pending = { pending: o.pending, remoteA: o.remote };
    return o.sdp;
  }

  /**
   * The callee's answer → the answer for the caller; applies both legs to the engine (first
   * time) or updates them. The DTLS role written toward A is the one the engine resolved.
   */
  async answerFromCallee(answerSdp: string): Promise<string> {
    const p = this.pending;
    if (!p) throw new SessionError('ERR_SESSION_MEDIA', 'no offer sent to the callee', { data: { sipStatus: 500 } });
    const translate = (): RelayAnswerTranslation => webrtcAnswerToWebrtc(answerSdp, {
      pending: p.pending, local: this.need(this.localA), legs: { offerer: this.legA, answerer: this.legB }, setup: this.setupA,
    });
    let t = translate();
    const req = {
      webrtc: remoteParams(p.remoteA, t.plan.offerer, t.plan.offererDtmf, t.direction),
      webrtcB: remoteParams(t.remote, t.plan.answerer, t.plan.answererDtmf, reverseDirection(t.remote.direction)),
      bridge: this.bridge(t.plan.offerer, t.plan.answerer),
    };
    const local = this.applied ? await this.opts.media.update(this.opts.mediaId, req) : await this.opts.media.apply(this.opts.mediaId, req);
    this.applied = true;
    this.noteSetup(local);
    if (resolvedSetup(local.setup, this.setupA) !== this.setupA) {
      this.setupA = resolvedSetup(local.setup, this.setupA);
      t = translate();
    }
    this.legA = t.legs.offerer;
    this.legB = t.legs.answerer;
    this.pending = null;
    this.opts.logger.info({ codec: t.plan.offerer.name, dtmf: t.plan.offererDtmf !== undefined, direction: t.direction }, 'browser ↔ browser media applied');
    return t.sdp;
  }

  /**
   * A re-INVITE from one browser (hold/resume, ICE restart, codec change, RFC 3264 §8): its offer
   * is translated and sent to the other browser (`other.modify`), whose answer is translated
   * back; the engine is updated for both legs. An ICE restart (new ufrag) gets new local ICE
   * credentials on that leg (RFC 8839 §4.4.1.1.1). The re-INVITE is relayed even when our offer
   * to the other browser is unchanged (same `o=` version): that browser's current answer is
   * needed to answer.
   */
  async reoffer(from: Side, offerSdp: string, other: SessionDialog): Promise<string> {
    const toA = from === 'b';
    const peek = webrtcOfferToWebrtc(offerSdp, this.offerOpts(from));
    if (peek.iceRestart) {
      const r = await this.opts.media.update(this.opts.mediaId, toA ? { restartIceB: true } : { restartIce: true });
      if (toA) this.localB = webrtcLocalMedia(this.need(r.webrtcB), this.idB, this.opts.sdpAddress);
      else this.localA = webrtcLocalMedia(r, this.idA, this.opts.sdpAddress);
      this.opts.logger.info({ leg: from }, 'ICE restart from the browser');
    }
    const o = peek.iceRestart ? webrtcOfferToWebrtc(offerSdp, this.offerOpts(from)) : peek;
    const answer = await other.modify(o.sdp);
    const ownLocal = this.need(from === 'a' ? this.localA : this.localB);
    const ownSetup = from === 'a' ? this.setupA : this.setupB;
    const t = webrtcAnswerToWebrtc(answer, { pending: o.pending, local: ownLocal, legs: o.legs, setup: ownSetup });
    const offerer = remoteParams(o.remote, t.plan.offerer, t.plan.offererDtmf, t.direction);
    const answerer = remoteParams(t.remote, t.plan.answerer, t.plan.answererDtmf, reverseDirection(t.remote.direction));
    const local = await this.opts.media.update(this.opts.mediaId, {
      webrtc: from === 'a' ? offerer : answerer,
      webrtcB: from === 'a' ? answerer : offerer,
      bridge: from === 'a' ? this.bridge(t.plan.offerer, t.plan.answerer) : this.bridge(t.plan.answerer, t.plan.offerer),
    });
    this.noteSetup(local);
    if (from === 'a') { this.legA = t.legs.offerer; this.legB = t.legs.answerer; } else { this.legB = t.legs.offerer; this.legA = t.legs.answerer; }
    return t.sdp;
  }

  private offerOpts(from: Side): Parameters<typeof webrtcOfferToWebrtc>[1] {
    return from === 'a'
      ? { local: this.need(this.localB), legs: { offerer: this.legA, answerer: this.legB }, setup: this.setupB }
      : { local: this.need(this.localA), legs: { offerer: this.legB, answerer: this.legA }, setup: this.setupA };
  }

  /** Bridge parameters: which PT and SSRC to send toward each browser; RFC 4733 events forwarded. */
  private bridge(codecA: CodecSpec, codecB: CodecSpec): BridgeParams {
    return { webrtcSendPt: codecA.pt, webrtcSsrc: this.idA.ssrc, webrtcBSendPt: codecB.pt, webrtcBSsrc: this.idB.ssrc, webrtcDtmf: 'forward' };
  }

  private noteSetup(local: ApplyResult): void {
    const b = local.webrtcB?.setup;
    if (b === 'active' || b === 'passive') this.setupB = b;
  }

  private need<T>(v: T | null | undefined): T {
    if (v === null || v === undefined) throw new SessionError('ERR_SESSION_MEDIA', 'browser ↔ browser media not allocated', { data: { sipStatus: 500 } });
    return v;
  }
}

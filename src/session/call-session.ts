import type { Logger } from '../common/logger.js';
import type { CallSessionRequest } from '../app/calls/call-session-factory.js';
import type { CalleeLegPlan } from '../app/calls/plan-call.js';
import type { AppRequest, AppResponse } from '../app/signaling/srf-types.js';
import { flowOf, type FlowId } from '../app/signaling/flow.js';
import type { AllocateResult, CallEvent } from '../media/engine/index.js';
import {
  createLegState, isSdpError, sipAnswerToWebrtc, sipOfferToWebrtc, webrtcAnswerToSip, webrtcOfferToSip,
  type AnswerTranslation, type CallSdpLegs, type CryptoAttribute, type PendingWebRtcOffer, type SipLocalMedia, type SipProfile,
  type WebRtcLocalMedia,
} from '../sdp/index.js';
import {
  bridgeParams, generateLocalCrypto, newWebRtcIdentity, reverseDirection, rtpRemote, sipFormats, sipLocalMedia, srtpSessionKeys,
  webrtcLocalMedia, webrtcRemoteParams, type WebRtcIdentity,
} from './media-mapping.js';
import type { MediaPort } from './media-port.js';
import { SessionError } from './session-errors.js';
import { dtmfEventOf, formatDtmfRelay, parseDtmfInfo, type DtmfInfoDigit } from './dtmf-info.js';
import type { ProvisionalResponse, SessionDialog, SessionRequest, SessionResponse, SessionSrf, UacFailure } from './srf-types.js';
import { BLegFork, planRinging, type RingWave } from './b-leg-fork.js';
import { BrowserPair } from './browser-browser.js';
import { PhonePair } from './phone-pair.js';

/** Options of a {@link CallSession}. */
export interface CallSessionOptions {
  srf: SessionSrf;
  media: MediaPort;
  /** The engine's id for this call's media (unique per session). */
  mediaId: string;
  /** Address written into SIP-side SDP (c=): `media.announcedAddress` or `media.bindAddress`. */
  sdpAddress: string;
  /** Domain for the B leg's From (`sip:<caller>@<domain>`). */
  domain: string;
  request: CallSessionRequest;
  /** Called once when the session has ended (media closed). */
  onEnded?: (session: CallSession) => void;
  /** Longest an answered call may last, in ms (ended with BYE on both legs); 0 or absent = no limit. */
  maxDurationMs?: number;
  /** RFC 4028 session interval offered on the B leg's INVITE (with `Supported: timer`), seconds; absent = none. */
  sessionExpiresSeconds?: number;
}

type Side = 'a' | 'b';
type State = 'new' | 'calling' | 'answered' | 'ended';

/** Reason header values (RFC 3326). */
const REASON = {
  hangup: 'Q.850;cause=16;text="Normal call clearing"',
  rtpTimeout: 'Q.850;cause=102;text="RTP inactivity"',
  mediaFailure: 'Q.850;cause=41;text="Media failure"',
  flowClosed: 'Q.850;cause=41;text="WebSocket connection closed"',
  maxDuration: 'Q.850;cause=102;text="Maximum call duration reached"',
  internal: 'Q.850;cause=41;text="Internal error"',
} as const;

/** Maps a failed B leg's final status to the A leg's final response (RFC 3261 §16.7 style). */
export function mapBLegStatus(status: number | undefined): number {
  if (status === undefined || status < 300) return 503;
  if (status === 401 || status === 407) return 503;
  if (status === 408) return 480;
  if (status >= 400 && status < 500) return status;
  if (status >= 600) return status;
  return 503;
}

/** How long {@link CallSession.end} waits for the BYEs' responses before declaring the call ended. */
const BYE_WAIT_MS = 2000;

const warning = (text: string): string => `399 tandem "${text.replace(/["\\\r\n]/g, ' ').slice(0, 200)}"`;

/**
 * One call: the A leg (the INVITE received) and one B leg (the INVITE sent), bridged by the
 * media engine. Browser → phone: the browser's offer becomes a SIP offer (RFC 3264 over
 * src/sdp), the phone's answer (183 early media or 200) becomes the WebRTC answer. Phone →
 * browser: the reverse. BYE on either leg ends the other (RFC 3261 §15), CANCEL from A cancels B
 * (§9), re-INVITEs (hold/resume, ICE restart, RFC 3264 §8) are translated to the other leg.
 * Every path closes the engine call exactly once.
 */
export class CallSession {
  readonly mediaId: string;
  private state: State = 'new';
  private readonly log: { a: Logger; b: Logger; call: Logger };
  private dialogA: SessionDialog | null = null;
  private dialogB: SessionDialog | null = null;
  /** Rings the B legs (parallel forking / hunting, src/session/b-leg-fork.ts); set in run(). */
  private fork: BLegFork | null = null;
  private wave: RingWave | null = null;
  private canceled = false;
  private mediaAllocated = false;
  private mediaClosed = false;
  private mediaFailure: string | null = null;
  private alloc: AllocateResult | null = null;
  private legs: CallSdpLegs;
  private readonly identity: WebRtcIdentity = newWebRtcIdentity();
  private readonly localCrypto: CryptoAttribute[] = generateLocalCrypto();
  private webrtcLocal: WebRtcLocalMedia | null = null;
  private sipLocal: SipLocalMedia | null = null;
  private bLeg: CalleeLegPlan | null = null;
  private dtlsSetup: 'active' | 'passive' = 'active';
  private reinviteBusy = false;
  private earlyAnswer: { sipSdp: string; answer: AnswerTranslation } | null = null;
  /** Browser → browser calls (A and B WebRTC, src/session/browser-browser.ts); null otherwise. */
  private pair: BrowserPair | null = null;
  /** Phone → phone calls (A and B SIP/RTP, src/session/phone-pair.ts); null otherwise. */
  private phones: PhonePair | null = null;
  private earlyWork: Promise<void> = Promise.resolve();
  private endedPromise: Promise<void> | null = null;
  private maxTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: CallSessionOptions) {
    this.mediaId = opts.mediaId;
    const base = opts.request.logger;
    this.log = { call: base, a: base.child({ leg: 'a' }), b: base.child({ leg: 'b' }) };
    this.legs = { webrtc: createLegState({ sessionId: String(Date.now()) }), sip: createLegState({ sessionId: String(Date.now() + 1) }) };
  }

  /** True once the call has ended (media closed). */
  get ended(): boolean {
    return this.state === 'ended';
  }

  /**
   * The connections (flow keys, see {@link flowOf}) this call's legs depend on: the A leg's
   * INVITE flow and the B leg's registered flow, for ws/wss/tcp/tls legs (RFC 5626 §3).
   */
  flows(): FlowId[] {
    const out: FlowId[] = [];
    const a = flowOf(this.opts.request.req);
    if (a) out.push(a);
    const b = this.bLeg?.flowId;
    if (b) out.push(b);
    return out;
  }

  /**
   * A connection a leg used closed (a browser's WebSocket dropped, RFC 7118 §5): that leg cannot
   * be reached any more, so the call ends — BYE on the other leg, media closed. Before the answer,
   * the B leg is canceled. No-op when `flow` is not one of {@link flows}.
   */
  onFlowClosed(flow: FlowId): void {
    if (this.state === 'ended' || this.endedPromise) return;
    const aFlow = flowOf(this.opts.request.req);
    const side: Side | null = aFlow === flow ? 'a' : this.bLeg?.flowId === flow ? 'b' : null;
    if (!side) return;
    this.log[side].info({ flow }, 'connection of this leg closed: ending the call');
    if (this.state === 'answered') {
      void this.end(side, REASON.flowClosed, { releaseGone: true });
    } else if (side === 'a') {
      // The caller is gone: nobody to answer. Cancel B; failSetup then sends no final response.
      this.canceled = true;
      this.cancelB();
    } else {
      this.mediaFailure = 'callee connection closed';
      this.cancelB();
    }
  }

  private get req(): SessionRequest {
    return this.opts.request.req as SessionRequest;
  }

  private get res(): SessionResponse {
    return this.opts.request.res as SessionResponse;
  }

  /** Sets the call up; resolves when A got its final response (the call may continue after). */
  async run(): Promise<void> {
    const { plan } = this.opts.request;
    this.req.on('cancel', () => this.onCancel());
    this.state = 'calling';
    try {
      const first = plan.b[0];
      if (!first) throw new SessionError('ERR_SESSION_NO_TARGET', 'no B leg in the plan', { data: { sipStatus: 480 } });
      // Phone → phone: both legs SIP (RTP/AVP or SDES), media anchored here (phone-pair.ts).
      if (plan.a.kind === 'sip' && first.kind === 'sip') {
        this.phones = new PhonePair({
          media: this.opts.media, mediaId: this.mediaId, sdpAddress: this.opts.sdpAddress, logger: this.log.call,
          a: { media: plan.a.profile.media as SipProfile, ...(plan.a.profile.ptime !== undefined ? { ptime: plan.a.profile.ptime } : {}) },
          b: { media: first.profile.media as SipProfile, ...(first.profile.ptime !== undefined ? { ptime: first.profile.ptime } : {}) },
          // no transcoding between phones: only the codecs both profiles allow are relayed
          codecs: first.media.transcode ? [] : first.media.codecs,
        });
      }
      // Browser → browser: both legs WebRTC, media anchored here (browser-browser.ts).
      if (plan.a.kind === 'webrtc' && first.kind === 'webrtc') {
        this.pair = new BrowserPair({
          media: this.opts.media, mediaId: this.mediaId, sdpAddress: this.opts.sdpAddress, logger: this.log.call,
          ...(plan.a.profile.ice === 'lite' ? { iceLite: true } : {}),
        });
      }
      const offer = this.req.body;
      if (!offer || offer.trim() === '') {
        throw new SessionError('ERR_SESSION_NO_SDP', 'INVITE without SDP offer (late offer) is not supported', { data: { sipStatus: 488 } });
      }
      this.alloc = await this.opts.media.allocate(this.mediaId, this.pair ? this.pair.allocateRequest() : this.phones ? this.phones.allocateRequest() : {
        offerer: plan.a.kind === 'sip', bridge: 'rtp', webrtcSsrc: this.identity.ssrc,
        ...(plan.a.kind === 'webrtc' && plan.a.profile.ice === 'lite' ? { iceLite: true } : {}),
        ...(plan.a.kind === 'sip' && first.profile.ice === 'lite' ? { iceLite: true } : {}),
      });
      this.mediaAllocated = true;
      this.webrtcLocal = webrtcLocalMedia(this.alloc.webrtc, this.identity, this.opts.sdpAddress);
      if (this.pair) this.pair.allocated(this.alloc);
      else if (this.phones) this.phones.allocated(this.alloc);
      else if (!this.alloc.rtp) throw new SessionError('ERR_SESSION_MEDIA', 'the engine gave no RTP endpoint', { data: { sipStatus: 503 } });
      this.checkAlive();
      // B legs ring in waves (b-leg-fork.ts): all legs of a wave at once (sendB forks), next wave
      // after the wave failed or timed out (sequential groups, trunk failover).
      const ringing = planRinging(plan);
      if (ringing.skipped.length > 0) this.log.b.info({ skipped: ringing.skipped.map((l) => l.uri) }, 'targets of another media kind are not rung');
      this.fork = new BLegFork({ srf: this.opts.srf, logger: this.log.b, policy: ringing.policy, totalTimeoutMs: ringing.totalTimeoutMs });
      let lastErr: unknown = null;
      for (const wave of ringing.waves) {
        const b = wave.legs[0]!;
        this.wave = wave;
        try {
          if (this.pair) await this.browserToBrowser(this.pair, b, offer);
          else if (this.phones) await this.phoneToPhone(this.phones, b, offer);
          else if (plan.a.kind === 'webrtc') await this.browserToPhone(b, offer);
          else await this.phoneToBrowser(b, offer);
          lastErr = null;
          break;
        } catch (err) {
          lastErr = err;
          const retry = !this.canceled && this.mediaFailure === null && this.dialogB === null && this.fork.canTryNext(err);
          if (!retry) break;
          this.log.b.info({ status: (err as UacFailure).status, uris: wave.legs.map((l) => l.uri) }, 'B legs failed, trying the next target');
        }
      }
      if (lastErr) throw this.fork.finalError(lastErr);
    } catch (err) {
      await this.failSetup(err);
    }
  }

  private checkAlive(): void {
    if (this.canceled) throw new SessionError('ERR_SESSION_CANCELED', 'canceled by the caller', { data: { sipStatus: 487 } });
    if (this.mediaFailure) throw new SessionError('ERR_SESSION_MEDIA', this.mediaFailure, { data: { sipStatus: 503 } });
  }

  private headersForB(): Record<string, string> {
    const { plan } = this.opts.request;
    const h: Record<string, string> = { From: `<sip:${plan.callerId.user}@${this.opts.domain}>` };
    if (plan.callerId.pAssertedIdentity) h['P-Asserted-Identity'] = plan.callerId.pAssertedIdentity;
    // RFC 4028: the SIP server (embedded or drachtio-server) runs the timer; an expiry BYE reaches 'destroy'
    if (this.opts.sessionExpiresSeconds) Object.assign(h, { 'Session-Expires': String(this.opts.sessionExpiresSeconds), Supported: 'timer' });
    return h;
  }

  private uacOptions(b: CalleeLegPlan, localSdp: string): { localSdp: string; headers: Record<string, string>; proxy?: string; auth?: { username: string; password: string } } {
    const hop = b.nextHop;
    // Over ws/wss the embedded server finds the browser's connection from the Contact (flow); a
    // proxy there would bypass that.
    const proxy = hop && hop.transport !== 'ws' && hop.transport !== 'wss' ? `sip:${hop.host.includes(':') ? `[${hop.host}]` : hop.host}:${hop.port};transport=${hop.transport}` : undefined;
    // Trunk legs: drachtio-srf answers a 401/407 on the INVITE with these credentials (RFC 3261 §22.2).
    return { localSdp, headers: this.headersForB(), ...(proxy ? { proxy } : {}), ...(b.auth ? { auth: b.auth } : {}) };
  }

  /**
   * Sends the INVITE with `localSdp` to `b` and, when `b` is the first leg of the current ring
   * wave, to every leg of the wave at once (same offer: same kind and profile); resolves with
   * the first 2xx (the other legs get CANCEL, see {@link BLegFork}).
   */
  private async sendB(b: CalleeLegPlan, localSdp: string, onProvisional: (p: ProvisionalResponse) => void): Promise<SessionDialog> {
    this.bLeg = b;
    const legs = this.wave && this.wave.legs[0] === b ? this.wave.legs : [b];
    this.fork ??= new BLegFork({ srf: this.opts.srf, logger: this.log.b });
    const won = await this.fork.ring(legs, (leg) => this.uacOptions(leg, localSdp), (_leg, p) => {
      if (this.canceled || this.state !== 'calling') return;
      try {
        onProvisional(p);
      } catch (err) {
        this.log.b.warn({ err: errText(err), status: p.status }, 'provisional response not relayed');
      }
    }, { timeoutMs: this.wave?.timeoutMs ?? 0 });
    this.bLeg = won.leg;
    this.dialogB = won.dialog;
    return won.dialog;
  }

  /**
   * A = browser, B = browser (both WebRTC): A's offer is relayed to B with Tandem's own ICE/DTLS
   * (browser-browser.ts), 180/183 are relayed (without SDP), B's answer becomes A's answer.
   */
  private async browserToBrowser(pair: BrowserPair, b: CalleeLegPlan, browserOffer: string): Promise<void> {
    const offer = pair.offerToCallee(browserOffer);
    const dialog = await this.sendB(b, offer, (p) => {
      if (p.status === 180 || p.status === 183) this.res.send(p.status);
    });
    this.checkAlive();
    const answer = await pair.answerFromCallee(dialog.remote.sdp);
    this.checkAlive();
    await this.answerA(answer);
  }

  /**
   * A = phone, B = phone (both SIP/RTP): A's offer is relayed to B with Tandem's address, ports and
   * B's profile (phone-pair.ts); 180 is relayed, a 183 with SDP becomes early media toward A (183
   * with the translated answer), B's answer becomes A's answer.
   */
  private async phoneToPhone(phones: PhonePair, b: CalleeLegPlan, phoneOffer: string): Promise<void> {
    phones.setCallee({ media: b.profile.media as SipProfile, ...(b.profile.ptime !== undefined ? { ptime: b.profile.ptime } : {}) }, b.media.transcode ? [] : b.media.codecs);
    const offer = phones.offerToCallee(phoneOffer);
    let early = false;
    const dialog = await this.sendB(b, offer, (p) => {
      if (p.status === 183 && p.body && p.body.trim() !== '' && !early) {
        early = true;
        const sdp = p.body;
        this.earlyWork = this.earlyWork.then(async () => {
          if (this.state !== 'calling' || this.canceled) return;
          const answer = await phones.answerFromCallee(sdp);
          this.log.a.info({ status: 183 }, 'early media');
          this.res.send(183, { body: answer, headers: { 'Content-Type': 'application/sdp' } });
        }).catch((err: unknown) => this.log.a.warn({ err: errText(err) }, 'early media SDP refused; waiting for the answer'));
      } else if (p.status === 180 || p.status === 183) {
        this.res.send(p.status === 183 && !early ? 180 : p.status);
      }
    });
    await this.earlyWork;
    this.checkAlive();
    const answer = await phones.answerFromCallee(dialog.remote.sdp);
    phones.settled();
    this.checkAlive();
    await this.answerA(answer);
  }

  /** A = browser (WebRTC), B = phone/trunk (RTP/AVP or SDES). */
  private async browserToPhone(b: CalleeLegPlan, browserOffer: string): Promise<void> {
    const profile = b.profile.media as SipProfile;
    const sipLocal = sipLocalMedia(this.alloc!.rtp!, this.opts.sdpAddress, profile === 'avp' ? undefined : this.localCrypto);
    this.sipLocal = sipLocal;
    const offer = webrtcOfferToSip(browserOffer, { profile, local: sipLocal, legs: this.legs, ptime: b.profile.ptime });
    this.earlyAnswer = null;
    const dialog = await this.sendB(b, offer.sdp, (p) => {
      if ((p.status === 183 || p.status === 180) && p.body && p.body.trim() !== '' && this.earlyAnswer === null) {
        const sipSdp = p.body;
        this.earlyWork = this.earlyWork.then(async () => {
          if (this.earlyAnswer !== null || this.state !== 'calling' || this.canceled) return;
          const answer = await this.answerBrowser(sipSdp, offer.pending, offer.legs, offer.remote, true);
          this.earlyAnswer = { sipSdp, answer };
          this.log.a.info({ status: 183, codec: answer.plan.sip.name, mode: answer.plan.mode }, 'early media');
          this.res.send(183, { body: answer.sdp, headers: { 'Content-Type': 'application/sdp' } });
        }).catch((err: unknown) => this.log.a.warn({ err: errText(err) }, 'early media SDP refused; waiting for the answer'));
      } else if (p.status === 180 || p.status === 183) {
        this.res.send(p.status === 183 && this.earlyAnswer === null ? 180 : p.status);
      }
    });
    await this.earlyWork;
    this.checkAlive();
    const sipSdp = dialog.remote.sdp;
    let answer: AnswerTranslation;
    const early = this.earlyAnswer as { sipSdp: string; answer: AnswerTranslation } | null;
    if (early && early.sipSdp === sipSdp) answer = early.answer;
    else answer = await this.answerBrowser(sipSdp, offer.pending, offer.legs, offer.remote, early === null);
    this.checkAlive();
    await this.answerA(answer.sdp);
  }

  /**
   * The phone's answer → the browser's answer; applies (first time) or updates the media.
   * The DTLS role written is the one the engine resolved (RFC 5763 §5).
   */
  private async answerBrowser(
    sipSdp: string, pending: PendingWebRtcOffer, legs: CallSdpLegs, browser: Parameters<typeof webrtcRemoteParams>[0], first: boolean,
  ): Promise<AnswerTranslation> {
    let t = sipAnswerToWebrtc(sipSdp, { pending, local: this.webrtcLocal!, legs, setup: this.dtlsSetup });
    const rtp = { remote: rtpRemote(t.remote), formats: sipFormats(t.plan), srtp: srtpSessionKeys(t.srtp), direction: reverseDirection(t.remote.direction) };
    const req = { webrtc: webrtcRemoteParams(browser, t.plan, t.direction), rtp, bridge: this.bridgeFor(t.plan) };
    const local = first ? await this.opts.media.apply(this.mediaId, req) : await this.opts.media.update(this.mediaId, req);
    if ((local.setup === 'active' || local.setup === 'passive') && local.setup !== this.dtlsSetup) {
      this.dtlsSetup = local.setup;
      t = sipAnswerToWebrtc(sipSdp, { pending, local: this.webrtcLocal!, legs, setup: this.dtlsSetup });
    }
    this.legs = t.legs;
    this.log.call.info({ mode: t.plan.mode, webrtc: t.plan.webrtc.name, sip: t.plan.sip.name, srtp: t.srtp !== undefined }, 'media applied');
    return t;
  }

  /** A = phone/trunk (RTP), B = browser (WebRTC). */
  private async phoneToBrowser(b: CalleeLegPlan, sipOffer: string): Promise<void> {
    const { plan } = this.opts.request;
    const offer = sipOfferToWebrtc(sipOffer, { local: this.webrtcLocal!, legs: this.legs, preferOpus: b.profile.transcoding === 'prefer-opus' });
    const sipLocal = sipLocalMedia(this.alloc!.rtp!, this.opts.sdpAddress, this.localCrypto);
    this.sipLocal = sipLocal;
    const dialog = await this.sendB(b, offer.sdp, (p) => {
      if (p.status === 180 || p.status === 183) this.res.send(180);
    });
    this.checkAlive();
    const t = webrtcAnswerToSip(dialog.remote.sdp, { pending: offer.pending, local: sipLocal, legs: offer.legs, ptime: plan.a.profile.ptime });
    const local = await this.opts.media.apply(this.mediaId, {
      webrtc: webrtcRemoteParams(t.remote, t.plan, reverseDirection(t.remote.direction)),
      rtp: { remote: rtpRemote(offer.remote), formats: sipFormats(t.plan), srtp: srtpSessionKeys(t.srtp), direction: t.direction },
      bridge: this.bridgeFor(t.plan),
    });
    if (local.setup === 'active' || local.setup === 'passive') this.dtlsSetup = local.setup;
    this.legs = t.legs;
    this.log.call.info({ mode: t.plan.mode, webrtc: t.plan.webrtc.name, sip: t.plan.sip.name, srtp: t.srtp !== undefined }, 'media applied');
    this.checkAlive();
    await this.answerA(t.sdp);
  }

  private async answerA(sdp: string): Promise<void> {
    const dialogA = await this.opts.srf.createUAS(this.opts.request.req, this.opts.request.res, {
      localSdp: sdp, headers: { 'Content-Type': 'application/sdp' },
    });
    this.dialogA = dialogA;
    this.state = 'answered';
    this.log.a.info('call answered');
    const max = this.opts.maxDurationMs ?? 0;
    if (max > 0) {
      this.maxTimer = setTimeout(() => {
        this.maxTimer = null;
        this.log.call.info({ maxDurationMs: max }, 'maximum call duration reached');
        void this.end(null, REASON.maxDuration);
      }, max);
      this.maxTimer.unref?.();
    }
    const b = this.dialogB!;
    dialogA.on('destroy', () => void this.end('a', REASON.hangup));
    b.on('destroy', () => void this.end('b', REASON.hangup));
    dialogA.on('modify', (rq, rs) => void this.onModify('a', rq, rs));
    b.on('modify', (rq, rs) => void this.onModify('b', rq, rs));
    // RFC 4028 session refresh (re-INVITE, same SDP version): drachtio-srf answers it with our SDP; nothing to relay
    dialogA.on('refresh', () => undefined);
    b.on('refresh', () => undefined);
    dialogA.on('info', (rq, rs) => this.onInfo('a', rq, rs));
    b.on('info', (rq, rs) => this.onInfo('b', rq, rs));
    if (this.mediaFailure) await this.end(null, REASON.mediaFailure);
  }

  /** Cancels every pending B leg (CANCEL, RFC 3261 §9.1) and stops further ring waves. */
  private cancelB(): void {
    this.fork?.cancel();
  }

  private onCancel(): void {
    if (this.state !== 'calling' && this.state !== 'new') return;
    this.log.a.info('CANCEL from the caller');
    this.canceled = true;
    this.cancelB();
  }

  /** Setup failed before A was answered (or while answering): final response, cleanup. */
  private async failSetup(err: unknown): Promise<void> {
    let status: number;
    let text: string;
    if (this.canceled) {
      status = 487;
      text = 'canceled';
    } else if (this.mediaFailure !== null) {
      status = 503;
      text = this.mediaFailure;
    } else if (err instanceof SessionError) {
      status = err.sipStatus;
      text = err.message;
    } else if (isSdpError(err)) {
      status = err.sipStatus;
      text = err.reason;
    } else if (typeof (err as UacFailure)?.status === 'number') {
      status = mapBLegStatus((err as UacFailure).status);
      text = `callee answered ${(err as UacFailure).status}`;
    } else {
      status = 503;
      text = 'call setup failed';
      this.log.call.warn({ err: errText(err) }, 'call setup failed');
    }
    this.log.call.info({ status, reason: text }, 'call failed');
    if (this.dialogB) {
      const b = this.dialogB;
      b.destroy({ headers: { Reason: REASON.internal } }).catch(() => undefined);
    }
    if (this.dialogA) {
      // A was answered but wiring failed after that: hang up.
      this.dialogA.destroy({ headers: { Reason: REASON.internal } }).catch(() => undefined);
    } else if (!this.canceled && !this.res.finalResponseSent) {
      try {
        const headers: Record<string, string> = { Warning: warning(text) };
        if (status === 487) headers['Reason'] = 'SIP;cause=487;text="Request Terminated"';
        this.res.send(status, { headers });
      } catch (e) {
        this.log.a.debug({ err: errText(e) }, 'final response not sent');
      }
    }
    await this.finish();
  }

  /** Ends an answered call: BYE to the leg(s) that did not hang up, media closed. Idempotent. */
  end(by: Side | null, reason: string, opts: { releaseGone?: boolean } = {}): Promise<void> {
    if (this.endedPromise) return this.endedPromise;
    this.clearMaxTimer();
    this.endedPromise = (async () => {
      this.log.call.info({ by: by ?? 'tandem', reason }, 'call ended');
      const byes: Promise<unknown>[] = [];
      if (by !== 'a' && this.dialogA) byes.push(this.dialogA.destroy({ headers: { Reason: reason } }).catch(() => undefined));
      if (by !== 'b' && this.dialogB) byes.push(this.dialogB.destroy({ headers: { Reason: reason } }).catch(() => undefined));
      if (opts.releaseGone && by) {
        // The leg's connection is gone: its BYE cannot be delivered, but destroying the dialog
        // releases drachtio-srf's state for it. Not awaited (the send fails or times out).
        const gone = by === 'a' ? this.dialogA : this.dialogB;
        gone?.destroy({ headers: { Reason: reason } }).catch(() => undefined);
      }
      await this.closeMedia();
      // A BYE whose flow just died may never be answered (Timer F, RFC 3261 §17.1.2.2, is 32 s):
      // wait for the BYEs a bounded time only, so shutdown and the call count do not hang on it.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(byes), new Promise<void>((resolve) => {
        timer = setTimeout(resolve, BYE_WAIT_MS);
      })]);
      clearTimeout(timer);
      this.markEnded();
    })();
    return this.endedPromise;
  }

  private async finish(): Promise<void> {
    if (this.endedPromise) return this.endedPromise;
    this.endedPromise = (async () => {
      await this.closeMedia();
      this.markEnded();
    })();
    return this.endedPromise;
  }

  private clearMaxTimer(): void {
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.maxTimer = null;
  }

  private markEnded(): void {
    this.clearMaxTimer();
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.opts.onEnded?.(this);
  }

  private async closeMedia(): Promise<void> {
    if (this.mediaClosed) return;
    this.mediaClosed = true;
    if (!this.mediaAllocated) return;
    await this.opts.media.closeCall(this.mediaId).catch((err: unknown) => this.log.call.warn({ err: errText(err) }, 'closing media failed'));
  }

  /** Media engine events for this call. */
  onMediaEvent(ev: CallEvent): void {
    if (this.state === 'ended') return;
    if (ev.kind === 'dtmf') { this.onBrowserDigit(ev.digit, ev.durationMs); return; }
    let reason: string | null = null;
    if (ev.kind === 'inactivity') reason = REASON.rtpTimeout;
    else if (ev.kind === 'closed' || ev.kind === 'error') reason = REASON.mediaFailure;
    else if (ev.kind === 'dtls-state' && ev.state === 'failed') reason = REASON.mediaFailure;
    else if (ev.kind === 'ice-state' && ev.state === 'failed') reason = REASON.mediaFailure;
    if (!reason) return;
    this.log.call.warn({ event: ev.kind, ...('leg' in ev ? { leg: ev.leg } : {}), ...('state' in ev ? { state: ev.state } : {}) }, 'media event ends the call');
    if (ev.kind === 'closed') this.mediaClosed = true;
    if (this.state === 'answered') {
      void this.end(null, reason);
    } else {
      this.mediaFailure = `media: ${ev.kind}`;
      this.cancelB();
    }
  }

  /**
   * INFO in a dialog (RFC 6086; DTMF bodies `application/dtmf-relay` / `application/dtmf`).
   * From a `dtmf: info` phone: sent to the browser as RFC 4733 packets (engine `sendDtmf`), 200 once
   * the engine took it (relayed as INFO if the engine refuses, e.g. no telephone-event negotiated).
   * From another phone: relayed to the browser as `application/dtmf-relay` (JsSIP/SIP.js report it as
   * remote DTMF). From the browser: relayed to the phone as `application/dtmf-relay` when the
   * phone's profile has `dtmf: info` or `both`; otherwise 415 (conversion to RFC 4733 is not done).
   * Other bodies → 415 with `Accept`; an unreadable DTMF body → 400. 200 is sent before the relay.
   */
  private onInfo(from: Side, rq: AppRequest, rs: AppResponse): void {
    const log = this.log[from];
    const accept = { Accept: 'application/dtmf-relay, application/dtmf' };
    let d;
    try {
      d = parseDtmfInfo(rq.get('Content-Type'), rq.body ?? '');
    } catch (e) {
      const reason = e instanceof SessionError ? e.message : 'bad DTMF body';
      rs.send(400, { headers: { Warning: warning(reason) } });
      return;
    }
    if (d === null) {
      rs.send(415, { headers: accept });
      return;
    }
    const other = from === 'a' ? this.dialogB : this.dialogA;
    const kind = from === 'a' ? this.opts.request.plan.a.kind : this.bLeg?.kind;
    const phoneDtmf = this.phoneDtmfMode();
    if (this.state !== 'answered' || !other?.request || (kind === 'webrtc' && phoneDtmf === 'rfc4733' && !this.pair)) {
      rs.send(415, { headers: { ...accept, Warning: warning('DTMF via SIP INFO is not relayed on this call (peer profile dtmf: rfc4733)') } });
      return;
    }
    const requestOther = other.request.bind(other);
    const relay = (digit: DtmfInfoDigit): void => {
      rs.send(200);
      log.info({ digit: digit.digit, durationMs: digit.durationMs }, 'DTMF INFO relayed');
      requestOther({ method: 'INFO', headers: { 'Content-Type': 'application/dtmf-relay' }, body: formatDtmfRelay(digit.event, digit.durationMs) })
        .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'DTMF INFO relay failed'));
    };
    const sendDtmf = this.opts.media.sendDtmf?.bind(this.opts.media);
    if (kind === 'sip' && phoneDtmf === 'info' && sendDtmf && !this.phones) {
      // Phone speaks INFO only: the browser gets the digit as RFC 4733 packets; 200 once the engine took it.
      // The engine refuses when the browser negotiated no telephone-event: the INFO is relayed as INFO then.
      const digit = d;
      sendDtmf(this.mediaId, { toward: 'webrtc', digit: digit.digit, durationMs: digit.durationMs }).then(() => {
        rs.send(200);
        log.info({ digit: digit.digit, durationMs: digit.durationMs }, 'DTMF INFO sent as RFC 4733');
      }, (err: unknown) => {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'DTMF INFO not sent as RFC 4733; relayed as INFO');
        relay(digit);
      });
      return;
    }
    relay(d);
  }

  /**
   * Bridge parameters, with what the engine does with RFC 4733 events from the browser: forwarded
   * to the phone (`dtmf: rfc4733`), reported per digit for an INFO toward the phone (`info`), or both.
   */
  private bridgeFor(plan: Parameters<typeof bridgeParams>[0]): ReturnType<typeof bridgeParams> & { webrtcDtmf: 'forward' | 'event' | 'both' } {
    const mode = this.phoneDtmfMode();
    return { ...bridgeParams(plan, this.identity), webrtcDtmf: mode === 'info' ? 'event' : mode === 'both' ? 'both' : 'forward' };
  }

  /** The phone's dialog (the SIP side), once answered. */
  private phoneDialog(): typeof this.dialogA {
    return this.opts.request.plan.a.kind === 'sip' ? this.dialogA : this.dialogB;
  }

  /** An RFC 4733 digit from the browser (engine `dtmf` event, `dtmf: info`/`both` phones) → SIP INFO `application/dtmf-relay` to the phone. */
  private onBrowserDigit(digit: string, durationMs: number): void {
    const dialog = this.phoneDialog();
    const side: Side = this.opts.request.plan.a.kind === 'sip' ? 'a' : 'b';
    const event = dtmfEventOf(digit);
    if (this.state !== 'answered' || !dialog?.request || event < 0) return;
    const log = this.log[side];
    log.info({ digit, durationMs }, 'RFC 4733 digit sent as DTMF INFO');
    dialog.request({ method: 'INFO', headers: { 'Content-Type': 'application/dtmf-relay' }, body: formatDtmfRelay(event, durationMs) })
      .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'DTMF INFO to phone failed'));
  }

  private phoneDtmfMode(): 'rfc4733' | 'info' | 'both' {
    const { plan } = this.opts.request;
    const p = plan.a.kind === 'sip' ? plan.a.profile : this.bLeg?.profile;
    return p?.dtmf ?? 'rfc4733';
  }

  /** A re-INVITE on one leg (hold/resume, ICE restart, codec change): translated to the other leg. */
  private async onModify(from: Side, rq: AppRequest, rs: AppResponse): Promise<void> {
    const log = this.log[from];
    if (this.state !== 'answered' || this.reinviteBusy) {
      rs.send(491, 'Request Pending');
      return;
    }
    this.reinviteBusy = true;
    try {
      const own = from === 'a' ? this.dialogA! : this.dialogB!;
      const other = from === 'a' ? this.dialogB! : this.dialogA!;
      const body = rq.body;
      if (!body || body.trim() === '') {
        rs.send(200, { body: own.local.sdp, headers: { 'Content-Type': 'application/sdp' } });
        return;
      }
      const kind = from === 'a' ? this.opts.request.plan.a.kind : this.bLeg!.kind;
      const sdp = this.pair ? await this.pair.reoffer(from, body, other)
        : this.phones ? await this.phones.reoffer(from, body, other)
        : kind === 'webrtc' ? await this.reofferFromBrowser(body, other) : await this.reofferFromPhone(body, other);
      rs.send(200, { body: sdp, headers: { 'Content-Type': 'application/sdp' } });
      log.info('re-INVITE relayed');
    } catch (err) {
      const status = isSdpError(err) ? err.sipStatus : typeof (err as UacFailure).status === 'number' ? mapBLegStatus((err as UacFailure).status) : 500;
      log.warn({ status, err: errText(err) }, 're-INVITE refused');
      try {
        rs.send(status === 503 ? 500 : status, { headers: { Warning: warning(isSdpError(err) ? err.reason : 're-INVITE failed') } });
      } catch {
        /* transaction gone */
      }
    } finally {
      this.reinviteBusy = false;
    }
  }

  private sipProfile(): SipProfile {
    const { plan } = this.opts.request;
    const p = plan.a.kind === 'sip' ? plan.a.profile : this.bLeg!.profile;
    return p.media as SipProfile;
  }

  /** New offer from the browser (hold/resume/ICE restart) → re-INVITE the phone (unless unchanged). */
  private async reofferFromBrowser(offerSdp: string, phone: SessionDialog): Promise<string> {
    const offer = webrtcOfferToSip(offerSdp, { profile: this.sipProfile(), local: this.sipLocal!, legs: this.legs });
    if (offer.iceRestart) {
      // ICE restart (RFC 8445 §9): we answer with new ufrag/pwd too (RFC 8839 §4.4.1.1.1). The engine
      // keeps answering the old credentials and media keeps the current pair until the new checks
      // select one; DTLS/SRTP are kept. An ICE-only change leaves the SIP offer unchanged: no re-INVITE.
      const local = await this.opts.media.update(this.mediaId, { restartIce: true });
      this.webrtcLocal = webrtcLocalMedia(local, this.identity, this.opts.sdpAddress);
      this.log.call.info({ sipChanged: offer.changed }, 'ICE restart from the browser');
    }
    const sipAnswer = offer.changed ? await phone.modify(offer.sdp) : phone.remote.sdp;
    const t = sipAnswerToWebrtc(sipAnswer, { pending: offer.pending, local: this.webrtcLocal!, legs: offer.legs, setup: this.dtlsSetup });
    await this.opts.media.update(this.mediaId, {
      webrtc: webrtcRemoteParams(offer.remote, t.plan, t.direction),
      ...(offer.changed ? { rtp: { remote: rtpRemote(t.remote), formats: sipFormats(t.plan), srtp: srtpSessionKeys(t.srtp), direction: reverseDirection(t.remote.direction) } } : {}),
      bridge: this.bridgeFor(t.plan),
    });
    this.legs = t.legs;
    return t.sdp;
  }

  /** New offer from the phone (hold/resume/new address) → re-INVITE the browser (unless unchanged). */
  private async reofferFromPhone(offerSdp: string, browser: SessionDialog): Promise<string> {
    const offer = sipOfferToWebrtc(offerSdp, { local: this.webrtcLocal!, legs: this.legs });
    const answer = offer.changed ? await browser.modify(offer.sdp) : browser.remote.sdp;
    const t = webrtcAnswerToSip(answer, { pending: offer.pending, local: this.sipLocal!, legs: offer.legs });
    await this.opts.media.update(this.mediaId, {
      webrtc: webrtcRemoteParams(t.remote, t.plan, reverseDirection(t.remote.direction)),
      rtp: { remote: rtpRemote(offer.remote), formats: sipFormats(t.plan), srtp: srtpSessionKeys(t.srtp), direction: t.direction },
      bridge: this.bridgeFor(t.plan),
    });
    this.legs = t.legs;
    return t.sdp;
  }
}

function errText(err: unknown): string {
  if (err instanceof Error) return `${(err as { code?: string }).code ?? err.name}: ${err.message}`;
  return String(err);
}

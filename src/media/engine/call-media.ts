import { TandemError, UnsupportedError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { MediaBridge } from '../bridge/index.js';
import { newLegCounters, type PayloadFormat } from '../leg.js';
import type { PortPool } from '../net/index.js';
import { RtpLeg } from '../rtp-leg/index.js';
import type { DtlsCertificate } from '../webrtc/certificate.js';
import type { WebRtcLocalParams, WebRtcRemoteParams } from '../webrtc/types.js';
import { WebRtcLeg } from '../webrtc/webrtc-leg.js';
import { NO_WEBRTC_PARAMS } from './protocol.js';
import type {
  AllocateRequest, AllocateResult, ApplyRequest, ApplyResult, BridgeParams, CallEvent, CallStats, RtpRemoteParams, SendDtmfRequest,
  UpdateRequest, WorkerConfig,
} from './protocol.js';

/** RFC 4733 §3.2 event code → digit. */
const DTMF_DIGITS = '0123456789*#ABCD';

/**
 * One call's media inside a worker: the WebRTC leg, the RTP leg and the bridge
 * between them ('rtp' mode), two WebRTC legs and the bridge between them
 * ('webrtc' mode: browser → browser, each leg terminating its own ICE, DTLS-SRTP
 * and RTCP), or the WebRTC leg echoing to itself ('echo').
 * All live in this thread, so a packet goes socket → leg → bridge → leg →
 * socket synchronously, with no thread hop.
 */
export class CallMedia {
  private webrtc: WebRtcLeg | null = null;
  private rtp: RtpLeg | null = null;
  /** Mode 'webrtc': the second WebRTC leg (callee browser). */
  private webrtcB: WebRtcLeg | null = null;
  private webrtcBFormats: PayloadFormat[] | null = null;
  private webrtcBSsrc: number | undefined;
  private lastRxB = 0;
  private lastRxAtB = 0;
  private bridge: MediaBridge | null = null;
  private webrtcFormats: PayloadFormat[] | null = null;
  private rtpFormats: PayloadFormat[] | null = null;
  /** Mode 'rtp-rtp': the second RTP leg (callee phone). */
  private rtpB: RtpLeg | null = null;
  private rtpBFormats: PayloadFormat[] | null = null;
  private bridgeParams: BridgeParams = {};
  private lastRx = 0;
  private lastRxAt = 0;
  private closed = false;
  private mode: AllocateRequest['bridge'] = 'echo';
  private echoSsrc = ((Math.random() * 0xffffffff) >>> 0) || 1;
  /** SSRC toward the WebRTC leg from the allocate request (BridgeParams.webrtcSsrc overrides it). */
  private webrtcSsrc: number | undefined;

  constructor(
    readonly callId: string,
    private readonly cfg: WorkerConfig,
    private readonly pool: PortPool,
    private readonly cert: DtlsCertificate,
    private readonly emit: (e: CallEvent) => void,
    private readonly log: Logger,
  ) {}

  async allocate(req: AllocateRequest): Promise<AllocateResult> {
    this.mode = req.bridge;
    if (req.bridge === 'rtp-rtp') return this.allocateRtpPair(req);
    if (req.webrtcSsrc !== undefined) { this.webrtcSsrc = req.webrtcSsrc >>> 0; this.echoSsrc = this.webrtcSsrc; }
    const leg = await WebRtcLeg.create({
      portPool: this.pool, bindAddress: this.cfg.bindAddress, announcedAddresses: this.cfg.announcedAddresses,
      iceLite: req.iceLite ?? this.cfg.iceLite, offerer: req.offerer, certificate: this.cert,
      srtpProfiles: this.cfg.srtpProfiles, logger: this.log,
      onIceState: (state) => this.emit({ kind: 'ice-state', state }),
      onDtlsState: (state, error) => this.emit(error ? { kind: 'dtls-state', state, error: error.message } : { kind: 'dtls-state', state }),
    });
    this.webrtc = leg;
    if (req.bridge === 'webrtc') {
      if (req.webrtcBSsrc !== undefined) this.webrtcBSsrc = req.webrtcBSsrc >>> 0;
      this.webrtcB = await WebRtcLeg.create({
        portPool: this.pool, bindAddress: this.cfg.bindAddress, announcedAddresses: this.cfg.announcedAddresses,
        iceLite: req.iceLite ?? this.cfg.iceLite, offerer: req.offererB ?? !req.offerer, certificate: this.cert,
        srtpProfiles: this.cfg.srtpProfiles, logger: this.log.child({ leg: 'webrtcB' }),
        onIceState: (state) => this.emit({ kind: 'ice-state', state, leg: 'b' }),
        onDtlsState: (state, error) => this.emit(error ? { kind: 'dtls-state', state, error: error.message, leg: 'b' } : { kind: 'dtls-state', state, leg: 'b' }),
      });
    }
    if (req.bridge === 'rtp') {
      this.rtp = await RtpLeg.create({
        localAddress: this.cfg.bindAddress, pool: this.pool, rtcpMux: req.rtcpMux ?? false, remote: null, formats: [],
        inactivityTimeoutMs: this.cfg.rtpTimeoutMs, logger: this.log.child({ leg: 'rtp' }),
      });
      this.rtp.onInactive = (idleMs) => this.emit({ kind: 'inactivity', leg: 'rtp', idleMs });
    } else {
      // Echo: back to the browser with our own SSRC (a browser ignores its own SSRC looped back).
      const ssrc = this.echoSsrc;
      leg.onRtp = (p) => {
        p.writeUInt32BE(ssrc, 8);
        leg.sendRtp(p);
      };
    }
    if (this.closed) this.close();
    this.lastRxAt = Date.now();
    this.lastRxAtB = this.lastRxAt;
    const rtp = this.rtp;
    const legB = this.webrtcB;
    return {
      webrtc: leg.localParams(),
      rtp: rtp ? { address: this.cfg.announcedAddresses[0], rtpPort: rtp.localRtpPort, rtcpPort: rtp.localRtcpPort } : null,
      ...(legB ? { webrtcB: legB.localParams() } : {}),
      worker: this.cfg.index,
    };
  }

  /**
   * Mode 'rtp-rtp' (phone → phone): two RTP legs from this worker's pool, each with its own
   * RTP/RTCP ports, latching and inactivity timer; no WebRTC leg.
   */
  private async allocateRtpPair(req: AllocateRequest): Promise<AllocateResult> {
    const mk = async (mux: boolean, name: 'rtp' | 'rtpB'): Promise<RtpLeg> => {
      const leg = await RtpLeg.create({
        localAddress: this.cfg.bindAddress, pool: this.pool, rtcpMux: mux, remote: null, formats: [],
        inactivityTimeoutMs: this.cfg.rtpTimeoutMs, logger: this.log.child({ leg: name }),
      });
      leg.onInactive = (idleMs) => this.emit({ kind: 'inactivity', leg: name, idleMs });
      return leg;
    };
    this.rtp = await mk(req.rtcpMux ?? false, 'rtp');
    try {
      this.rtpB = await mk(req.rtcpMuxB ?? false, 'rtpB');
    } catch (e) {
      this.close();
      throw e;
    }
    if (this.closed) this.close();
    const a = this.rtp;
    const b = this.rtpB;
    if (!a || !b) throw new UnsupportedError('ERR_MEDIA_CLOSED', 'call closed during allocation', { data: { callId: this.callId } });
    const address = this.cfg.announcedAddresses[0];
    return {
      webrtc: { ...NO_WEBRTC_PARAMS },
      rtp: { address, rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort },
      rtpB: { address, rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort },
      worker: this.cfg.index,
    };
  }

  /** Apply/update of a 'rtp-rtp' call: both RTP legs, then the bridge. */
  private applyRtpPair(req: ApplyRequest | UpdateRequest): ApplyResult {
    if (req.bridge) this.bridgeParams = { ...this.bridgeParams, ...req.bridge };
    if (req.rtp) this.applyRtp(req.rtp);
    if (req.rtpB) this.applyRtpB(req.rtpB);
    if (req.rtp || req.rtpB || req.bridge) this.rebuildBridge();
    return { ...NO_WEBRTC_PARAMS };
  }

  private applyRtpB(p: Partial<RtpRemoteParams>): void {
    const rtp = this.rtpB;
    if (!rtp) throw new UnsupportedError('ERR_MEDIA_NO_RTP_LEG', 'call was allocated without a second RTP leg', { data: { callId: this.callId } });
    rtp.update({
      ...(p.remote !== undefined ? { remote: p.remote } : {}),
      ...(p.formats !== undefined ? { formats: p.formats } : {}),
      ...(p.srtp !== undefined ? { srtp: p.srtp } : {}),
      ...(p.direction !== undefined ? { direction: p.direction } : {}),
    });
    if (p.formats !== undefined) this.rtpBFormats = p.formats;
  }

  /** Our parameters of both WebRTC legs (`webrtcB` only in mode 'webrtc'). */
  private localResult(a: WebRtcLocalParams): ApplyResult {
    const b = this.webrtcB;
    return b ? { ...a, webrtcB: b.localParams() } : a;
  }

  private requireLegB(): WebRtcLeg {
    if (!this.webrtcB) throw new UnsupportedError('ERR_MEDIA_NO_WEBRTC_B_LEG', 'call was allocated without a second WebRTC leg', { data: { callId: this.callId } });
    return this.webrtcB;
  }

  apply(req: ApplyRequest): ApplyResult {
    if (this.mode === 'rtp-rtp') return this.applyRtpPair(req);
    const leg = this.requireLeg();
    if (req.bridge) this.bridgeParams = { ...this.bridgeParams, ...req.bridge };
    if (req.webrtc) this.applyWebrtc(leg, req.webrtc);
    if (req.rtp) this.applyRtp(req.rtp);
    if (req.webrtcB) this.applyWebrtcB(req.webrtcB);
    this.rebuildBridge();
    return this.localResult(leg.localParams());
  }

  update(req: UpdateRequest): ApplyResult {
    if (this.mode === 'rtp-rtp') return this.applyRtpPair(req);
    const leg = this.requireLeg();
    let local = leg.localParams();
    if (req.bridge) this.bridgeParams = { ...this.bridgeParams, ...req.bridge };
    if (req.restartIce) local = leg.restartIce();
    if (req.restartIceB) this.requireLegB().restartIce();
    if (req.webrtc) this.applyWebrtc(leg, req.webrtc);
    if (req.direction) leg.setDirection(req.direction);
    if (req.rtp) this.applyRtp(req.rtp);
    if (req.webrtcB) this.applyWebrtcB(req.webrtcB);
    if (req.webrtc || req.rtp || req.bridge || req.webrtcB) this.rebuildBridge();
    return this.localResult(req.webrtc ? leg.localParams() : local);
  }

  private applyWebrtcB(remote: WebRtcRemoteParams): void {
    this.requireLegB().apply(remote);
    // Inactivity on this leg counts from its first remote description (it rings before that).
    if (!this.webrtcBFormats) this.lastRxAtB = Date.now();
    this.webrtcBFormats = remote.formats;
  }

  private applyWebrtc(leg: WebRtcLeg, remote: WebRtcRemoteParams): void {
    leg.apply(remote);
    this.webrtcFormats = remote.formats;
  }

  private applyRtp(p: Partial<RtpRemoteParams>): void {
    const rtp = this.rtp;
    if (!rtp) throw new UnsupportedError('ERR_MEDIA_NO_RTP_LEG', 'call was allocated without an RTP leg', { data: { callId: this.callId } });
    rtp.update({
      ...(p.remote !== undefined ? { remote: p.remote } : {}),
      ...(p.formats !== undefined ? { formats: p.formats } : {}),
      ...(p.srtp !== undefined ? { srtp: p.srtp } : {}),
      ...(p.direction !== undefined ? { direction: p.direction } : {}),
    });
    if (p.formats !== undefined) this.rtpFormats = p.formats;
  }

  /** The bridge's b side once it has formats: the second WebRTC leg (mode 'webrtc') or the RTP leg (mode 'rtp'). */
  private bSide(): { leg: WebRtcLeg | RtpLeg; formats: PayloadFormat[]; sendPt: number | undefined; sendSsrc: number | undefined; ptimeMs: number | undefined } | null {
    if (this.mode === 'webrtc' && this.webrtcB && this.webrtcBFormats) {
      return { leg: this.webrtcB, formats: this.webrtcBFormats, sendPt: this.bridgeParams.webrtcBSendPt, sendSsrc: this.bridgeParams.webrtcBSsrc ?? this.webrtcBSsrc, ptimeMs: undefined };
    }
    if (this.mode === 'rtp-rtp' && this.rtpB && this.rtpBFormats) {
      return { leg: this.rtpB, formats: this.rtpBFormats, sendPt: this.bridgeParams.rtpBSendPt, sendSsrc: this.bridgeParams.rtpBSsrc, ptimeMs: this.bridgeParams.rtpBPtimeMs };
    }
    if (this.mode === 'rtp' && this.rtp && this.rtpFormats) {
      return { leg: this.rtp, formats: this.rtpFormats, sendPt: this.bridgeParams.rtpSendPt, sendSsrc: this.bridgeParams.rtpSsrc, ptimeMs: this.bridgeParams.rtpPtimeMs };
    }
    return null;
  }

  /** (Re)build the bridge once both sides have formats; a codec change builds a new one. */
  private rebuildBridge(): void {
    const bSide = this.bSide();
    // Leg a: the (first) WebRTC leg, or in mode 'rtp-rtp' the caller's RTP leg.
    const aSide = this.mode === 'rtp-rtp'
      ? (this.rtp && this.rtpFormats ? { leg: this.rtp as WebRtcLeg | RtpLeg, formats: this.rtpFormats, sendPt: this.bridgeParams.rtpSendPt, sendSsrc: this.bridgeParams.rtpSsrc, ptimeMs: this.bridgeParams.rtpPtimeMs } : null)
      : (this.webrtc && this.webrtcFormats ? { leg: this.webrtc as WebRtcLeg | RtpLeg, formats: this.webrtcFormats, sendPt: this.bridgeParams.webrtcSendPt, sendSsrc: this.bridgeParams.webrtcSsrc ?? this.webrtcSsrc, ptimeMs: undefined } : null);
    if (!aSide || !bSide) return;
    // Same legs in the same roles: the new bridge continues both outgoing streams (same SSRC, next
    // sequence number, timestamp advanced by the wall time; RFC 3550 §5.1), e.g. across hold/resume.
    const state = this.bridge?.outputState() ?? null;
    this.bridge?.close();
    this.bridge = null;
    try {
      this.bridge = new MediaBridge({
        a: { leg: aSide.leg, formats: aSide.formats, sendPt: aSide.sendPt, sendSsrc: aSide.sendSsrc, ...(aSide.ptimeMs !== undefined ? { ptimeMs: aSide.ptimeMs } : {}) },
        b: {
          leg: bSide.leg, formats: bSide.formats, sendPt: bSide.sendPt, ptimeMs: bSide.ptimeMs, sendSsrc: bSide.sendSsrc,
        },
        opusComplexity: this.cfg.opusComplexity,
        logger: this.log,
        ...(this.bridgeParams.webrtcDtmf && this.bridgeParams.webrtcDtmf !== 'forward' ? {
          dtmfFromA: {
            forward: this.bridgeParams.webrtcDtmf === 'both',
            onDigit: (event: number, durationMs: number) => this.emit({ kind: 'dtmf', from: 'webrtc', digit: DTMF_DIGITS[event]!, durationMs }),
          },
        } : {}),
        ...(state !== null ? { continueFrom: { outputState: () => state } } : {}),
      });
    } catch (e) {
      const code = e instanceof TandemError ? e.code : 'ERR_MEDIA_BRIDGE';
      this.emit({ kind: 'error', code, message: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  }

  /** Generates one RFC 4733 digit toward a leg through the bridge (MediaBridge.sendDtmf). */
  sendDtmf(req: SendDtmfRequest): { sent: true } {
    const event = typeof req.digit === 'string' && req.digit.length === 1 ? DTMF_DIGITS.indexOf(req.digit.toUpperCase()) : -1;
    if (event < 0 || !(req.durationMs > 0)) {
      throw new UnsupportedError('ERR_MEDIA_BAD_DTMF', `bad DTMF digit/duration ${String(req.digit).slice(0, 4)}/${req.durationMs}`, { data: { callId: this.callId } });
    }
    const b = this.bridge;
    if (!b || !b.sendDtmf(req.toward === 'webrtc' ? 'a' : 'b', event, req.durationMs)) {
      throw new UnsupportedError('ERR_MEDIA_NO_TELEPHONE_EVENT', `no bridge with telephone-event toward the ${req.toward} leg`, { data: { callId: this.callId } });
    }
    return { sent: true };
  }

  /** Called once a second by the worker: WebRTC-side RTP inactivity (the RTP leg reports its own). */
  tick(now: number): void {
    const leg = this.webrtc;
    if (!leg || this.closed || this.cfg.rtpTimeoutMs <= 0) return;
    const rx = leg.counters.rxPackets;
    if (rx !== this.lastRx) { this.lastRx = rx; this.lastRxAt = now; }
    else if (now - this.lastRxAt >= this.cfg.rtpTimeoutMs) {
      this.emit({ kind: 'inactivity', leg: 'webrtc', idleMs: now - this.lastRxAt });
      this.lastRxAt = now;
    }
    const b = this.webrtcB;
    if (!b || !this.webrtcBFormats) return;
    const rxB = b.counters.rxPackets;
    if (rxB !== this.lastRxB) { this.lastRxB = rxB; this.lastRxAtB = now; }
    else if (now - this.lastRxAtB >= this.cfg.rtpTimeoutMs) {
      this.emit({ kind: 'inactivity', leg: 'webrtcB', idleMs: now - this.lastRxAtB });
      this.lastRxAtB = now;
    }
  }

  stats(worker: number): CallStats {
    const b = this.bridge;
    if (this.mode === 'rtp-rtp') {
      if (!this.rtp || !this.rtpB) throw new UnsupportedError('ERR_MEDIA_NOT_ALLOCATED', 'call has no RTP legs', { data: { callId: this.callId } });
      return {
        callId: this.callId, worker, webrtc: placeholderWebRtcStats(), rtp: { ...this.rtp.counters }, rtpB: { ...this.rtpB.counters },
        bridge: b ? {
          webrtcToRtp: { ...b.aToB }, rtpToWebrtc: { ...b.bToA },
          encoderComplexity: { webrtcToRtp: b.encoderComplexity().aToB, rtpToWebrtc: b.encoderComplexity().bToA },
        } : null,
      };
    }
    const leg = this.requireLeg();
    return {
      callId: this.callId, worker, webrtc: leg.stats(), rtp: this.rtp ? { ...this.rtp.counters } : null,
      ...(this.webrtcB ? { webrtcB: this.webrtcB.stats() } : {}),
      bridge: b ? {
        webrtcToRtp: { ...b.aToB }, rtpToWebrtc: { ...b.bToA },
        encoderComplexity: { webrtcToRtp: b.encoderComplexity().aToB, rtpToWebrtc: b.encoderComplexity().bToA },
      } : null,
    };
  }

  private requireLeg(): WebRtcLeg {
    if (!this.webrtc) throw new UnsupportedError('ERR_MEDIA_NOT_ALLOCATED', 'call has no WebRTC leg', { data: { callId: this.callId } });
    return this.webrtc;
  }

  /** Close bridge and legs (idempotent). */
  close(): void {
    this.closed = true;
    this.bridge?.close();
    this.bridge = null;
    this.webrtc?.close();
    this.webrtc = null;
    this.rtp?.close();
    this.rtp = null;
    this.webrtcB?.close();
    this.webrtcB = null;
    this.rtpB?.close();
    this.rtpB = null;
  }
}

/** Zeroed WebRTC leg stats for a 'rtp-rtp' call (it has no WebRTC leg). */
function placeholderWebRtcStats(): CallStats['webrtc'] {
  return {
    iceState: 'closed', dtlsState: 'closed', srtpProfile: null, selected: null, localPort: 0, counters: newLegCounters(),
    ice: { requestsReceived: 0, requestsBadAuth: 0, responsesReceived: 0, requestsSent: 0, restarts: 0, restarting: false, roleSwitches: 0, controlling: false, previousPairAccepted: false, previousPairPackets: 0 },
    rtcpReceived: 0, dtlsEarlyRecords: 0,
  };
}

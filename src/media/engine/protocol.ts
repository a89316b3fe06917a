/**
 * The typed control protocol between the main thread (MediaEngine) and a media
 * worker. Control only: no media packet ever crosses it. Every request carries
 * an `id`; the worker answers with a `response` of the same id. Worker-initiated
 * notifications are `event` messages. All payloads are structured-clone safe.
 */
import type { LegCounters, PayloadFormat } from '../leg.js';
import type { BridgeDirectionCounters } from '../bridge/index.js';
import type { LatchMode, LegDirection, RemoteEndpoint } from '../rtp-leg/index.js';
import type { SrtpSessionKeys } from '../srtp/index.js';
import type { UdpPumpStats } from '../../native/native-addon.js';
import type {
  MediaDirection, WebRtcLocalParams, WebRtcRemoteParams,
} from '../webrtc/types.js';
import type { WebRtcLegStats } from '../webrtc/webrtc-leg.js';

/** Worker configuration (sent once in workerData). */
export interface WorkerConfig {
  index: number;
  bindAddress: string;
  announcedAddresses: string[];
  /** This worker's slice of the UDP port range. */
  portMin: number;
  portMax: number;
  iceLite: boolean;
  /** Inactivity (no RTP received on the WebRTC leg) before an 'inactivity' event; 0 = never. */
  rtpTimeoutMs: number;
  srtpProfiles: ('AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM')[];
  /** Opus encoder complexity 0..10 for transcoding toward the WebRTC leg. */
  opusComplexity: number;
  logLevel: string;
  /** Packet I/O of the worker's sockets (config `media.packetIo`); `native` falls back to `node` when the addon does not load. */
  packetIo?: 'native' | 'node';
  /** SRTP implementation (config `media.srtpImpl`); `native` falls back to `node` when the addon does not load. Unset = $SRTP_IMPL, else native. */
  srtpImpl?: 'native' | 'node';
}

/** How the WebRTC side of a call is connected inside the worker. */
export type BridgeMode =
  /** WebRTC leg ↔ bridge ↔ RTP leg (requires src/media/rtp-leg + src/media/bridge). */
  | 'rtp'
  /**
   * WebRTC leg ↔ bridge ↔ a second WebRTC leg (browser → browser through Tandem): both legs
   * terminate ICE/DTLS-SRTP here and the bridge relays between them (passthrough when both
   * browsers use the same codec), re-encrypting per leg; RTCP is terminated per leg.
   */
  | 'webrtc'
  /**
   * RTP leg ↔ bridge ↔ a second RTP leg (phone → phone through Tandem): two SIP-side endpoints,
   * each with its own RTP/RTCP ports, plain RTP or SDES-SRTP and symmetric latching; the bridge
   * relays between them (passthrough with SSRC/seq/ts rewrite on a shared G.711 codec,
   * repacketization when ptimes differ, RFC 4733 relayed with PT mapping); RTCP terminated per
   * leg. No WebRTC leg: the `webrtc` fields of results are {@link NO_WEBRTC_PARAMS} placeholders.
   */
  | 'rtp-rtp'
  /** Echo what the browser sends back to it (diagnostics, tests, benchmarks of the WebRTC path). */
  | 'echo';

export interface AllocateRequest {
  /** true when Tandem sends the offer toward the browser. */
  offerer: boolean;
  /** Override the engine's ICE-lite setting for this call. */
  iceLite?: boolean;
  bridge: BridgeMode;
  /** RTP side (bridge 'rtp'): RTCP multiplexed on the RTP port. Default false. */
  rtcpMux?: boolean;
  /**
   * SSRC of the stream sent toward the WebRTC leg (the one the session writes
   * as `a=ssrc` into the browser's description, RFC 5576 §4.1). Used by the
   * echo mode from the start; in 'rtp' mode `BridgeParams.webrtcSsrc` sets it
   * (this value is the default). Default: random.
   */
  webrtcSsrc?: number;
  /**
   * Bridge 'webrtc': true when Tandem sends the offer toward the second WebRTC leg (the callee
   * browser; ICE-controlling there). Default `!offerer`.
   */
  offererB?: boolean;
  /** Bridge 'webrtc': SSRC of the stream sent toward the second WebRTC leg (its `a=ssrc`). Default: random. */
  webrtcBSsrc?: number;
  /** Bridge 'rtp-rtp': the second RTP leg (callee phone) multiplexes RTCP on its RTP port. Default false. */
  rtcpMuxB?: boolean;
}

/**
 * Placeholder WebRTC parameters returned in `webrtc` / as the apply result by a call allocated
 * with bridge 'rtp-rtp' (it has no WebRTC leg): empty credentials, no candidates.
 */
export const NO_WEBRTC_PARAMS: Readonly<WebRtcLocalParams> = Object.freeze({
  iceUfrag: '', icePwd: '', iceLite: false, candidates: [], fingerprint: { algorithm: 'sha-256', value: '' }, setup: 'active',
});

/** The RTP endpoint's local transport, for the SIP-side SDP (c=, m= port, a=rtcp). */
export interface RtpLocalParams {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

export interface AllocateResult {
  webrtc: WebRtcLocalParams;
  rtp: RtpLocalParams | null;
  /** Bridge 'webrtc': the second WebRTC leg's local parameters (toward the callee browser). */
  webrtcB?: WebRtcLocalParams;
  /** Bridge 'rtp-rtp': the second RTP endpoint (toward the callee phone); `rtp` is the caller's. */
  rtpB?: RtpLocalParams;
  worker: number;
}

/** Negotiated parameters of the SIP (RTP) side, from the SDP core. */
export interface RtpRemoteParams {
  remote: RemoteEndpoint | null;
  formats: PayloadFormat[];
  /** SDES keys (RFC 4568) or null for RTP/AVP. */
  srtp?: SrtpSessionKeys | null;
  direction?: LegDirection;
  latch?: LatchMode;
}

/** Bridge preferences (which PT to send toward each leg, ptime toward the RTP leg). */
export interface BridgeParams {
  webrtcSendPt?: number;
  rtpSendPt?: number;
  rtpPtimeMs?: number;
  /**
   * SSRC of the stream sent toward the WebRTC leg (what the browser's
   * description announces with `a=ssrc`, RFC 5576). A rebuilt bridge keeps
   * the stream it continues. Default: AllocateRequest.webrtcSsrc, else random.
   */
  webrtcSsrc?: number;
  /** SSRC of the stream sent toward the RTP leg (when the SIP-side SDP announces one). Default random. */
  rtpSsrc?: number;
  /**
   * RFC 4733 events from the WebRTC leg: 'forward' them to the RTP leg as
   * telephone-event packets, 'event' (not forwarded; one `dtmf` CallEvent per
   * digit, for a phone that wants SIP INFO), or 'both'. Default 'forward'.
   */
  webrtcDtmf?: 'forward' | 'event' | 'both';
  /** Bridge 'webrtc': PT of the audio format sent toward the second WebRTC leg. Default: its first audio format. */
  webrtcBSendPt?: number;
  /** Bridge 'webrtc': SSRC toward the second WebRTC leg. Default AllocateRequest.webrtcBSsrc, else random. */
  webrtcBSsrc?: number;
  /** Bridge 'rtp-rtp': PT of the audio format sent toward the second RTP leg. Default: its first audio format. */
  rtpBSendPt?: number;
  /** Bridge 'rtp-rtp': packetization toward the second RTP leg (its a=ptime); a different source ptime is repacketized. */
  rtpBPtimeMs?: number;
  /** Bridge 'rtp-rtp': SSRC toward the second RTP leg. Default random. */
  rtpBSsrc?: number;
}

/** One DTMF digit to generate as RFC 4733 packets toward a leg (e.g. from a SIP INFO). */
export interface SendDtmfRequest {
  toward: 'webrtc' | 'rtp';
  /** `0-9`, `*`, `#`, `A-D`. */
  digit: string;
  durationMs: number;
}

export interface ApplyRequest {
  webrtc?: WebRtcRemoteParams;
  rtp?: RtpRemoteParams;
  /** Bridge 'webrtc': the callee browser's parameters (second WebRTC leg). */
  webrtcB?: WebRtcRemoteParams;
  /** Bridge 'rtp-rtp': the callee phone's parameters (second RTP leg). */
  rtpB?: RtpRemoteParams;
  bridge?: BridgeParams;
}

/**
 * What `apply`/`update` return: the (first) WebRTC leg's local parameters, and with bridge
 * 'webrtc' the second leg's in `webrtcB` (`setup` is the DTLS role resolved once the remote
 * side is known, RFC 5763 §5).
 */
export type ApplyResult = WebRtcLocalParams & { webrtcB?: WebRtcLocalParams };

export interface UpdateRequest {
  /** New remote parameters (re-offer/answer): hold/resume, codec change, ICE restart by the peer. */
  webrtc?: WebRtcRemoteParams;
  /** New SIP-side parameters (re-INVITE): address, formats, keys, direction. */
  rtp?: Partial<RtpRemoteParams>;
  bridge?: BridgeParams;
  /**
   * ICE restart (RFC 8445 §9): new local ufrag/pwd are returned. Set it when we re-offer with a
   * restart, and when answering a peer's restarting offer (RFC 8839 §4.4.1.1.1); `webrtc` in the
   * same or a later update carries the peer's new credentials and candidates. Media stays on the
   * current pair until the new checks select one; DTLS and SRTP keys are kept.
   */
  restartIce?: boolean;
  /** Only change the WebRTC leg's direction (hold/resume) without new remote parameters. */
  direction?: MediaDirection;
  /** Bridge 'webrtc': new parameters of the second WebRTC leg. */
  webrtcB?: WebRtcRemoteParams;
  /** Bridge 'webrtc': we start an ICE restart on the second WebRTC leg. */
  restartIceB?: boolean;
  /** Bridge 'rtp-rtp': new parameters of the second RTP leg (re-INVITE). */
  rtpB?: Partial<RtpRemoteParams>;
}

export interface CallStats {
  callId: string;
  worker: number;
  webrtc: WebRtcLegStats;
  rtp: LegCounters | null;
  /** Bridge 'webrtc': the second WebRTC leg. For that mode `bridge.webrtcToRtp` counts leg A → leg B and `rtpToWebrtc` B → A. */
  webrtcB?: WebRtcLegStats;
  /**
   * Bridge 'rtp-rtp': the second RTP leg's counters (`rtp` is the first). That mode has no WebRTC
   * leg: `webrtc` is a zeroed placeholder; `bridge.webrtcToRtp` counts leg A → B, `rtpToWebrtc` B → A.
   */
  rtpB?: LegCounters;
  bridge: {
    webrtcToRtp: BridgeDirectionCounters; rtpToWebrtc: BridgeDirectionCounters;
    /** Opus encoder complexity of each transcoding direction with Opus output (null: passthrough or G.711 output). */
    encoderComplexity: { webrtcToRtp: number | null; rtpToWebrtc: number | null };
  } | null;
}

export interface WorkerStats {
  worker: number;
  calls: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  heapUsed: number;
  /** Process RSS as seen from the worker (shared by all threads of the process). */
  rss: number;
  /** Port pairs booked in this worker's slice of the range (a WebRTC leg takes one, an RTP leg one). */
  portPairsUsed: number;
  /** Port pairs this worker's slice holds. */
  portPairsCapacity: number;
  /** Opus encoder backend loaded in this worker (thread workers: 'wasm'; process workers: 'native' where the addon loads). */
  opusEncoder: 'native' | 'wasm';
  /** Packet I/O the worker uses, and why `native` was not used when requested. */
  packetIo?: 'native' | 'node';
  packetIoFallback?: string | null;
  /** Native pump counters (packetIo 'native'), null otherwise. */
  udpPump?: UdpPumpStats | null;
  /** SRTP implementation the worker uses, and why `native` was not used when requested. */
  srtpImpl?: 'native' | 'node';
  srtpImplFallback?: string | null;
}

export type WorkerRequest =
  | { type: 'allocate'; id: number; callId: string; req: AllocateRequest }
  | { type: 'apply'; id: number; callId: string; req: ApplyRequest }
  | { type: 'update'; id: number; callId: string; req: UpdateRequest }
  | { type: 'close'; id: number; callId: string }
  | { type: 'stats'; id: number; callId: string }
  | { type: 'send-dtmf'; id: number; callId: string; req: SendDtmfRequest }
  | { type: 'worker-stats'; id: number }
  | { type: 'shutdown'; id: number };

/** A request before its id is assigned (distributes Omit over the union). */
export type WorkerRequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface WorkerErrorPayload {
  code: string;
  message: string;
}

export type WorkerResponse =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: WorkerErrorPayload };

/** Notifications from a worker about a call. */
export type CallEvent =
  /** `leg` 'b': the second WebRTC leg of a 'webrtc' bridge (absent: the first WebRTC leg). */
  | { kind: 'ice-state'; state: string; leg?: 'b' }
  | { kind: 'dtls-state'; state: string; error?: string; leg?: 'b' }
  | { kind: 'inactivity'; leg: 'webrtc' | 'rtp' | 'webrtcB' | 'rtpB'; idleMs: number }
  | { kind: 'error'; code: string; message: string }
  /** One RFC 4733 digit received (reported at its end, duration in ms); only with BridgeParams.webrtcDtmf 'event'/'both'. */
  | { kind: 'dtmf'; from: 'webrtc'; digit: string; durationMs: number }
  | { kind: 'closed'; reason: 'worker-crash' | 'engine-closed' };

export type WorkerEvent =
  | { type: 'event'; callId: string; event: CallEvent }
  | { type: 'ready'; fingerprint: string };

export type WorkerMessage = WorkerResponse | WorkerEvent;

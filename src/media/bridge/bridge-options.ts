import type { Logger } from '../../common/logger.js';
import type { MediaClock } from '../clock.js';
import type { MediaLeg, PayloadFormat } from '../leg.js';
import type { JitterBufferFactory } from './jitter-buffer.js';
import type { OutputStreamState } from './stream-rewriter.js';

/** One side of a bridge: the leg and what was negotiated on it. */
export interface BridgeLegConfig {
  leg: MediaLeg;
  /** Payload formats negotiated on this leg (it may send any of them; we send `sendPt`). */
  formats: readonly PayloadFormat[];
  /** PT of the audio format sent toward this leg. Default: the first PCMU/PCMA/opus format in `formats`. */
  sendPt?: number;
  /** Packetization toward this leg when transcoding (10/20/30/40 ms). Default: that format's `ptimeMs`, else 20. */
  ptimeMs?: number;
  /**
   * SSRC of the stream sent toward this leg (RFC 3550 §8), e.g. the one the
   * signaling announced with `a=ssrc` (RFC 5576): a receiver that was told an
   * SSRC binds its track to it. `continueFrom` keeps the previous stream's
   * SSRC (normally this same value). Default: a random SSRC.
   */
  sendSsrc?: number;
}

/** What a bridge direction does with the RFC 4733 events it receives. */
export interface DtmfInOptions {
  /** Forward them as telephone-event packets to the other leg (today's behaviour). Default true. */
  forward?: boolean;
  /** Called once per event at its first end packet (DtmfEndDetector): RFC 4733 event 0–15 and duration in ms. */
  onDigit?: (event: number, durationMs: number) => void;
}

/** Bridge options. Every field but `a` and `b` has a default. */
export interface MediaBridgeOptions {
  a: BridgeLegConfig;
  b: BridgeLegConfig;
  /** Clock for playout timers and arrival times. Default the system clock. */
  clock?: MediaClock;
  /** Jitter buffer per transcoding decode path. Default: src/media/jitter JitterBuffer (adaptive, its defaults). */
  jitterBuffer?: JitterBufferFactory;
  /** A transcoding direction stops sending after this long without input (hold, DTX, CN gaps), ms. Default 400. */
  idleStopMs?: number;
  /** Consecutive concealed frames before output turns to comfort noise. Default 5 (100 ms at 20 ms). */
  maxConcealFrames?: number;
  /** Peak amplitude (int16) of the comfort noise generated for RFC 3389 CN / silence. Default 16. */
  comfortNoiseLevel?: number;
  /** Opus encoder complexity 0..10 when transcoding toward an Opus leg. Default 5. */
  opusComplexity?: number;
  /** RFC 4733 events received from leg a (the WebRTC leg in the engine): forward and/or report per digit. Default: forward only. */
  dtmfFromA?: DtmfInOptions;
  /** Per-call logger (mode decisions at debug; never per packet). */
  logger?: Logger;
  /**
   * The bridge this one replaces (same legs in the same a/b roles, e.g. after
   * a re-INVITE): outgoing SSRC/seq/ts continue where it stopped, as long as
   * the destination's clock rate is unchanged (otherwise a new stream starts:
   * with the leg's `sendSsrc` when set, else a new random SSRC).
   * Read it before or after closing the old bridge. Default none.
   */
  continueFrom?: { outputState(): { aToB: OutputStreamState | null; bToA: OutputStreamState | null } };
}

/** Per-direction counters (a→b and b→a). */
export interface BridgeDirectionCounters {
  mode: 'passthrough' | 'transcode';
  /** Audio/DTMF/CN packets taken from the source leg. */
  packetsIn: number;
  /** Packets handed to the destination leg. */
  packetsOut: number;
  bytesOut: number;
  /** RFC 4733 packets forwarded / dropped (no telephone-event on the other leg, or a clock mismatch in passthrough). */
  dtmfForwarded: number;
  dtmfDropped: number;
  /** RFC 4733 packets generated toward the destination (MediaBridge.sendDtmf, e.g. from SIP INFO). */
  dtmfGenerated: number;
  /** RFC 3389 CN packets not forwarded as audio. */
  cnReceived: number;
  /** Packets whose PT has no format the bridge can use. */
  unsupported: number;
  /** Transcoding: packets too late for, or duplicated in, the jitter buffer. */
  late: number;
  duplicates: number;
  /** Transcoding: frames concealed (FEC/PLC/fade) and frames of comfort noise/silence generated. */
  concealed: number;
  comfortFrames: number;
  decodeErrors: number;
  /** Passthrough: input source changes absorbed by re-anchoring SSRC/seq/ts. */
  sourceChanges: number;
}

export function newDirectionCounters(mode: BridgeDirectionCounters['mode']): BridgeDirectionCounters {
  return {
    mode, packetsIn: 0, packetsOut: 0, bytesOut: 0, dtmfForwarded: 0, dtmfDropped: 0, dtmfGenerated: 0, cnReceived: 0, unsupported: 0,
    late: 0, duplicates: 0, concealed: 0, comfortFrames: 0, decodeErrors: 0, sourceChanges: 0,
  };
}

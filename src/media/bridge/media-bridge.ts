import { ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { systemClock } from '../clock.js';
import type { BridgeDirectionCounters, BridgeLegConfig, MediaBridgeOptions } from './bridge-options.js';
import { newDirectionCounters } from './bridge-options.js';
import type { JitterBufferFactory } from './jitter-buffer.js';
import { PassthroughDirection } from './passthrough-direction.js';
import { JitterBuffer } from '../jitter/jitter-buffer.js';
import { resolveSide, type ResolvedSide } from './resolved-side.js';
import { TranscodeDirection, type TranscodeSettings } from './transcode-direction.js';
import type { OutputStreamState } from './stream-rewriter.js';

/**
 * Default jitter buffer: src/media/jitter's adaptive buffer with its defaults,
 * except that Opus input keeps at least two frames of delay so the packet
 * after a loss is usually at hand for in-band FEC (RFC 6716 §2.1.7) instead
 * of plain PLC.
 */
const defaultJitterBuffer: JitterBufferFactory = (o) => new JitterBuffer({
  clockRate: o.clockRate, frameMs: o.frameMs, ...(o.clockRate === 48000 ? { minDelayMs: 2 * o.frameMs } : {}),
});

interface Direction {
  onPacket(pkt: Buffer): void;
  close(): void;
  outputState(): OutputStreamState | null;
  encoderComplexity(): number | null;
  readonly counters: BridgeDirectionCounters;
}

/**
 * Connects two MediaLegs. Per direction it chooses (RFC 7667 §3.2.1):
 * - passthrough when the source's preferred codec (the audio format we send
 *   toward the source, i.e. what the answer settled on) and the destination's
 *   send codec are the same, or both G.711 (µ-law ↔ A-law by table): no
 *   decode; SSRC/seq/ts rewritten consistently; PT numbers mapped;
 * - transcoding otherwise (Opus 48 kHz ↔ G.711 8 kHz): jitter buffer, decode,
 *   concealment, repacketization to the destination ptime, encode.
 * RFC 4733 events are mapped, never transcoded as audio. The bridge does not
 * own the legs: `close()` detaches from them and frees codecs and timers.
 */
export class MediaBridge {
  /** Counters for packets from leg a to leg b. */
  readonly aToB: BridgeDirectionCounters;
  /** Counters for packets from leg b to leg a. */
  readonly bToA: BridgeDirectionCounters;
  private readonly ab: Direction;
  private readonly ba: Direction;
  private closed = false;

  constructor(private readonly opts: MediaBridgeOptions) {
    const a = MediaBridge.resolve(opts.a, 'a');
    const b = MediaBridge.resolve(opts.b, 'b');
    const settings: TranscodeSettings = {
      clock: opts.clock ?? systemClock,
      jitterBuffer: opts.jitterBuffer ?? defaultJitterBuffer,
      idleStopMs: opts.idleStopMs ?? 400,
      maxConcealFrames: opts.maxConcealFrames ?? 5,
      comfortNoiseLevel: opts.comfortNoiseLevel ?? 16,
      opusComplexity: opts.opusComplexity ?? 5,
    };
    const prev = opts.continueFrom?.outputState() ?? null;
    this.ab = MediaBridge.direction(a, b, opts.a, opts.b, settings, prev?.aToB ?? null);
    this.ba = MediaBridge.direction(b, a, opts.b, opts.a, settings, prev?.bToA ?? null);
    this.aToB = this.ab.counters;
    this.bToA = this.ba.counters;
    opts.a.leg.onRtp = (p) => this.ab.onPacket(p);
    opts.b.leg.onRtp = (p) => this.ba.onPacket(p);
    (opts.logger as Logger | undefined)?.debug({ aToB: this.aToB.mode, bToA: this.bToA.mode }, 'media bridge up');
  }

  private static resolve(cfg: BridgeLegConfig, name: string): ResolvedSide {
    const r = resolveSide(cfg);
    if (!r) {
      throw new ValidationError('ERR_MEDIA_NO_AUDIO_FORMAT', `bridge leg ${name} has no PCMU/PCMA/opus format to send`, {
        data: { leg: name, formats: cfg.formats.map((f) => `${f.pt}/${f.name}/${f.clockRate}`), sendPt: cfg.sendPt },
      });
    }
    return r;
  }

  private static passthroughPossible(from: ResolvedSide, to: ResolvedSide): boolean {
    // What the source sends is assumed to be what we send toward it (the answer's first codec).
    const inCodec = from.sendCodec;
    if (from.sendClockRate !== to.sendClockRate) return false;
    if (inCodec === to.sendCodec) return true;
    return (inCodec === 'PCMU' || inCodec === 'PCMA') && (to.sendCodec === 'PCMU' || to.sendCodec === 'PCMA');
  }

  private static direction(
    from: ResolvedSide, to: ResolvedSide, fromCfg: BridgeLegConfig, toCfg: BridgeLegConfig, s: TranscodeSettings,
    prev: OutputStreamState | null,
  ): Direction {
    if (MediaBridge.passthroughPossible(from, to)) {
      return new PassthroughDirection(from, to, toCfg.leg, s.clock, newDirectionCounters('passthrough'), prev, toCfg.sendSsrc);
    }
    return new TranscodeDirection(from, to, toCfg.leg, fromCfg.leg.counters, s, newDirectionCounters('transcode'), prev, toCfg.sendSsrc);
  }

  /**
   * Where each outgoing stream stands (SSRC, last seq/ts, when sent). A new
   * bridge built with `continueFrom: thisBridge` continues both streams, so a
   * re-INVITE that rebuilds the bridge shows the phone and the browser one
   * continuous RTP stream each (same SSRC, seq +1, ts forward by the time passed).
   */
  outputState(): { aToB: OutputStreamState | null; bToA: OutputStreamState | null } {
    return { aToB: this.ab.outputState(), bToA: this.ba.outputState() };
  }

  /**
   * Complexity of the Opus encoder of each transcoding direction toward an
   * Opus leg (as libopus reports it); null for passthrough or G.711 output.
   */
  encoderComplexity(): { aToB: number | null; bToA: number | null } {
    return { aToB: this.ab.encoderComplexity(), bToA: this.ba.encoderComplexity() };
  }

  /** Detaches from both legs and frees codecs/timers. Idempotent; does not close the legs. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.opts.a.leg.onRtp) this.opts.a.leg.onRtp = null;
    if (this.opts.b.leg.onRtp) this.opts.b.leg.onRtp = null;
    this.ab.close();
    this.ba.close();
  }
}

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
import type { DtmfInOptions } from './bridge-options.js';
import { DtmfGenerator, type DtmfOutput } from './dtmf-generator.js';

/**
 * Default jitter buffer: src/media/jitter's adaptive buffer with its defaults,
 * except that Opus input keeps at least two frames of delay so the packet
 * after a loss is usually at hand for in-band FEC (RFC 6716 §2.1.7) instead
 * of plain PLC.
 */
const defaultJitterBuffer: JitterBufferFactory = (o) => new JitterBuffer({
  clockRate: o.clockRate, frameMs: o.frameMs, ...(o.clockRate === 48000 ? { minDelayMs: 2 * o.frameMs } : {}),
});

interface Direction extends DtmfOutput {
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
 * - transcoding otherwise (Opus 48 kHz ↔ G.711 8 kHz), or when the destination's
 *   configured `ptimeMs` differs from the source's (G.711 20 ms → 30 ms): jitter
 *   buffer, decode, concealment, repacketization to the destination ptime, encode.
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
  private readonly a: ResolvedSide;
  private readonly b: ResolvedSide;
  private readonly clock: NonNullable<MediaBridgeOptions['clock']>;
  private genA: DtmfGenerator | null = null;
  private genB: DtmfGenerator | null = null;

  constructor(private readonly opts: MediaBridgeOptions) {
    const a = MediaBridge.resolve(opts.a, 'a');
    const b = MediaBridge.resolve(opts.b, 'b');
    this.a = a;
    this.b = b;
    this.clock = opts.clock ?? systemClock;
    const settings: TranscodeSettings = {
      clock: opts.clock ?? systemClock,
      jitterBuffer: opts.jitterBuffer ?? defaultJitterBuffer,
      idleStopMs: opts.idleStopMs ?? 400,
      maxConcealFrames: opts.maxConcealFrames ?? 5,
      comfortNoiseLevel: opts.comfortNoiseLevel ?? 16,
      opusComplexity: opts.opusComplexity ?? 5,
    };
    const prev = opts.continueFrom?.outputState() ?? null;
    this.ab = MediaBridge.direction(a, b, opts.a, opts.b, settings, prev?.aToB ?? null, opts.dtmfFromA);
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
    prev: OutputStreamState | null, dtmfIn?: DtmfInOptions,
  ): Direction {
    // A leg configured with its own packet time (a SIP peer's a=ptime, RFC 4566 §6) gets that
    // packetization: when the source sends another one, repacketize through the transcode path.
    const repacketize = toCfg.ptimeMs !== undefined && toCfg.ptimeMs !== from.ptimeMs;
    if (!repacketize && MediaBridge.passthroughPossible(from, to)) {
      return new PassthroughDirection(from, to, toCfg.leg, s.clock, newDirectionCounters('passthrough'), prev, toCfg.sendSsrc, dtmfIn);
    }
    return new TranscodeDirection(from, to, toCfg.leg, fromCfg.leg.counters, s, newDirectionCounters('transcode'), prev, toCfg.sendSsrc, dtmfIn);
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

  /**
   * Generates one RFC 4733 digit (event 0–15, `durationMs`) toward leg `toward`
   * on that direction's output stream (same SSRC, next sequence numbers, the
   * event starting at the stream's current timestamp) with the leg's
   * telephone-event PT — the one at the audio clock rate if negotiated, else
   * the first — and that format's clock for durations (DtmfGenerator: start,
   * updates every 50 ms, three end packets). Audio keeps flowing meanwhile
   * (RFC 4733 §2.5.1.2 allows it; the receiver plays the event). Returns false
   * when that leg negotiated no telephone-event or the bridge is closed.
   */
  sendDtmf(toward: 'a' | 'b', event: number, durationMs: number): boolean {
    if (this.closed) return false;
    const side = toward === 'a' ? this.a : this.b;
    let gen = toward === 'a' ? this.genA : this.genB;
    if (!gen) {
      const atRate = side.dtmfPtByRate.get(side.sendClockRate);
      const first = side.dtmfPtByRate.entries().next();
      if (atRate === undefined && first.done) return false;
      const [clockRate, pt] = atRate !== undefined ? [side.sendClockRate, atRate] : first.value as [number, number];
      gen = new DtmfGenerator({ clock: this.clock, pt, clockRate }, toward === 'a' ? this.ba : this.ab);
      if (toward === 'a') this.genA = gen; else this.genB = gen;
    }
    gen.send(event, durationMs);
    return true;
  }

  /** Detaches from both legs and frees codecs/timers. Idempotent; does not close the legs. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.opts.a.leg.onRtp) this.opts.a.leg.onRtp = null;
    if (this.opts.b.leg.onRtp) this.opts.b.leg.onRtp = null;
    this.genA?.close();
    this.genB?.close();
    this.ab.close();
    this.ba.close();
  }
}

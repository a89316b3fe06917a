import { randomBytes } from 'node:crypto';
import type { MediaClock } from '../clock.js';
import type { LegCounters, MediaLeg } from '../leg.js';
import { RtpView } from '../rtp/rtp-view.js';
import { writeRtpPacket } from '../rtp/rtp-writer.js';
import type { BridgeDirectionCounters } from './bridge-options.js';
import { DtmfForwarder } from './dtmf-forwarder.js';
import { DtmfEndDetector } from './dtmf-end-detector.js';
import type { DtmfInOptions } from './bridge-options.js';
import { writeRtpHeader } from '../rtp/rtp-writer.js';
import { createFrameDecoder, createFrameEncoder, type FrameDecoder, type FrameEncoder } from './frame-codec.js';
import type { BridgeJitterBuffer, JitterBufferFactory } from './jitter-buffer.js';
import { PcmFifo } from './pcm-fifo.js';
import { PlayoutTicker } from './playout-ticker.js';
import type { ResolvedSide } from './resolved-side.js';
import type { OutputStreamState } from './stream-rewriter.js';

export interface TranscodeSettings {
  clock: MediaClock;
  jitterBuffer: JitterBufferFactory;
  idleStopMs: number;
  maxConcealFrames: number;
  comfortNoiseLevel: number;
  /** Opus encoder complexity 0..10. */
  opusComplexity: number;
}

/** Largest PCM frame handled (120 ms at 8 kHz). */
const MAX_FRAME = 960;
/** Playout timer period (ms). */
const TICK_MS = 5;
/** Slots drained per tick at most. */
const MAX_SLOTS_PER_TICK = 24;
/** Comfort noise stops after this long without any packet while in CN. */
const CN_HOLD_MS = 5000;

/**
 * One transcoding direction: input packets go into a jitter buffer; a
 * playout timer at the output ptime pulls frames, decodes them to 8 kHz PCM
 * (concealing losses with Opus FEC/PLC or a G.711 fade), repacketizes through
 * a PCM FIFO (input and output ptimes may differ: 10/20/30/40 ms), encodes and
 * sends. Output SSRC/seq/ts belong to this direction, so timestamps are
 * continuous by construction (one frame of timestamp per frame of audio,
 * whatever the scheduling jitter); after a pause (hold, end of CN) longer than
 * `idleStopMs` output stops and resumes with the timestamp advanced by the
 * wall time elapsed and the marker bit (RFC 3550 §5.1). CN (RFC 3389) is
 * never forwarded as audio: it turns into low-level comfort noise.
 */
export class TranscodeDirection {
  private readonly view = new RtpView();
  private readonly jb: BridgeJitterBuffer;
  private jbPt = -1;
  private decoder: FrameDecoder | null = null;
  private decoderPt = -1;
  private readonly encoder: FrameEncoder;
  private readonly fifo = new PcmFifo();
  private readonly scratch = new Int16Array(MAX_FRAME * 2);
  private readonly frame: Int16Array;
  private readonly outSsrc: number;
  private outSeq: number;
  private outTs: number;
  private readonly outTsPerFrame: number;
  private readonly frameMs: number;
  private lastFrameSamples = 160;
  private lastInputMs = -1;
  private nextTickMs = -1;
  private playing = false;
  private lastSentMs = -1;
  private markNext = true;
  /** Set when playout restarts after a pause; the next frame's timestamp jumps by the pause. */
  private resumed = false;
  /** Input timestamp where the last decoded frame ended (-1: unknown). */
  private expectInTs = -1;
  /** Output-clock span to skip before the next frame (DTX gap on the input). */
  private tsGapOut = 0;
  private readonly inRate: number;
  private concealRun = 0;
  private cn = false;
  private cnLevel: number;
  private noiseSeed = 0x1234567;
  private readonly ticker: PlayoutTicker;
  private readonly onTick = (): void => this.tick();
  private readonly dtmf = new Map<number, DtmfForwarder>();
  private readonly dtmfForward: boolean;
  private readonly dtmfDetector: DtmfEndDetector | null;
  private closed = false;

  constructor(
    private readonly from: ResolvedSide,
    private readonly to: ResolvedSide,
    private readonly toLeg: MediaLeg,
    private readonly fromCounters: LegCounters,
    private readonly s: TranscodeSettings,
    readonly counters: BridgeDirectionCounters,
    continueFrom: OutputStreamState | null = null,
    outSsrc?: number,
    dtmfIn?: DtmfInOptions,
  ) {
    this.dtmfForward = dtmfIn?.forward ?? true;
    this.dtmfDetector = dtmfIn?.onDigit ? new DtmfEndDetector(dtmfIn.onDigit) : null;
    this.frameMs = to.ptimeMs;
    this.inRate = from.sendClockRate;
    this.encoder = createFrameEncoder(to.sendCodec, to.ptimeMs, { opusComplexity: s.opusComplexity });
    this.frame = new Int16Array(this.encoder.frameSamples);
    this.outTsPerFrame = (this.encoder.frameSamples * to.sendClockRate) / 8000;
    const r = randomBytes(10);
    if (continueFrom && continueFrom.clockRate === to.sendClockRate) {
      // Carry on the stream a previous bridge sent: the first frame continues
      // the sequence and jumps the timestamp by the wall time since.
      this.outSsrc = continueFrom.ssrc;
      this.outSeq = continueFrom.seq;
      this.outTs = (continueFrom.ts + this.outTsPerFrame) >>> 0;
      this.lastSentMs = continueFrom.atMs;
      this.resumed = true;
    } else {
      this.outSsrc = outSsrc ?? (r.readUInt32BE(0) || 1);
      this.outSeq = r.readUInt16BE(4) & 0x7fff;
      this.outTs = r.readUInt32BE(6) & 0x7fffffff;
    }
    this.cnLevel = s.comfortNoiseLevel;
    this.jb = s.jitterBuffer({ clockRate: from.sendClockRate, frameMs: from.ptimeMs });
    // Tick often: each tick drains the slots the jitter buffer says are due. One timer per
    // thread serves every direction (PlayoutTicker), not one timer per direction.
    this.ticker = PlayoutTicker.of(s.clock, TICK_MS);
    this.ticker.add(this.onTick);
  }

  onPacket(pkt: Buffer): void {
    if (this.closed) return;
    const c = this.counters;
    const v = this.view;
    if (!v.wrap(pkt)) { c.unsupported++; return; }
    const pt = v.payloadType;
    const info = this.from.byPt[pt];
    if (!info) { c.unsupported++; return; }
    c.packetsIn++;
    const now = this.s.clock.now();
    if (info.kind === 'dtmf') {
      this.dtmfDetector?.onPayload(pkt, v.payloadOffset, v.payloadLength, v.timestamp, info.clockRate);
      if (this.dtmfForward) this.forwardDtmf(v, info.clockRate, now);
      return;
    }
    this.lastInputMs = now;
    if (info.kind === 'cn') {
      c.cnReceived++;
      // RFC 3389 §3: level in -dBov; map to a peak amplitude, capped at the configured level.
      if (v.payloadLength > 0) {
        const dbov = pkt[v.payloadOffset] & 0x7f;
        this.cnLevel = Math.min(this.s.comfortNoiseLevel * 4, Math.round(32767 * 10 ** (-dbov / 20)));
      }
      if (!this.cn) {
        // Silence period: drop buffered speech state; speech re-prebuffers when it resumes.
        this.jb.reset();
        this.jbPt = -1;
        this.expectInTs = -1;
        this.fifo.clear();
        this.cn = true;
        this.nextTickMs = now;
      }
      this.ensurePlaying(now);
      return;
    }
    this.cn = false;
    if (pt !== this.jbPt) {
      if (this.jbPt >= 0) this.jb.reset();
      this.jbPt = pt;
      this.expectInTs = -1;
    }
    const r = this.jb.push(v.sequence, v.timestamp, pkt.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength), now);
    if (r === 'late') { c.late++; this.fromCounters.late++; }
    else if (r === 'duplicate') { c.duplicates++; this.fromCounters.discarded++; }
    this.ensurePlaying(now);
  }

  private ensurePlaying(now: number): void {
    if (this.playing) return;
    this.playing = true;
    this.resumed = true;
    this.concealRun = 0;
    this.fifo.clear();
    this.nextTickMs = now;
  }

  private tick(): void {
    if (this.closed || !this.playing) return;
    const now = this.s.clock.now();
    if (now - this.lastInputMs > (this.cn ? CN_HOLD_MS : this.s.idleStopMs)) {
      // Paused (hold, end of stream): stop sending; resume re-prebuffers.
      this.playing = false;
      this.cn = false;
      this.jb.reset();
      this.jbPt = -1;
      this.expectInTs = -1;
      this.fifo.clear();
      return;
    }
    if (this.cn) {
      // RFC 3389 comfort noise: paced by our own frame clock.
      let n = 0;
      while (this.nextTickMs <= now && n++ < 5) {
        this.comfort(this.encoder.frameSamples);
        this.counters.comfortFrames++;
        this.emit(now);
        this.nextTickMs += this.frameMs;
      }
      if (this.nextTickMs <= now) this.nextTickMs = now + this.frameMs;
      return;
    }
    for (let i = 0; i < MAX_SLOTS_PER_TICK; i++) {
      const p = this.jb.pop(now);
      if (p.kind === 'empty') break;
      if (p.kind === 'packet') {
        this.noteInputTimestamp(p.timestamp);
        const dec = this.decoderFor(this.jbPt);
        const got = dec ? dec.decode(p.payload, this.scratch) : -1;
        if (got < 0) {
          this.counters.decodeErrors++;
          this.concealFrame(null);
          this.expectInTs = (p.timestamp + (this.lastFrameSamples * this.inRate) / 8000) >>> 0;
        } else {
          this.concealRun = 0;
          this.lastFrameSamples = Math.max(20, Math.min(MAX_FRAME, got));
          this.fifo.write(this.scratch, got);
          this.expectInTs = (p.timestamp + (got * this.inRate) / 8000) >>> 0;
        }
      } else {
        this.concealFrame(p.next);
        if (this.expectInTs >= 0) this.expectInTs = (this.expectInTs + (this.lastFrameSamples * this.inRate) / 8000) >>> 0;
      }
      this.emit(now);
    }
    this.nextTickMs = now + this.frameMs;
  }

  /**
   * DTX / silence suppression: the input timestamp jumped ahead of where the
   * last decoded frame ended while the sequence stayed continuous. The same
   * span is skipped on the output timeline (with the marker bit), so output
   * timestamps keep pace with the input's instead of falling behind.
   */
  private noteInputTimestamp(ts: number): void {
    if (this.expectInTs >= 0) {
      const gap = (ts - this.expectInTs) | 0;
      const maxGap = this.inRate * 10;
      if (gap > (this.inRate * this.frameMs) / 2000 && gap < maxGap) {
        this.tsGapOut += Math.round((gap * this.to.sendClockRate) / this.inRate);
      }
    }
  }

  /** Sends every complete output frame held in the FIFO (repacketization). */
  private emit(now: number): void {
    const need = this.encoder.frameSamples;
    while (this.fifo.length >= need) {
      this.fifo.read(this.frame, need);
      this.send(this.encoder.encode(this.frame), now);
    }
  }

  private decoderFor(pt: number): FrameDecoder | null {
    if (pt !== this.decoderPt) {
      this.decoder?.close();
      const info = this.from.byPt[pt];
      this.decoder = info && info.codec ? createFrameDecoder(info.codec) : null;
      this.decoderPt = pt;
    }
    return this.decoder;
  }

  private comfort(n: number): void {
    const out = this.scratch;
    const amp = this.cnLevel;
    let x = this.noiseSeed;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      out[i] = Math.round(((x >>> 16) / 65536 - 0.5) * 2 * amp);
    }
    this.noiseSeed = x;
    this.fifo.write(out, n);
  }

  private concealFrame(next: Uint8Array | null): void {
    const n = this.lastFrameSamples;
    this.concealRun++;
    if (this.concealRun > this.s.maxConcealFrames) {
      this.comfort(n);
      this.counters.comfortFrames++;
      return;
    }
    const dec = this.decoderFor(this.jbPt);
    const got = dec ? dec.conceal(this.scratch, n, next) : 0;
    if (got > 0) this.fifo.write(this.scratch, got);
    else this.comfort(n);
    this.counters.concealed++;
    this.fromCounters.concealed++;
  }

  private send(payload: Uint8Array, now: number): void {
    if (this.resumed && this.lastSentMs >= 0) {
      // First frame after a pause: keep the timestamp in step with the wall time
      // that passed (RFC 3550 §5.1: marker on the first packet of a talkspurt).
      const frames = Math.max(0, Math.round((now - this.lastSentMs) / this.frameMs) - 1);
      this.outTs = (this.outTs + frames * this.outTsPerFrame) >>> 0;
      this.markNext = true;
    }
    this.resumed = false;
    if (this.tsGapOut > 0) {
      this.outTs = (this.outTs + this.tsGapOut) >>> 0;
      this.tsGapOut = 0;
      this.markNext = true;
    }
    const out = Buffer.allocUnsafe(12 + payload.length);
    this.outSeq = (this.outSeq + 1) & 0xffff;
    writeRtpPacket(out, this.to.sendPt, this.outSeq, this.outTs, this.outSsrc, this.markNext, payload);
    this.markNext = false;
    this.outTs = (this.outTs + this.outTsPerFrame) >>> 0;
    this.lastSentMs = now;
    this.counters.packetsOut++;
    this.counters.bytesOut += out.length;
    this.toLeg.sendRtp(out);
  }

  private forwardDtmf(v: RtpView, inRate: number, now: number): void {
    const c = this.counters;
    const outRate = this.to.sendClockRate;
    const outPt = this.to.dtmfPtByRate.get(outRate) ?? (this.to.dtmfPtByRate.size > 0 ? [...this.to.dtmfPtByRate.values()][0] : undefined);
    if (outPt === undefined) { c.dtmfDropped++; return; }
    const teRate = [...this.to.dtmfPtByRate.entries()].find(([, p]) => p === outPt)?.[0] ?? outRate;
    let f = this.dtmf.get(v.payloadType);
    if (!f) { f = new DtmfForwarder(inRate, teRate, v.payloadType, outPt); this.dtmf.set(v.payloadType, f); }
    this.outSeq = (this.outSeq + 1) & 0xffff;
    // The event starts at the output timeline's current position (next audio frame).
    let ts = this.outTs;
    if (!this.playing && this.lastSentMs >= 0) ts = (ts + Math.round(((now - this.lastSentMs) * outRate) / 1000)) >>> 0;
    const out = f.build(v.buffer.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength), v.timestamp, v.marker, ts, this.outSeq, this.outSsrc);
    if (!out) { c.dtmfDropped++; return; }
    c.dtmfForwarded++;
    c.packetsOut++;
    c.bytesOut += out.length;
    this.toLeg.sendRtp(out);
  }

  /** DtmfOutput: where an event generated now starts (the next audio frame's timestamp, or later after a pause). */
  dtmfStartTs(nowMs: number): number {
    if (!this.playing && this.lastSentMs >= 0) return (this.outTs + Math.round(((nowMs - this.lastSentMs) * this.to.sendClockRate) / 1000)) >>> 0;
    return this.outTs;
  }

  /** DtmfOutput: one generated telephone-event packet on the output stream (next sequence number). */
  sendDtmfPacket(pt: number, marker: boolean, ts: number, payload: Uint8Array): void {
    if (this.closed) return;
    const out = Buffer.allocUnsafe(12 + payload.length);
    this.outSeq = (this.outSeq + 1) & 0xffff;
    writeRtpHeader(out, 0, { payloadType: pt, sequence: this.outSeq, timestamp: ts, ssrc: this.outSsrc, marker });
    out.set(payload, 12);
    this.counters.dtmfGenerated++;
    // No audio sent yet: the output timeline starts here, so a later event or the first frame moves on from it.
    if (this.lastSentMs < 0) this.lastSentMs = this.s.clock.now();
    this.counters.packetsOut++;
    this.counters.bytesOut += out.length;
    this.toLeg.sendRtp(out);
  }

  /** The Opus encoder's complexity (null when encoding G.711). */
  encoderComplexity(): number | null { return this.encoder.complexity(); }

  /** The output stream's position (last frame sent), for a bridge that continues it. */
  outputState(): OutputStreamState | null {
    if (this.lastSentMs < 0) return null;
    return { ssrc: this.outSsrc, seq: this.outSeq, ts: (this.outTs - this.outTsPerFrame) >>> 0, atMs: this.lastSentMs, clockRate: this.to.sendClockRate };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker.remove(this.onTick);
    this.decoder?.close();
    this.decoder = null;
    this.encoder.close();
    this.jb.reset();
  }
}

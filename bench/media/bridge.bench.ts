/**
 * CPU cost of the bridge per call direction: passthrough (PCMU ↔ PCMU) per
 * packet and transcoding (PCMU 20 ms → Opus 20 ms, Opus → PCMU) per 20 ms
 * frame, with fake legs and a manual clock (no sockets). Run:
 *   node .build/NAME/bench/media/bridge.bench.js
 */
import { MediaBridge } from '../../src/media/bridge/media-bridge.js';
import { newLegCounters, type LegCounters, type MediaLeg, type PayloadFormat } from '../../src/media/leg.js';
import { ulawEncode } from '../../src/media/codecs/g711.js';
import { OpusEncoder } from '../../src/media/codecs/opus.js';
import { writeRtpPacket } from '../../src/media/rtp/rtp-writer.js';
import type { MediaClock, MediaTimer } from '../../src/media/clock.js';

class SinkLeg implements MediaLeg {
  readonly kind = 'rtp' as const;
  readonly counters: LegCounters = newLegCounters();
  onRtp: ((packet: Buffer) => void) | null = null;
  sent = 0;
  sendRtp(): void { this.sent++; }
  close(): void { /* nothing */ }
}

class StepClock implements MediaClock {
  t = 0;
  private readonly timers: Array<{ fn: () => void; every: number; next: number; id: number }> = [];
  now(): number { return this.t; }
  setTimer(fn: () => void, ms: number): MediaTimer { const id = this.timers.length; this.timers.push({ fn, every: ms, next: this.t + ms, id }); return { id }; }
  clearTimer(t: MediaTimer): void { const e = this.timers.find((x) => x.id === t.id); if (e) e.every = -1; }
  advance(ms: number): void {
    const end = this.t + ms;
    for (const e of this.timers) while (e.every > 0 && e.next <= end) { this.t = e.next; e.fn(); e.next += e.every; }
    this.t = end;
  }
}

const PCMU: PayloadFormat[] = [{ pt: 0, name: 'PCMU', clockRate: 8000 }];
const OPUS: PayloadFormat[] = [{ pt: 111, name: 'opus', clockRate: 48000 }];

function tonePcm(i: number): Int16Array {
  const pcm = new Int16Array(160);
  for (let k = 0; k < 160; k++) pcm[k] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (i * 160 + k)) / 8000));
  return pcm;
}

function run(name: string, other: PayloadFormat[], frames: number): void {
  const clock = new StepClock();
  const a = new SinkLeg();
  const b = new SinkLeg();
  const bridge = new MediaBridge({ a: { leg: a, formats: PCMU }, b: { leg: b, formats: other }, clock });
  const enc = new OpusEncoder({ sampleRate: 8000, frameMs: 20 });
  const ulaw: Buffer[] = [];
  const opus: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const u = new Uint8Array(160);
    ulawEncode(tonePcm(i), u, 160);
    ulaw.push(Buffer.from(u));
    opus.push(Buffer.from(enc.encode(tonePcm(i))));
  }
  enc.close();
  const otherIsOpus = other[0].name === 'opus';
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) {
    const pu = ulaw[i % 50];
    a.onRtp?.(writeRtpPacket(Buffer.allocUnsafe(12 + pu.length), 0, i & 0xffff, i * 160, 1, false, pu));
    const po = otherIsOpus ? opus[i % 50] : pu;
    b.onRtp?.(writeRtpPacket(Buffer.allocUnsafe(12 + po.length), other[0].pt, i & 0xffff, i * (otherIsOpus ? 960 : 160), 2, false, po));
    clock.advance(20);
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000 / frames;
  bridge.close();
  console.log(`${name.padEnd(22)} ${us.toFixed(1).padStart(7)} µs per 20 ms of call (both directions); sent ${a.sent}/${b.sent}`);
}

const frames = Number(process.argv[2] ?? 3000);
run('passthrough PCMU', PCMU, frames);
run('transcode PCMU<->Opus', OPUS, frames);

import type { MediaClock, MediaTimer } from '../clock.js';

/** Where a DtmfGenerator writes: the outgoing stream of a bridge direction. */
export interface DtmfOutput {
  /** The output stream's timestamp now: where an event starting now begins (RFC 4733 §2.5.1.2). */
  dtmfStartTs(nowMs: number): number;
  /** Sends one telephone-event packet on the stream's SSRC with its next sequence number. */
  sendDtmfPacket(pt: number, marker: boolean, ts: number, payload: Uint8Array): void;
}

export interface DtmfGeneratorOptions {
  clock: MediaClock;
  /** telephone-event payload type toward the destination. */
  pt: number;
  /** telephone-event clock rate (duration units). */
  clockRate: number;
  /** Update period, ms. Default 50 (RFC 4733 §2.5.1.3 suggests 50 ms). */
  intervalMs?: number;
  /** Volume in -dBm0 (§2.5.2.2). Default 10. */
  volume?: number;
}

/** Longest duration one event packet can carry (16-bit field, §2.5.2.3). */
const MAX_DURATION = 0xffff;

/**
 * Generates RFC 4733 telephone-event packets for whole digits (SIP INFO →
 * RTP): a start packet with the marker bit (duration one update period, or
 * the whole digit if shorter; libwebrtc's NetEq rejects duration 0), updates
 * every `intervalMs` with the duration so far, then three end packets (E bit,
 * final duration) sent together — all with the event's start timestamp
 * (§2.5.1.2–§2.5.1.4). Digits asked for while one plays are queued. Durations
 * beyond 65535 timestamp units (1365 ms at 48 kHz) are clamped (no §2.5.2.3
 * segmentation).
 */
export class DtmfGenerator {
  private readonly interval: number;
  private readonly volume: number;
  private readonly queue: Array<{ event: number; durationMs: number }> = [];
  private timer: MediaTimer | null = null;
  private cur: { event: number; total: number; ts: number; tick: number; durationMs: number } | null = null;
  private closed = false;
  /** Digits whose end packets were sent. */
  sent = 0;

  constructor(private readonly o: DtmfGeneratorOptions, private readonly out: DtmfOutput) {
    this.interval = o.intervalMs ?? 50;
    this.volume = o.volume ?? 10;
  }

  /** Queues one digit (event 0–15) of `durationMs`. */
  send(event: number, durationMs: number): void {
    if (this.closed) return;
    this.queue.push({ event, durationMs: Math.max(1, durationMs) });
    if (!this.cur) this.next();
  }

  private next(): void {
    const d = this.queue.shift();
    if (!d) { this.cur = null; return; }
    const total = Math.min(MAX_DURATION, Math.max(1, Math.round((d.durationMs * this.o.clockRate) / 1000)));
    this.cur = { event: d.event, total, ts: this.out.dtmfStartTs(this.o.clock.now()), tick: 0, durationMs: d.durationMs };
    this.packet(true, false, Math.min(total, this.samples(1)));
    this.timer = this.o.clock.setTimer(() => this.onTick(), this.interval, true);
  }

  private samples(periods: number): number {
    return Math.round((periods * this.interval * this.o.clockRate) / 1000);
  }

  private onTick(): void {
    const c = this.cur;
    if (!c || this.closed) return;
    c.tick++;
    if ((c.tick + 1) * this.interval < c.durationMs) {
      this.packet(false, false, Math.min(c.total, this.samples(c.tick + 1)));
      return;
    }
    for (let i = 0; i < 3; i++) this.packet(false, true, c.total);
    this.sent++;
    this.stopTimer();
    this.next();
  }

  private packet(marker: boolean, end: boolean, duration: number): void {
    const c = this.cur!;
    const p = new Uint8Array(4);
    p[0] = c.event;
    p[1] = (end ? 0x80 : 0) | (this.volume & 0x3f);
    p[2] = (duration >>> 8) & 0xff;
    p[3] = duration & 0xff;
    this.out.sendDtmfPacket(this.o.pt, marker, c.ts, p);
  }

  private stopTimer(): void {
    if (this.timer) { this.o.clock.clearTimer(this.timer); this.timer = null; }
  }

  /** Stops (a digit in progress gets no end packets). Idempotent. */
  close(): void {
    this.closed = true;
    this.stopTimer();
    this.queue.length = 0;
    this.cur = null;
  }
}

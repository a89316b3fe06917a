import { expect } from 'chai';
import type { BridgeJitterBuffer, JitterBufferFactory } from '../../../../src/media/bridge/jitter-buffer.js';
import {
  createJitterBuffer, JitterBuffer, type JitterBufferStats, type JitterSlot,
} from '../../../../src/media/jitter/jitter-buffer.js';
import { seededRandom as prng } from '../../../helpers/seeded-random.js';

const RATE = 8000;
const TS = 160; // 20 ms

function pkt(i: number): Uint8Array {
  return Uint8Array.of(i & 0xff, (i >> 8) & 0xff, 0xab);
}

describe('JitterBuffer (wall-clock adaptive)', () => {
  it('fits the bridge contract (BridgeJitterBuffer / JitterBufferFactory)', () => {
    const factory: JitterBufferFactory = createJitterBuffer;
    const jb: BridgeJitterBuffer = factory({ clockRate: 48000, frameMs: 20 });
    expect(jb.push(1, 960, pkt(1), 0)).to.equal('ok');
    expect(jb.size).to.equal(1);
    jb.reset();
    expect(jb.size).to.equal(0);
    expect(jb.pop(1000).kind).to.equal('empty');
  });

  it('returns empty until the first packet is due, then plays it', () => {
    const jb = new JitterBuffer({ clockRate: RATE, initialDelayMs: 60 });
    expect(jb.pop(0).kind).to.equal('empty');
    expect(jb.push(1, 1000, pkt(1), 100)).to.equal('ok');
    expect(jb.size).to.equal(1);
    expect(jb.pop(100).kind).to.equal('empty');
    expect(jb.pop(159).kind).to.equal('empty');
    const s = jb.pop(160);
    expect(s.kind).to.equal('packet');
    if (s.kind === 'packet') {
      expect(s.seq).to.equal(1);
      expect(s.timestamp).to.equal(1000);
      expect([...s.payload]).to.deep.equal([...pkt(1)]);
    }
    expect(jb.size).to.equal(0);
  });

  it('copies the payload on push', () => {
    const jb = new JitterBuffer({ clockRate: RATE, initialDelayMs: 20, minDelayMs: 20 });
    const p = pkt(5);
    jb.push(5, 0, p, 0);
    p[0] = 99;
    const s = jb.pop(1000);
    expect(s.kind === 'packet' && s.payload[0]).to.equal(5);
  });

  it('reorders packets and plays them in sequence order, one slot per call at the frame cadence', () => {
    const jb = new JitterBuffer({ clockRate: RATE, initialDelayMs: 60, minDelayMs: 60, maxDelayMs: 60 });
    const order = [0, 2, 1, 4, 3, 5];
    order.forEach((i, k) => jb.push(i, i * TS, pkt(i), i * 20 + (k % 2) * 5));
    const out: number[] = [];
    for (let t = 0; t <= 160; t += 20) {
      const s = jb.pop(t);
      if (s.kind === 'packet') out.push(s.seq);
      expect(s.kind).to.not.equal('lost');
    }
    expect(out).to.deep.equal([0, 1, 2, 3, 4, 5]);
    // After the last packet, the next slot is reported lost (the decoder conceals).
    expect(jb.pop(180).kind).to.equal('lost');
  });

  it('drops duplicates (buffered or already played) and counts late packets', () => {
    const jb = new JitterBuffer({ clockRate: RATE, initialDelayMs: 40, minDelayMs: 40, maxDelayMs: 40 });
    expect(jb.push(10, 0, pkt(10), 0)).to.equal('ok');
    expect(jb.push(10, 0, pkt(10), 1)).to.equal('duplicate');
    expect(jb.pop(40).kind).to.equal('packet'); // seq 10 played
    expect(jb.push(10, 0, pkt(10), 41)).to.equal('duplicate');
    // seq 11 is never received: its slot is declared lost at 60 ms...
    expect(jb.pop(60).kind).to.equal('lost');
    // ...so when it shows up it is late.
    expect(jb.push(11, TS, pkt(11), 70)).to.equal('late');
    const st = jb.stats;
    expect(st.duplicates).to.equal(2);
    expect(st.late).to.equal(1);
    expect(st.lost).to.equal(1);
    expect(st.played).to.equal(1);
  });

  it('reports a lost slot with the next packet for FEC, then plays that packet', () => {
    const jb = new JitterBuffer({ clockRate: RATE, initialDelayMs: 60, minDelayMs: 60, maxDelayMs: 60 });
    jb.push(0, 0, pkt(0), 0);
    jb.push(2, 2 * TS, pkt(2), 41);
    expect(jb.pop(60).kind).to.equal('packet');
    const lost = jb.pop(80) as Extract<JitterSlot, { kind: 'lost' }>;
    expect(lost.kind).to.equal('lost');
    expect(lost.seq).to.equal(1);
    expect(lost.next && [...lost.next]).to.deep.equal([...pkt(2)]);
    const p = jb.pop(100);
    expect(p.kind === 'packet' && p.seq).to.equal(2);
  });

  it('handles sequence and timestamp wrap-around', () => {
    const jb = new JitterBuffer({ clockRate: RATE, initialDelayMs: 40, minDelayMs: 40, maxDelayMs: 40 });
    const base = 0xffffffff - 2 * TS + 1;
    const seqs = [65534, 65535, 0, 1];
    seqs.forEach((s, i) => jb.push(s, (base + i * TS) >>> 0, pkt(i), i * 20));
    const out: number[] = [];
    for (let t = 0; t <= 100; t += 20) {
      const s = jb.pop(t);
      expect(s.kind).to.not.equal('lost');
      if (s.kind === 'packet') out.push(s.seq);
    }
    expect(out).to.deep.equal(seqs);
  });

  it('re-anchors on a large sequence jump (new stream)', () => {
    const jb = new JitterBuffer({ clockRate: RATE, initialDelayMs: 40, minDelayMs: 40, maxDelayMs: 40 });
    jb.push(100, 0, pkt(0), 0);
    expect(jb.pop(40).kind).to.equal('packet');
    jb.push(30000, 12345678, pkt(1), 60);
    expect(jb.stats.resets).to.equal(1);
    expect(jb.pop(60).kind).to.equal('empty');
    const s = jb.pop(100);
    expect(s.kind === 'packet' && s.seq).to.equal(30000);
  });

  it('drops the oldest packet on overflow', () => {
    const jb = new JitterBuffer({ clockRate: RATE, maxPackets: 5 });
    for (let i = 0; i < 8; i++) jb.push(i, i * TS, pkt(i), 0);
    expect(jb.size).to.equal(5);
    expect(jb.stats.overflow).to.equal(3);
    const s = jb.pop(10000);
    expect(s.kind === 'packet' && s.seq).to.equal(3);
  });

  it('declares the stream paused after repeated losses with nothing buffered, and resumes', () => {
    const jb = new JitterBuffer({ clockRate: RATE, initialDelayMs: 40, minDelayMs: 40, maxDelayMs: 40, pauseAfterLost: 3 });
    jb.push(0, 0, pkt(0), 0);
    expect(jb.pop(40).kind).to.equal('packet');
    expect(jb.pop(60).kind).to.equal('lost');
    expect(jb.pop(80).kind).to.equal('lost');
    expect(jb.pop(100).kind).to.equal('lost');
    expect(jb.pop(120).kind).to.equal('empty');
    expect(jb.pop(140).kind).to.equal('empty');
    // Talk resumes 2 s later (seq continues, timestamp advanced with real time).
    jb.push(4, 100 * TS, pkt(4), 2000);
    expect(jb.pop(2000).kind).to.equal('empty');
    const s = jb.pop(2040);
    expect(s.kind === 'packet' && s.seq).to.equal(4);
  });

  it('estimates RFC 3550 jitter: zero for a steady stream, and keeps the minimum delay', () => {
    const jb = new JitterBuffer({ clockRate: RATE, minDelayMs: 20, initialDelayMs: 60 });
    let played = 0;
    for (let i = 0; i < 200; i++) {
      jb.push(i, i * TS, pkt(i), 1000 + i * 20);
      const s = jb.pop(1000 + i * 20 + 1);
      if (s.kind === 'packet') played++;
      expect(s.kind).to.not.equal('lost');
    }
    const st = jb.stats;
    expect(st.jitterMs).to.be.below(0.01);
    expect(st.targetDelayMs).to.equal(20);
    expect(st.delayMs).to.equal(20);
    expect(played).to.be.above(195);
  });

  describe('simulation: 5 % loss and 40 ms of jitter', () => {
    interface SimResult {
      lostFraction: number;
      lateFraction: number;
      lostWithNext: number;
      lostTotal: number;
      stats: JitterBufferStats;
      order: boolean;
      meanLatencyMs: number;
    }

    function simulate(jb: JitterBuffer, seed: number, seconds = 20): SimResult {
      const rnd = prng(seed);
      const n = seconds * 50;
      const arrivals: Array<{ seq: number; at: number; sent: number }> = [];
      const dropped = new Set<number>();
      for (let i = 0; i < n; i++) {
        if (rnd() < 0.05) {
          dropped.add(i);
          continue;
        }
        arrivals.push({ seq: i, sent: i * 20, at: i * 20 + rnd() * 40 });
      }
      arrivals.sort((a, b) => a.at - b.at);
      let k = 0;
      let expectSeq = -1;
      let order = true;
      let lost = 0;
      let lostWithNext = 0;
      let latencySum = 0;
      let latencyN = 0;
      let slots = 0;
      // Consumer ticks every 20 ms on its own clock (offset 7 ms), catching up while slots are due.
      for (let t = 7; t < n * 20 + 500; t += 20) {
        while (k < arrivals.length && arrivals[k].at <= t) {
          jb.push(arrivals[k].seq & 0xffff, (arrivals[k].seq * TS) >>> 0, pkt(arrivals[k].seq), arrivals[k].at);
          k++;
        }
        for (let guard = 0; guard < 3; guard++) {
          const s = jb.pop(t);
          if (s.kind === 'empty') break;
          if (expectSeq >= 0 && s.seq !== expectSeq) order = false;
          expectSeq = s.seq + 1;
          if (t > 1000 && s.seq < n) slots++;
          if (s.kind === 'lost') {
            if (t > 1000 && s.seq < n) lost++;
            if (s.next !== null) lostWithNext++;
          } else if (t > 1000) {
            latencySum += t - s.seq * 20;
            latencyN++;
          }
        }
      }
      const stats = jb.stats;
      return {
        lostFraction: lost / slots,
        lateFraction: stats.late / arrivals.length,
        lostWithNext,
        lostTotal: stats.lost,
        stats,
        order,
        meanLatencyMs: latencySum / latencyN,
        ...{ dropped: dropped.size },
      };
    }

    it('adapts its delay to the jitter: losses stay near 5 %, few packets are late, order is kept', () => {
      const jb = new JitterBuffer({ clockRate: RATE });
      const r = simulate(jb, 42);
      const info = JSON.stringify(r);
      if (process.env.JB_DEBUG === "1") console.log(info);
      expect(r.order, info).to.equal(true);
      expect(r.lostFraction, info).to.be.within(0.03, 0.08);
      expect(r.lateFraction, info).to.be.below(0.01);
      // RFC 3550 jitter of uniform 0..40 ms delays is about 40/3 ms.
      expect(r.stats.jitterMs, info).to.be.within(8, 20);
      expect(r.stats.targetDelayMs, info).to.be.within(40, 80);
      // Most single losses can be repaired by FEC: the next packet is already there.
      expect(r.lostWithNext / r.lostTotal, info).to.be.above(0.6);
      // Latency stays bounded: sender-to-playout below the max delay.
      expect(r.meanLatencyMs, info).to.be.below(110);
    });

    it('control: with the delay capped at 10 ms, the same network makes many packets late', () => {
      const jb = new JitterBuffer({ clockRate: RATE, minDelayMs: 0, maxDelayMs: 10, initialDelayMs: 10 });
      const r = simulate(jb, 42);
      expect(r.lateFraction).to.be.above(0.2);
      expect(r.lostFraction).to.be.above(0.2);
    });

    it('is stable across seeds', () => {
      for (const seed of [1, 7, 1234]) {
        const r = simulate(new JitterBuffer({ clockRate: RATE }), seed, 10);
        expect(r.lostFraction, JSON.stringify(r)).to.be.below(0.09);
        expect(r.lateFraction, JSON.stringify(r)).to.be.below(0.015);
      }
    });

    it('works at the Opus clock (48 kHz, 960 per frame)', () => {
      const jb = new JitterBuffer({ clockRate: 48000 });
      const rnd = prng(9);
      let late = 0;
      let played = 0;
      const arrivals = Array.from({ length: 500 }, (_, i) => ({ i, at: i * 20 + rnd() * 40 })).sort((a, b) => a.at - b.at);
      let k = 0;
      for (let t = 3; t < 500 * 20 + 300; t += 20) {
        while (k < arrivals.length && arrivals[k].at <= t) {
          if (jb.push(arrivals[k].i, arrivals[k].i * 960, pkt(arrivals[k].i), arrivals[k].at) === 'late') late++;
          k++;
        }
        for (let g = 0; g < 3; g++) {
          const s = jb.pop(t);
          if (s.kind === 'empty') break;
          if (s.kind === 'packet') played++;
        }
      }
      expect(late).to.be.below(10);
      expect(played).to.be.above(485);
    });
  });
});

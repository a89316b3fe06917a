// Regression: a sender whose clock runs slower than its RTP timestamps (timer drift under load, the Chromium
// e2e phone on setInterval) or that stalls and resumes with continuous timestamps made the playout anchor
// stale: every missing slot was "due" at once, so each arriving packet was followed by a burst of up to
// pauseAfterLost concealment slots (~270–430 frames/s toward the browser instead of 50), and the real packets
// then arrived "late". Playout must stay paced by the wall clock and keep playing the real packets.
import { expect } from 'chai';
import { JitterBuffer } from '../../../../src/media/jitter/jitter-buffer.js';

interface Run { slotsPerSecond: number[]; played: number; lost: number; late: number; sent: number }

/** Sender every `spacingMs` (ts +160 each, 8 kHz), optional stall; playout pops every 5 ms, draining due slots. */
function simulate(opts: { spacingMs: (i: number) => number; durationMs: number }): Run {
  const jb = new JitterBuffer({ clockRate: 8000, frameMs: 20 });
  const payload = new Uint8Array(160);
  let nextSend = 0;
  let seq = 1000;
  let ts = 123456;
  let sent = 0;
  const perSecond: number[] = [];
  let played = 0;
  let lost = 0;
  for (let now = 0; now < opts.durationMs; now++) {
    while (nextSend <= now) {
      jb.push(seq, ts, payload, now);
      seq = (seq + 1) & 0xffff;
      ts = (ts + 160) >>> 0;
      nextSend += opts.spacingMs(sent);
      sent++;
    }
    if (now % 5 === 0) {
      for (let k = 0; k < 24; k++) {
        const s = jb.pop(now);
        if (s.kind === 'empty') break;
        const sec = Math.floor(now / 1000);
        perSecond[sec] = (perSecond[sec] ?? 0) + 1;
        if (s.kind === 'packet') played++; else lost++;
      }
    }
  }
  return { slotsPerSecond: Array.from(perSecond, (x) => x ?? 0), played, lost, late: jb.stats.late, sent };
}

describe('JitterBuffer: slow or stalling sender (playout paced by the wall clock)', () => {
  it('a sender 10 % slower than its timestamps: at most ~50 slots/s, real packets played', () => {
    const r = simulate({ spacingMs: () => 22, durationMs: 20000 });
    const worst = Math.max(...r.slotsPerSecond.slice(1));
    expect(worst, `slots/s ${r.slotsPerSecond.join(',')}`).to.be.at.most(53);
    // The sender only produces 91 % of real time; most of its packets must still be played (not dropped as late).
    expect(r.played / r.sent, JSON.stringify({ ...r, slotsPerSecond: undefined })).to.be.above(0.9);
  });

  it('a 2 s stall, then timestamps continue where they left off: no burst after the resume', () => {
    const r = simulate({ spacingMs: (i) => (i === 100 ? 2000 : 20), durationMs: 12000 });
    const worst = Math.max(...r.slotsPerSecond.slice(1));
    expect(worst, `slots/s ${r.slotsPerSecond.join(',')}`).to.be.at.most(53);
    expect(r.late, JSON.stringify({ ...r, slotsPerSecond: undefined })).to.be.at.most(3);
  });
});

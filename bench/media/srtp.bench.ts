/**
 * SRTP protect+unprotect cost per 20 ms PCMU packet: Tandem's node:crypto
 * implementation vs werift's SrtpSession. Run:
 *   node .build/NAME/bench/media/srtp.bench.js
 */
import { randomBytes } from 'node:crypto';
import { generateSrtpKey } from '../../src/media/srtp/srtp-suite.js';
import { TandemSrtpSession } from '../../src/media/srtp/tandem-srtp-session.js';
import { WeriftSrtpSession } from '../../src/media/srtp/werift-srtp-session.js';
import type { SrtpProtection } from '../../src/media/srtp/srtp-protection.js';

function run(name: string, a: SrtpProtection, b: SrtpProtection, n: number): void {
  const p = Buffer.alloc(172);
  p[0] = 0x80; p.writeUInt32BE(0x1234, 8);
  randomBytes(160).copy(p, 12);
  const once = (i: number): void => {
    p.writeUInt16BE(i & 0xffff, 2);
    p.writeUInt32BE((i * 160) >>> 0, 4);
    const enc = a.protectRtp(p);
    if (!b.unprotectRtp(enc)) throw new Error(`${name}: unprotect failed at ${i}`);
  };
  for (let i = 0; i < 2000; i++) once(i);
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (let i = 2000; i < 2000 + n; i++) once(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  const heap = (process.memoryUsage().heapUsed - heap0) / n;
  console.log(`${name.padEnd(8)} protect+unprotect ${ns.toFixed(0).padStart(6)} ns/packet, ~${heap.toFixed(0)} heap bytes/packet retained-or-garbage`);
}

const k1 = generateSrtpKey();
const k2 = generateSrtpKey();
const n = Number(process.argv[2] ?? 100000);
run('tandem', new TandemSrtpSession({ local: k1, remote: k2 }), new TandemSrtpSession({ local: k2, remote: k1 }), n);
run('werift', new WeriftSrtpSession({ local: k1, remote: k2 }), new WeriftSrtpSession({ local: k2, remote: k1 }), n);

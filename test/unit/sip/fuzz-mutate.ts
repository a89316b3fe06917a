import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { sipFixturesDir } from './sip-paths.js';
export { seededRandom as rng } from '../../helpers/seeded-random.js';

/** The RFC 4475 messages: the fuzz corpus. */
export function loadCorpus(): Buffer[] {
  const corpusDir = path.join(sipFixturesDir, 'rfc4475');
  return readdirSync(corpusDir).filter((f) => f.endsWith('.dat')).map((f) => readFileSync(path.join(corpusDir, f)));
}

/** Applies 1–4 random mutations (bit flips, truncation, duplication, junk, huge/many headers, deletions). */
export function mutate(src: Buffer, r: () => number): Buffer {
  const int = (n: number) => Math.floor(r() * n);
  let b = Buffer.from(src);
  const rounds = 1 + int(4);
  for (let k = 0; k < rounds; k++) {
    switch (int(8)) {
      case 0: { // bit flips
        for (let i = 0; i < 1 + int(8); i++) if (b.length) b[int(b.length)] ^= 1 << int(8);
        break;
      }
      case 1: // truncation
        b = b.subarray(0, int(b.length + 1));
        break;
      case 2: { // duplicate a range
        const s = int(b.length + 1);
        const e = Math.min(b.length, s + int(200));
        const at = int(b.length + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(s, e), b.subarray(at)]);
        break;
      }
      case 3: { // random bytes inserted
        const at = int(b.length + 1);
        const junk = Buffer.from(Array.from({ length: 1 + int(32) }, () => int(256)));
        b = Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
        break;
      }
      case 4: { // huge header
        const at = b.indexOf('\r\n');
        const big = Buffer.from(`\r\nX-Huge: ${'a'.repeat(1000 + int(20000))}`);
        b = at < 0 ? Buffer.concat([b, big]) : Buffer.concat([b.subarray(0, at), big, b.subarray(at)]);
        break;
      }
      case 5: { // many headers
        const at = b.indexOf('\r\n');
        const many = Buffer.from('\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx'.repeat(50 + int(400)));
        b = at < 0 ? b : Buffer.concat([b.subarray(0, at), many, b.subarray(at)]);
        break;
      }
      case 6: { // structural characters sprinkled
        const chars = '<>";:,@[]=\\ \t\r\n%/';
        for (let i = 0; i < 1 + int(6); i++) if (b.length) b[int(b.length)] = chars.charCodeAt(int(chars.length));
        break;
      }
      default: { // delete a range
        const s = int(b.length + 1);
        b = Buffer.concat([b.subarray(0, s), b.subarray(Math.min(b.length, s + int(40)))]);
      }
    }
  }
  return b;
}


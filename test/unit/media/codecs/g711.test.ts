import { expect } from 'chai';
import {
  alawDecode, alawEncode, alawToLinear, alawToUlawBuffer, linearToAlaw, linearToUlaw,
  ulawDecode, ulawEncode, ulawToAlawBuffer, ulawToLinear,
} from '../../../../src/media/codecs/g711.js';

// Straightforward transcription of the ITU-T G.191 STL g711.c routines (per sample),
// kept independent of the table-driven implementation under test. C `short`
// arithmetic is emulated where it matters (all values here stay in range).
function refAlawCompress(x: number): number {
  let ix = x < 0 ? (~x) >> 4 : x >> 4;
  if (ix > 15) {
    let iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      iexp++;
    }
    ix -= 16;
    ix += iexp << 4;
  }
  if (x >= 0) ix |= 0x0080;
  return (ix ^ 0x0055) & 0xff;
}

function refAlawExpand(code: number): number {
  let ix = code ^ 0x0055;
  ix &= 0x007f;
  const iexp = ix >> 4;
  let mant = ix & 0x000f;
  if (iexp > 0) mant = mant + 16;
  mant = (mant << 4) + 0x0008;
  if (iexp > 1) mant = mant << (iexp - 1);
  return code > 127 ? mant : -mant;
}

function refUlawCompress(x: number): number {
  let absno = x < 0 ? ((~x) >> 2) + 33 : (x >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const high = 0x0008 - segno;
  let low = (absno >> segno) & 0x000f;
  low = 0x000f - low;
  let out = (high << 4) | low;
  if (x >= 0) out = out | 0x0080;
  return out;
}

function refUlawExpand(code: number): number {
  const sign = code < 0x0080 ? -1 : 1;
  let mantissa = ~code;
  const exponent = (mantissa >> 4) & 0x0007;
  const segment = exponent + 1;
  mantissa = mantissa & 0x000f;
  const step = 4 << segment;
  return sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33) + 0; // + 0: no -0
}

describe('G.711 (table driven, G.191 exact)', () => {
  describe('literal known values', () => {
    // µ-law: 0x00/0x80 are the extremes, 0xFF/0x7F both decode to zero (G.191 ulaw_expand).
    it('µ-law decode of literal codes', () => {
      expect(ulawToLinear(0x00)).to.equal(-32124);
      expect(ulawToLinear(0x80)).to.equal(32124);
      expect(ulawToLinear(0xff)).to.equal(0);
      expect(ulawToLinear(0x7f)).to.equal(0);
      expect(ulawToLinear(0xfe)).to.equal(8); // segment 0, mantissa 1: step 8
      expect(ulawToLinear(0x7e)).to.equal(-8);
    });
    it('A-law decode of literal codes', () => {
      expect(alawToLinear(0xd5)).to.equal(8);
      expect(alawToLinear(0x55)).to.equal(-8);
      expect(alawToLinear(0x2a)).to.equal(-32256);
      expect(alawToLinear(0xaa)).to.equal(32256);
    });
    it('encode of literal values', () => {
      expect(linearToUlaw(0)).to.equal(0xff);
      expect(linearToUlaw(-1)).to.equal(0x7f);
      expect(linearToUlaw(32767)).to.equal(0x80);
      expect(linearToUlaw(-32768)).to.equal(0x00);
      expect(linearToAlaw(0)).to.equal(0xd5);
      expect(linearToAlaw(-1)).to.equal(0x55);
      expect(linearToAlaw(32767)).to.equal(0xaa);
      expect(linearToAlaw(-32768)).to.equal(0x2a);
    });
    it('the reference transcription agrees with the literal values', () => {
      expect(refUlawExpand(0x00)).to.equal(-32124);
      expect(refUlawExpand(0x80)).to.equal(32124);
      expect(refAlawExpand(0xd5)).to.equal(8);
      expect(refAlawExpand(0x2a)).to.equal(-32256);
    });
  });

  describe('exhaustive against the G.191 reference', () => {
    it('all 256 µ-law codes decode to the G.191 values', () => {
      for (let c = 0; c < 256; c++) expect(ulawToLinear(c), `code ${c}`).to.equal(refUlawExpand(c));
    });
    it('all 256 A-law codes decode to the G.191 values', () => {
      for (let c = 0; c < 256; c++) expect(alawToLinear(c), `code ${c}`).to.equal(refAlawExpand(c));
    });
    it('every 16-bit input encodes like the G.191 µ-law encoder', () => {
      let bad = 0;
      for (let x = -32768; x <= 32767; x++) if (linearToUlaw(x) !== refUlawCompress(x)) bad++;
      expect(bad).to.equal(0);
    });
    it('every 16-bit input encodes like the G.191 A-law encoder', () => {
      let bad = 0;
      for (let x = -32768; x <= 32767; x++) if (linearToAlaw(x) !== refAlawCompress(x)) bad++;
      expect(bad).to.equal(0);
    });
    it('decode(encode(x)) stays within the quantization step', () => {
      // Step of the segment x falls in: µ-law 8 << seg (16-bit units), A-law 32 << max(seg-1, 0).
      let worstU = 0;
      let worstA = 0;
      for (let x = -32768; x <= 32767; x++) {
        const cu = linearToUlaw(x);
        const segU = ((~cu) >> 4) & 7;
        const errU = Math.abs(ulawToLinear(cu) - x);
        // Clipped region above the last decision level is exempt from the step bound.
        if (Math.abs(x) < 32124) expect(errU, `µ x=${x}`).to.be.at.most(8 << segU);
        worstU = Math.max(worstU, errU);
        const ca = linearToAlaw(x);
        const segA = ((ca ^ 0x55) >> 4) & 7;
        const errA = Math.abs(alawToLinear(ca) - x);
        if (Math.abs(x) < 32256) expect(errA, `A x=${x}`).to.be.at.most(32 << Math.max(segA - 1, 0));
        worstA = Math.max(worstA, errA);
      }
      expect(worstU).to.be.below(1024);
      expect(worstA).to.be.below(1024);
    });
    it('re-encoding a decoded code gives the same code (except µ-law -0)', () => {
      for (let c = 0; c < 256; c++) {
        if (c !== 0x7f) expect(linearToUlaw(ulawToLinear(c)), `µ ${c}`).to.equal(c);
        expect(linearToAlaw(alawToLinear(c)), `A ${c}`).to.equal(c);
      }
    });
  });

  describe('buffer APIs', () => {
    it('encode/decode buffers match the scalar functions and honour n', () => {
      const pcm = new Int16Array(320);
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(20000 * Math.sin(i / 3)) - 7;
      const u = new Uint8Array(320).fill(0x33);
      const a = new Uint8Array(320).fill(0x33);
      expect(ulawEncode(pcm, u, 160)).to.equal(160);
      expect(alawEncode(pcm, a, 160)).to.equal(160);
      for (let i = 0; i < 160; i++) {
        expect(u[i]).to.equal(linearToUlaw(pcm[i]));
        expect(a[i]).to.equal(linearToAlaw(pcm[i]));
      }
      expect(u[160]).to.equal(0x33); // beyond n untouched
      const out = new Int16Array(320);
      ulawDecode(u, out, 160);
      for (let i = 0; i < 160; i++) expect(out[i]).to.equal(ulawToLinear(u[i]));
      alawDecode(a, out, 160);
      for (let i = 0; i < 160; i++) expect(out[i]).to.equal(alawToLinear(a[i]));
      expect(out[200]).to.equal(0);
    });
    it('defaults n to the source length', () => {
      const pcm = Int16Array.from([0, 1000, -1000]);
      const u = new Uint8Array(3);
      expect(ulawEncode(pcm, u)).to.equal(3);
      expect([...u]).to.deep.equal([0xff, linearToUlaw(1000), linearToUlaw(-1000)]);
    });
    it('rejects an n that does not fit, with a typed error', () => {
      expect(() => ulawEncode(new Int16Array(10), new Uint8Array(5), 10)).to.throw().with.property('code', 'ERR_G711_BAD_LENGTH');
      expect(() => alawDecode(new Uint8Array(10), new Int16Array(10), 11)).to.throw().with.property('code', 'ERR_G711_BAD_LENGTH');
      expect(() => ulawDecode(new Uint8Array(10), new Int16Array(10), -1)).to.throw().with.property('code', 'ERR_G711_BAD_LENGTH');
    });
    it('transcodes µ-law <-> A-law through linear', () => {
      const all = new Uint8Array(256).map((_, i) => i);
      const a = new Uint8Array(256);
      const u = new Uint8Array(256);
      ulawToAlawBuffer(all, a);
      alawToUlawBuffer(all, u);
      for (let c = 0; c < 256; c++) {
        expect(a[c]).to.equal(linearToAlaw(ulawToLinear(c)));
        expect(u[c]).to.equal(linearToUlaw(alawToLinear(c)));
      }
    });
  });
});

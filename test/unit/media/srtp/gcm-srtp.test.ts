import { expect } from 'chai';
import { createCipheriv, randomBytes } from 'node:crypto';
import { nativeSrtpHasGcm, nativeSrtpLoadError } from '../../../../src/media/srtp/native-srtp-addon.js';
import { NativeSrtpSession } from '../../../../src/media/srtp/native-srtp-session.js';
import { SrtpContext } from '../../../../src/media/srtp/srtp-context.js';
import { createSrtpSession } from '../../../../src/media/srtp/srtp-impl.js';
import { TandemSrtpSession } from '../../../../src/media/srtp/tandem-srtp-session.js';
import { WeriftSrtpSession } from '../../../../src/media/srtp/werift-srtp-session.js';
import { decodeSdesKey, encodeSdesKey, generateSrtpKey, srtcpTagLength, srtpSaltLength, srtpTagLength, type SrtpKeyMaterial } from '../../../../src/media/srtp/srtp-suite.js';
import type { SrtpOptions, SrtpProtection, SrtpSessionKeys } from '../../../../src/media/srtp/srtp-protection.js';
import { defaultSrtpFactory } from '../../../../src/media/webrtc/srtp-transform.js';
import { expectRoundTrips, nativeAddon, portable, rtcp, rtp, type PktOpts } from './srtp-packets.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const GCM = 'AEAD_AES_128_GCM' as const;

// RFC 7714 §16–17: session key and salt given directly (no KDF), shared by SRTP and SRTCP.
const RFC_KEY = hex('000102030405060708090a0b0c0d0e0f');
const RFC_SALT = hex('517569642070726f2071756f'); // "Quid pro quo"
// §16.1.1: RTP packet, SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0; payload "Gallia est omnis divisa in partes tres".
const RFC_RTP = hex(`8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
  20646976 69736120 696e2070 61727465 73207472 6573`);
const RFC_RTP_IV = hex('51753c6580c2726f20718414');
const RFC_SRTP = hex(`8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca
  be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce`);
// §17: RTCP sender report from SSRC "Mars", SRTCP index 0x5d4.
const RFC_RTCP = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
  deadbeef deadbeef deadbeef deadbeef deadbeef`);
const RFC_RTCP_IV = hex('517524055203726f207170bb');
// §17.1: SRTCP encryption (E = 1): header | ciphertext | tag | E||index.
const RFC_SRTCP = hex(`81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
  c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4`);
// §17.3: SRTCP authentication only (E = 0): the plain packet | tag | E||index.
const RFC_SRTCP_AUTH_ONLY = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
  deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4`);

const addon = nativeAddon;

/** One direction with the RFC 7714 session keys, as a {unprotect/protect} pair over one context. */
interface Dir {
  protectRtp(p: Buffer): Buffer;
  unprotectRtp(p: Buffer): Buffer | null;
  protectRtcp(p: Buffer): Buffer;
  unprotectRtcp(p: Buffer): Buffer | null;
  lastError(): string | null;
}

function nativeDir(accel: boolean): Dir {
  const a = addon();
  const ctx = accel ? a.srtpCreate(RFC_KEY, RFC_SALT, 16, 128, 'aes-128-gcm', true)
    : portable(() => a.srtpCreate(RFC_KEY, RFC_SALT, 16, 128, 'aes-128-gcm', true));
  let err: string | null = null;
  const run = (fn: (c: typeof ctx, u: Uint8Array, o: number, l: number) => number, p: Buffer, room: number): Buffer | null => {
    const b = Buffer.alloc(p.length + room);
    p.copy(b);
    const n = fn(ctx, b, 0, p.length);
    err = n < 0 ? String(n) : null;
    return n < 0 ? null : b.subarray(0, n);
  };
  return {
    protectRtp: (p) => run((c, u, o, l) => a.srtpProtectRtp(c, u, o, l), p, 16) as Buffer,
    unprotectRtp: (p) => run((c, u, o, l) => a.srtpUnprotectRtp(c, u, o, l), p, 0),
    protectRtcp: (p) => run((c, u, o, l) => a.srtpProtectRtcp(c, u, o, l), p, 20) as Buffer,
    unprotectRtcp: (p) => run((c, u, o, l) => a.srtpUnprotectRtcp(c, u, o, l), p, 0),
    lastError: () => err,
  };
}

function nodeDir(): Dir {
  const c = new SrtpContext({ suite: GCM, masterKey: RFC_KEY, masterSalt: RFC_SALT }, 128, { sessionKeys: true });
  return {
    protectRtp: (p) => c.protectRtp(p),
    unprotectRtp: (p) => c.unprotectRtp(Buffer.from(p)),
    protectRtcp: (p) => c.protectRtcp(p),
    unprotectRtcp: (p) => c.unprotectRtcp(Buffer.from(p)),
    lastError: () => c.lastError,
  };
}

type Make = (k: SrtpSessionKeys, o?: SrtpOptions) => SrtpProtection;
const IMPLS: Array<[string, Make]> = [
  ['tandem (node:crypto)', (k, o) => new TandemSrtpSession(k, o)],
  ['native', (k, o) => new NativeSrtpSession(k, o)],
  ['native-portable', (k, o) => portable(() => new NativeSrtpSession(k, o))],
];


const SHAPES: PktOpts[] = [
  { payload: 160, fill: null }, { payload: 0 }, { payload: 1, csrc: 2 }, { payload: 33, ext: 3, fill: null },
  { payload: 200, csrc: 15, ext: 0, fill: null }, { payload: 1200, fill: null }, { payload: 15 }, { payload: 17, csrc: 1 },
];

describe('media/srtp AEAD_AES_128_GCM (RFC 7714)', () => {
  it('the native addon does GCM and reports its GHASH code', () => {
    expect(nativeSrtpHasGcm(), String(nativeSrtpLoadError())).to.equal(true);
    expect(['pclmul', 'table']).to.include(addon().srtpInfo().ghash);
    portable(() => expect(addon().srtpInfo()).to.deep.equal({ aes: 'table', sha1: 'c', ghash: 'table' }));
  });

  it('srtpCreate validates the cipher argument and the GCM key, salt, tag and room sizes', () => {
    const a = addon();
    expect(() => a.srtpCreate(RFC_KEY, RFC_SALT, 16, 128, 'aes-256-gcm' as never)).to.throw(RangeError, /cipher/);
    expect(() => a.srtpCreate(RFC_KEY, RFC_SALT, 16, 128, 42 as never)).to.throw(TypeError);
    expect(() => a.srtpCreate(RFC_KEY, Buffer.alloc(14), 16, 128, 'aes-128-gcm')).to.throw(RangeError, /salt 12/);
    expect(() => a.srtpCreate(RFC_KEY, RFC_SALT, 10, 128, 'aes-128-gcm')).to.throw(RangeError, /16/);
    expect(() => a.srtpCreate(RFC_KEY, Buffer.alloc(14), 10, 128, 'aes-cm', true)).to.throw(RangeError, /sessionKeys/);
    expect(() => a.srtpCreate(RFC_KEY, Buffer.alloc(14), 10, 128, undefined)).to.not.throw();
    const ctx = a.srtpCreate(RFC_KEY, RFC_SALT, 16, 128, 'aes-128-gcm');
    const buf = Buffer.alloc(RFC_RTCP.length + 19);
    RFC_RTCP.copy(buf);
    expect(() => a.srtpProtectRtcp(ctx, buf, 0, RFC_RTCP.length)).to.throw(RangeError); // needs 20 bytes of room
    expect(() => a.srtpProtectRtp(ctx, buf, 0, buf.length - 15)).to.throw(RangeError); // needs 16
    const ok = Buffer.alloc(RFC_RTCP.length + 20);
    RFC_RTCP.copy(ok);
    expect(a.srtpProtectRtcp(ctx, ok, 0, RFC_RTCP.length)).to.equal(RFC_RTCP.length + 20);
  });

  it('suite parameters: 16-byte tags, 12-byte salts, SDES keys of 28 bytes (RFC 7714 §12, §14)', () => {
    expect(srtpTagLength(GCM)).to.equal(16);
    expect(srtcpTagLength(GCM)).to.equal(16);
    expect(srtpSaltLength(GCM)).to.equal(12);
    expect(srtcpTagLength('AES_CM_128_HMAC_SHA1_32')).to.equal(10);
    const k = generateSrtpKey(GCM);
    expect(k.masterKey.length).to.equal(16);
    expect(k.masterSalt.length).to.equal(12);
    const round = decodeSdesKey(GCM, encodeSdesKey(k));
    expect(Buffer.from(round.masterKey).equals(Buffer.from(k.masterKey))).to.equal(true);
    expect(Buffer.from(round.masterSalt).equals(Buffer.from(k.masterSalt))).to.equal(true);
    expect(() => decodeSdesKey(GCM, encodeSdesKey(generateSrtpKey()))).to.throw(/28 bytes/);
  });

  it('the RFC 7714 vectors are AES-128-GCM with the §8.1/§9.1 IVs and the §8.2/§9.2 AAD (node:crypto)', () => {
    // IV = salt XOR (00 00 || SSRC || ROC || SEQ), and for SRTCP salt XOR (00 00 || SSRC || 00 00 || 0 || index).
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(0x5501a0b2, 2); iv.writeUInt32BE(0, 6); iv.writeUInt16BE(0xf17b, 10);
    for (let i = 0; i < 12; i++) iv[i] ^= RFC_SALT[i];
    expect(iv.toString('hex')).to.equal(RFC_RTP_IV.toString('hex'));
    const c = createCipheriv('aes-128-gcm', RFC_KEY, iv);
    c.setAAD(RFC_RTP.subarray(0, 12));
    const enc = Buffer.concat([RFC_RTP.subarray(0, 12), c.update(RFC_RTP.subarray(12)), c.final(), c.getAuthTag()]);
    expect(enc.toString('hex')).to.equal(RFC_SRTP.toString('hex'));
    const riv = Buffer.alloc(12);
    riv.writeUInt32BE(0x4d617273, 2); riv.writeUInt32BE(0x5d4, 8);
    for (let i = 0; i < 12; i++) riv[i] ^= RFC_SALT[i];
    expect(riv.toString('hex')).to.equal(RFC_RTCP_IV.toString('hex'));
    const r = createCipheriv('aes-128-gcm', RFC_KEY, riv);
    r.setAAD(Buffer.concat([RFC_RTCP.subarray(0, 8), hex('800005d4')]));
    const renc = Buffer.concat([RFC_RTCP.subarray(0, 8), r.update(RFC_RTCP.subarray(8)), r.final(), r.getAuthTag(), hex('800005d4')]);
    expect(renc.toString('hex')).to.equal(RFC_SRTCP.toString('hex'));
    const a = createCipheriv('aes-128-gcm', RFC_KEY, riv);
    a.setAAD(Buffer.concat([RFC_RTCP, hex('000005d4')]));
    a.final();
    expect(Buffer.concat([RFC_RTCP, a.getAuthTag(), hex('000005d4')]).toString('hex')).to.equal(RFC_SRTCP_AUTH_ONLY.toString('hex'));
  });

  for (const [name, make] of [['native', () => nativeDir(true)], ['native-portable', () => nativeDir(false)], ['tandem (node:crypto)', nodeDir]] as Array<[string, () => Dir]>) {
    describe(`RFC 7714 test vectors: ${name}`, () => {
      it('§16.1 SRTP: protect gives the vector, unprotect gives the packet back, a second time is a replay', () => {
        const tx = make();
        expect(tx.protectRtp(RFC_RTP).toString('hex')).to.equal(RFC_SRTP.toString('hex'));
        const rx = make();
        expect(rx.unprotectRtp(RFC_SRTP)?.toString('hex')).to.equal(RFC_RTP.toString('hex'));
        expect(rx.unprotectRtp(RFC_SRTP)).to.equal(null);
        expect(rx.lastError()).to.be.oneOf(['-3', 'replay']);
        for (const pos of [0, 5, 11, 12, 30, RFC_SRTP.length - 1]) {
          const t = Buffer.from(RFC_SRTP);
          t[pos] ^= 0x10;
          expect(make().unprotectRtp(t), `bit at ${pos}`).to.equal(null);
        }
      });

      it('§17.1 SRTCP (E = 1): the 1492nd protect (index 0x5d4) gives the vector; unprotect gives the packet back', () => {
        const tx = make();
        let out: Buffer = Buffer.alloc(0);
        for (let i = 1; i <= 0x5d4; i++) out = tx.protectRtcp(RFC_RTCP);
        expect(out.toString('hex')).to.equal(RFC_SRTCP.toString('hex'));
        const rx = make();
        expect(rx.unprotectRtcp(RFC_SRTCP)?.toString('hex')).to.equal(RFC_RTCP.toString('hex'));
        expect(rx.unprotectRtcp(RFC_SRTCP)).to.equal(null);
        expect(rx.lastError()).to.be.oneOf(['-3', 'replay']);
      });

      it('§17.3 SRTCP authentication only (E = 0): accepted unchanged; any flipped bit (E included) fails', () => {
        const rx = make();
        expect(rx.unprotectRtcp(RFC_SRTCP_AUTH_ONLY)?.toString('hex')).to.equal(RFC_RTCP.toString('hex'));
        for (const pos of [3, 8, 40, RFC_RTCP.length + 3, RFC_SRTCP_AUTH_ONLY.length - 4, RFC_SRTCP_AUTH_ONLY.length - 1]) {
          const t = Buffer.from(RFC_SRTCP_AUTH_ONLY);
          t[pos] ^= pos === RFC_SRTCP_AUTH_ONLY.length - 4 ? 0x80 : 0x01;
          const r = make();
          expect(r.unprotectRtcp(t), `bit at ${pos}`).to.equal(null);
          expect(r.lastError()).to.be.oneOf(['-2', 'auth']);
        }
      });
    });
  }

  it('key derivation (RFC 7714 §11): the AES-CM PRF over the 12-byte master salt zero-padded to 14, as libsrtp', () => {
    // Master key 00..0f, salt a0..ab (libsrtp's GCM test material): session keys/salts for labels 0, 2, 3, 5.
    const master: SrtpKeyMaterial = { suite: GCM, masterKey: RFC_KEY, masterSalt: hex('a0a1a2a3a4a5a6a7a8a9aaab') };
    const rtpKey = hex('077c6143cb221bc355ff23d5f984a16e');
    const rtpSalt = hex('9af3e95364ebac9c99c5a7c4');
    const rtcpKey = hex('615dcd9042600666f6fd4d9e4fe4519f');
    const rtcpSalt = hex('fcca937b9112a500dac72269');
    const direct = (key: Buffer, salt: Buffer): SrtpContext => new SrtpContext({ suite: GCM, masterKey: key, masterSalt: salt }, 128, { sessionKeys: true });
    const p = rtp(77, { payload: 50, fill: null });
    const r = rtcp(77, 20);
    for (const [name, s] of [['native', new NativeSrtpSession({ local: master, remote: master })], ['node', new TandemSrtpSession({ local: master, remote: master })],
      ['portable', portable(() => new NativeSrtpSession({ local: master, remote: master }))]] as Array<[string, SrtpProtection]>) {
      expect(s.protectRtp(p).equals(direct(rtpKey, rtpSalt).protectRtp(p)), `${name} rtp`).to.equal(true);
      expect(s.protectRtcp(r).equals(direct(rtcpKey, rtcpSalt).protectRtcp(r)), `${name} rtcp`).to.equal(true);
    }
  });

  for (const accel of [true, false]) {
    it(`the AES-GCM core equals node:crypto and the GCM spec vectors (${accel ? 'AES-NI + PCLMULQDQ' : 'portable'})`, () => {
      const a = addon();
      const gcm = a.srtpAesGcm?.bind(a);
      if (!gcm) throw new Error('addon without srtpAesGcm');
      a.srtpSetAccel(accel);
      try {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 1 and 2.
        const tag = Buffer.alloc(16);
        gcm(Buffer.alloc(16), Buffer.alloc(12), Buffer.alloc(0), Buffer.alloc(0), tag);
        expect(tag.toString('hex')).to.equal('58e2fccefa7e3061367f1d57a4e7455a');
        const d = Buffer.alloc(16);
        gcm(Buffer.alloc(16), Buffer.alloc(12), Buffer.alloc(0), d, tag);
        expect(d.toString('hex')).to.equal('0388dace60b6a392f328c2b971b2fe78');
        expect(tag.toString('hex')).to.equal('ab6e47d42cec13bdf53a67b21257bddf');
        for (let i = 0; i < 600; i++) {
          const k = randomBytes(16);
          const iv = randomBytes(12);
          const aad = randomBytes(i % 71);
          const data = randomBytes(i < 300 ? i : (i * 37) % 3000);
          const c = createCipheriv('aes-128-gcm', k, iv);
          c.setAAD(aad);
          const want = Buffer.concat([c.update(data), c.final()]);
          const mine = Buffer.from(data);
          gcm(k, iv, aad, mine, tag);
          expect(mine.equals(want), `ciphertext ${i}`).to.equal(true);
          expect(tag.equals(c.getAuthTag()), `tag ${i}`).to.equal(true);
        }
      } finally {
        a.srtpSetAccel(true);
      }
    });
  }

  describe('sessions over every implementation', () => {
    for (const [name, make] of IMPLS) {
      describe(name, () => {
        it('round-trips RTP and RTCP of every shape; SRTCP ends with tag || E||index, first index 1', () => {
          const a = generateSrtpKey(GCM);
          const b = generateSrtpKey(GCM);
          const x = make({ local: a, remote: b });
          const y = make({ local: b, remote: a });
          for (let i = 0; i < 200; i++) {
            const p = rtp(100 + i, SHAPES[i % SHAPES.length]);
            const enc = x.protectRtp(p);
            expect(enc.length).to.equal(p.length + 16);
            expect(y.unprotectRtp(Buffer.from(enc))?.equals(p), `rtp ${i}`).to.equal(true);
          }
          const r = rtcp(7, 24);
          const e1 = x.protectRtcp(r);
          expect(e1.length).to.equal(r.length + 20);
          expect(e1.readUInt32BE(e1.length - 4)).to.equal(0x80000001);
          expect(e1.subarray(8, r.length).equals(r.subarray(8))).to.equal(false);
          expect(y.unprotectRtcp(Buffer.from(e1))?.equals(r)).to.equal(true);
          expect(y.lastError).to.equal(null);
        });

        it('honours the length argument and rejects keys of the wrong size', () => {
          const k = generateSrtpKey(GCM);
          const s = make({ local: k, remote: k });
          const p = rtp(9);
          const big = Buffer.concat([p, Buffer.alloc(40, 0xee)]);
          const enc = s.protectRtp(big, p.length);
          expect(enc.length).to.equal(p.length + 16);
          expect(s.unprotectRtp(Buffer.concat([enc, Buffer.alloc(9, 1)]), enc.length)?.equals(p)).to.equal(true);
          expect(() => make({ local: { ...k, masterSalt: Buffer.alloc(14) }, remote: k })).to.throw(RangeError);
          expect(() => make({ local: { ...k, masterKey: Buffer.alloc(32) }, remote: k })).to.throw(RangeError);
          expect(() => s.protectRtp(Buffer.alloc(70000, 0x80))).to.throw(RangeError);
          expect(s.unprotectRtp(Buffer.alloc(70000, 0x80))).to.equal(null);
          expect(s.lastError).to.equal('malformed');
        });

        it('tampering anywhere fails authentication and leaves the packet untouched; short and malformed get their reason', () => {
          const k = generateSrtpKey(GCM);
          const tx = make({ local: k, remote: k });
          const rx = make({ local: k, remote: k });
          const enc = tx.protectRtp(rtp(1, { csrc: 1, ext: 1, payload: 40 }));
          for (const pos of [1, 3, 8, 12, 16, 25, enc.length - 17, enc.length - 16, enc.length - 1]) {
            const t = Buffer.from(enc);
            t[pos] ^= 4;
            const copy = Buffer.from(t);
            expect(rx.unprotectRtp(t), `bit at ${pos}`).to.equal(null);
            expect(rx.lastError).to.equal('auth');
            expect(t.equals(copy), `untouched after failure at ${pos}`).to.equal(true);
          }
          expect(rx.unprotectRtp(Buffer.from(enc))).to.not.equal(null);
          const rc = tx.protectRtcp(rtcp(5));
          for (const pos of [0, 4, 9, rc.length - 20, rc.length - 5, rc.length - 1]) {
            const t = Buffer.from(rc);
            t[pos] ^= 1;
            expect(rx.unprotectRtcp(t), `rtcp bit at ${pos}`).to.equal(null);
            expect(rx.lastError).to.equal('auth');
          }
          const eOff = Buffer.from(rc);
          eOff[eOff.length - 4] &= 0x7f; // E flipped to 0: the AAD changes, so the tag fails
          expect(rx.unprotectRtcp(eOff)).to.equal(null);
          expect(rx.lastError).to.equal('auth');
          expect(rx.unprotectRtcp(Buffer.from(rc))).to.not.equal(null);
          expect(rx.unprotectRtp(Buffer.alloc(27))).to.equal(null);
          expect(rx.lastError).to.equal('short');
          const v1 = Buffer.from(enc); v1[0] = 0x40;
          expect(rx.unprotectRtp(v1)).to.equal(null);
          expect(rx.lastError).to.equal('malformed');
          expect(rx.unprotectRtcp(Buffer.alloc(27))).to.equal(null);
          expect(rx.lastError).to.equal('short');
          expect(rx.unprotectRtcp(Buffer.alloc(28))).to.equal(null);
          expect(rx.lastError).to.equal('malformed');
        });

        it('replayed and too-old packets are dropped; reordered ones inside the window pass', () => {
          const k = generateSrtpKey(GCM);
          const tx = make({ local: k, remote: k });
          const rx = make({ local: k, remote: k }, { replayWindow: 64 });
          const encs = Array.from({ length: 200 }, (_, i) => tx.protectRtp(rtp(i)));
          expect(rx.unprotectRtp(Buffer.from(encs[10]))).to.not.equal(null);
          expect(rx.unprotectRtp(Buffer.from(encs[10]))).to.equal(null);
          expect(rx.lastError).to.equal('replay');
          expect(rx.unprotectRtp(Buffer.from(encs[150]))).to.not.equal(null);
          expect(rx.unprotectRtp(Buffer.from(encs[87]))).to.not.equal(null); // 63 behind: inside
          expect(rx.unprotectRtp(Buffer.from(encs[86]))).to.equal(null); // 64 behind: outside
          expect(rx.lastError).to.equal('replay');
          const r1 = tx.protectRtcp(rtcp(5));
          const r2 = tx.protectRtcp(rtcp(5));
          expect(rx.unprotectRtcp(Buffer.from(r2))).to.not.equal(null);
          expect(rx.unprotectRtcp(Buffer.from(r1))).to.not.equal(null);
          expect(rx.unprotectRtcp(Buffer.from(r1))).to.equal(null);
          expect(rx.lastError).to.equal('replay');
        });

        it('a forged far-ahead packet commits no state; the ROC follows sequence wraps with reordering', () => {
          const k = generateSrtpKey(GCM);
          const tx = make({ local: k, remote: k });
          const rx = make({ local: k, remote: k });
          const good = tx.protectRtp(rtp(100));
          const forged = Buffer.from(tx.protectRtp(rtp(30000)));
          forged[forged.length - 1] ^= 1;
          expect(rx.unprotectRtp(forged)).to.equal(null);
          expect(rx.unprotectRtp(Buffer.from(good))).to.not.equal(null);
          const tx2 = make({ local: k, remote: k });
          const rx2 = make({ local: k, remote: k });
          const seqs = [65533, 65534, 65535, 0, 1, 2, 3];
          const sent = seqs.map((s) => tx2.protectRtp(rtp(s, { ssrc: 9 })));
          for (const i of [0, 1, 3, 2, 4, 5, 6]) {
            const out = rx2.unprotectRtp(Buffer.from(sent[i]));
            expect(out, `packet ${i}`).to.not.equal(null);
            expect(out?.subarray(12).every((b) => b === 0x55)).to.equal(true);
          }
          let seq = 4;
          for (let n = 0; n < 2 * 65536; n += 300) {
            seq = (seq + 300) & 0xffff;
            expect(rx2.unprotectRtp(tx2.protectRtp(rtp(seq, { payload: 4, ssrc: 9 }))), `seq ${seq}`).to.not.equal(null);
          }
        });
      });
    }
  });

  describe('interop and equivalence', () => {
    for (const [peerName, makePeer] of [
      ['werift', (k: SrtpSessionKeys) => new WeriftSrtpSession(k)],
      ['tandem (node:crypto)', (k: SrtpSessionKeys) => new TandemSrtpSession(k)],
      ['native-portable', (k: SrtpSessionKeys) => portable(() => new NativeSrtpSession(k))],
    ] as Array<[string, Make]>) {
      it(`native ⇄ ${peerName}: RTP over a sequence wrap and SRTCP, both ways (master keys through the KDF)`, () => {
        const a = generateSrtpKey(GCM);
        const b = generateSrtpKey(GCM);
        const ours = new NativeSrtpSession({ local: a, remote: b });
        const theirs = makePeer({ local: b, remote: a });
        expectRoundTrips(ours, theirs, peerName, SHAPES, { firstSeq: 65300, count: 500, noExtensions: peerName === 'werift' });
      });
    }

    it('native (accelerated), native (portable) and node:crypto produce identical bytes, over 100 SSRCs', () => {
      const k: SrtpKeyMaterial = generateSrtpKey(GCM);
      const keys = { local: k, remote: k };
      const sessions = [new NativeSrtpSession(keys), portable(() => new NativeSrtpSession(keys)), new TandemSrtpSession(keys)];
      let seq = 1;
      for (let i = 0; i < 2000; i++) {
        seq = (seq + (i % 97 === 0 ? 40000 : i % 13 === 0 ? 65000 : 7)) & 0xffff;
        const p = rtp(seq, { ...SHAPES[i % SHAPES.length], ssrc: (i * 7919) % 100 });
        const [acc, port, node] = sessions.map((s) => s.protectRtp(p));
        expect(acc.equals(port), `rtp accel/portable ${i}`).to.equal(true);
        expect(acc.equals(node), `rtp native/node ${i}`).to.equal(true);
        if (i % 10 === 0) {
          const r = rtcp((i * 31) % 100, 4 * (i % 5));
          const [ra, rp, rn] = sessions.map((s) => s.protectRtcp(r));
          expect(ra.equals(rp) && ra.equals(rn), `rtcp ${i}`).to.equal(true);
        }
      }
    });

    it('native and node:crypto give the same verdict and plaintext for every received packet (reordered, replayed, mutated, garbage)', () => {
      const k = generateSrtpKey(GCM);
      const tx = new TandemSrtpSession({ local: k, remote: k });
      const rxT = new TandemSrtpSession({ local: k, remote: k }, { replayWindow: 100 });
      const rxN = new NativeSrtpSession({ local: k, remote: k }, { replayWindow: 100 });
      const rxP = portable(() => new NativeSrtpSession({ local: k, remote: k }, { replayWindow: 100 }));
      const sent: Buffer[] = [];
      const reasons = new Map<string, number>();
      let seq = 65000;
      for (let i = 0; i < 4000; i++) {
        const r = (i * 2654435761) >>> 0;
        let pkt: Buffer;
        let isRtcp = false;
        switch (r % 10) {
          case 0: pkt = sent.length ? Buffer.from(sent[(r >>> 8) % sent.length]) : randomBytes(40); break;
          case 1: {
            pkt = Buffer.from(sent.length ? sent[sent.length - 1] : randomBytes(40));
            pkt[(r >>> 8) % pkt.length] ^= 1 << ((r >>> 4) & 7);
            break;
          }
          case 2: pkt = randomBytes((r >>> 8) % 80); pkt[0] = (pkt[0] & 0x3f) | 0x80; break;
          case 3: pkt = randomBytes((r >>> 8) % 60); break;
          case 4: { isRtcp = true; pkt = tx.protectRtcp(rtcp((r >>> 8) % 100, 4 * (r % 4))); if (r & 0x10000) sent.push(pkt); break; }
          case 5: { isRtcp = true; pkt = sent.length ? Buffer.from(sent[(r >>> 8) % sent.length]) : randomBytes(30); break; }
          default: {
            seq = (seq + 1 + ((r >>> 8) % 3 === 0 ? 200 : 0)) & 0xffff;
            pkt = tx.protectRtp(rtp(seq, { ...SHAPES[i % SHAPES.length], ssrc: (r >>> 12) % 100 }));
            sent.push(pkt);
            if (sent.length > 400) sent.shift();
          }
        }
        const outs = [rxT, rxN, rxP].map((s) => (isRtcp ? s.unprotectRtcp(Buffer.from(pkt)) : s.unprotectRtp(Buffer.from(pkt))));
        expect(outs[1] === null, `null at ${i}`).to.equal(outs[0] === null);
        expect(outs[2] === null, `null (portable) at ${i}`).to.equal(outs[0] === null);
        expect(rxN.lastError, `reason at ${i}`).to.equal(rxT.lastError);
        expect(rxP.lastError, `reason (portable) at ${i}`).to.equal(rxT.lastError);
        if (outs[0] && outs[1] && outs[2]) expect(outs[1].equals(outs[0]) && outs[2].equals(outs[0]), `plain at ${i}`).to.equal(true);
        const key = `${isRtcp ? 'rtcp' : 'rtp'}:${rxT.lastError ?? 'ok'}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
      for (const kk of ['rtp:ok', 'rtp:auth', 'rtp:replay', 'rtp:short', 'rtp:malformed', 'rtcp:ok', 'rtcp:auth', 'rtcp:replay']) {
        expect(reasons.get(kk) ?? 0, kk).to.be.greaterThan(0);
      }
    });

    it('createSrtpSession and the WebRTC leg\'s defaultSrtpFactory use the native code for AEAD_AES_128_GCM', () => {
      const k = generateSrtpKey(GCM);
      expect(createSrtpSession({ local: k, remote: k }).impl).to.equal('native');
      const t = defaultSrtpFactory({ profile: GCM, localKey: Buffer.from(k.masterKey), localSalt: Buffer.from(k.masterSalt), remoteKey: Buffer.from(k.masterKey), remoteSalt: Buffer.from(k.masterSalt) });
      expect((t as SrtpProtection).impl).to.equal('native');
      const p = rtp(3, { payload: 160, fill: null });
      const back = new WeriftSrtpSession({ local: k, remote: k }).unprotectRtp(t.protectRtp(p));
      expect(back?.equals(p)).to.equal(true);
    });
  });
});

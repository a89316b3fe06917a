import { expect } from 'chai';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { loadNativeSrtp, nativeSrtpLoadError } from '../../../../src/media/srtp/native-srtp-addon.js';
import { NativeSrtpSession } from '../../../../src/media/srtp/native-srtp-session.js';
import { deriveSessionKeys } from '../../../../src/media/srtp/srtp-kdf.js';
import { configureSrtpImpl, createSrtpSession, srtpImpl } from '../../../../src/media/srtp/srtp-impl.js';
import { TandemSrtpSession } from '../../../../src/media/srtp/tandem-srtp-session.js';
import { WeriftSrtpSession } from '../../../../src/media/srtp/werift-srtp-session.js';
import { generateSrtpKey, type SrtpKeyMaterial, type SrtpSuite } from '../../../../src/media/srtp/srtp-suite.js';
import type { SrtpOptions, SrtpProtection, SrtpSessionKeys } from '../../../../src/media/srtp/srtp-protection.js';
import { expectRoundTrips, nativeAddon, portable, rtcp, rtp, type PktOpts } from './srtp-packets.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3711 Appendix B.3 / libsrtp srtp_validate() master key and salt, and libsrtp's known packets.
const MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');
const RTP_PLAIN = hex('800f1234 decafbad cafebabe abababababababababababababababab');
const SRTP_80 = hex('800f1234 decafbad cafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
const RTCP_PLAIN = hex('81c8000b cafebabe abababababababababababababababab');
const SRTCP_80 = hex('81c8000b cafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');

const addon = nativeAddon;

type Make = (k: SrtpSessionKeys, o?: SrtpOptions) => SrtpProtection;
const IMPLS: Array<[string, Make]> = [
  ['tandem', (k, o) => new TandemSrtpSession(k, o)],
  ['native', (k, o) => new NativeSrtpSession(k, o)],
  ['native-portable', (k, o) => portable(() => new NativeSrtpSession(k, o))],
];

function key(suite: SrtpSuite = 'AES_CM_128_HMAC_SHA1_80'): SrtpKeyMaterial {
  return { suite, masterKey: MASTER_KEY, masterSalt: MASTER_SALT };
}


describe('media/srtp native (src/native/srtp.c)', () => {
  it('the addon exports SRTP and is the default implementation (no fallback in tests)', () => {
    expect(loadNativeSrtp(), String(nativeSrtpLoadError())).to.not.equal(null);
    expect(srtpImpl().effective).to.equal('native');
    expect(createSrtpSession({ local: key(), remote: key() }).impl).to.equal('native');
    const info = addon().srtpInfo();
    expect(['aesni', 'table']).to.include(info.aes);
    expect(['shani', 'c']).to.include(info.sha1);
  });

  it('configureSrtpImpl("node") selects TandemSrtpSession, "native" the C code', () => {
    try {
      expect(configureSrtpImpl('node')).to.deep.equal({ requested: 'node', effective: 'node', fallbackReason: null });
      expect(createSrtpSession({ local: key(), remote: key() }).impl).to.equal('tandem');
    } finally {
      expect(configureSrtpImpl('native').effective).to.equal('native');
    }
    expect(createSrtpSession({ local: key(), remote: key() }).impl).to.equal('native');
  });

  for (const accel of [true, false]) {
    const label = accel ? 'accelerated' : 'portable';
    describe(`crypto primitives (${label})`, () => {
      const a = addon();
      before(() => a.srtpSetAccel(accel));
      after(() => a.srtpSetAccel(true));

      it('RFC 3711 B.2 AES-CM keystream, and long keystreams equal AES-128-CTR', () => {
        const k = hex('2B7E151628AED2A6ABF7158809CF4F3C');
        const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
        const ks = Buffer.alloc(16 * 0xff02);
        a.srtpAesCmXor(k, iv, ks);
        expect(ks.subarray(0, 48).toString('hex')).to.equal(
          'e03ead0935c95e80e166b16dd92b4eb4' + 'd23513162b02d0f72a43a2fe4a5f97ab' + '41e95b3bb0a2e8dd477901e4fca894c0');
        expect(ks.subarray(16 * 0xfeff, 16 * 0xff02).toString('hex')).to.equal(
          'ec8cdf7398607cb0f2d21675ea9ea1e4' + '362b7c3c6773516318a077d7fc5073ae' + '6a2cc3787889374fbeb4c81b17ba6c44');
        for (const len of [0, 1, 15, 16, 17, 63, 64, 65, 160, 1000, 4099]) {
          const kk = randomBytes(16);
          const ivv = Buffer.concat([randomBytes(14), Buffer.alloc(2)]);
          const d = Buffer.alloc(len);
          a.srtpAesCmXor(kk, ivv, d);
          expect(d.equals(createCipheriv('aes-128-ctr', kk, ivv).update(Buffer.alloc(len))), `len ${len}`).to.equal(true);
        }
      });

      it('RFC 3711 B.3 key derivation (all six session keys equal srtp-kdf.ts)', () => {
        const out = Buffer.alloc(100);
        a.srtpDeriveKeys(MASTER_KEY, MASTER_SALT, out);
        expect(out.subarray(0, 16).toString('hex')).to.equal('c61e7a93744f39ee10734afe3ff7a087');
        expect(out.subarray(16, 36).toString('hex')).to.equal('cebe321f6ff7716b6fd4ab49af256a156d38baa4');
        expect(out.subarray(36, 50).toString('hex')).to.equal('30cbbc08863d8c85d49db34a9ae1');
        for (let i = 0; i < 20; i++) {
          const mk = i === 0 ? MASTER_KEY : randomBytes(16);
          const ms = i === 0 ? MASTER_SALT : randomBytes(14);
          a.srtpDeriveKeys(mk, ms, out);
          const js = deriveSessionKeys(mk, ms);
          expect(out.toString('hex')).to.equal(Buffer.concat([js.rtpKey, js.rtpAuth, js.rtpSalt, js.rtcpKey, js.rtcpAuth, js.rtcpSalt]).toString('hex'));
        }
      });

      it('HMAC-SHA1 equals RFC 2202 and createHmac for every length around block edges', () => {
        const out = Buffer.alloc(20);
        a.srtpHmacSha1(Buffer.alloc(20, 0x0b), Buffer.from('Hi There'), out);
        expect(out.toString('hex')).to.equal('b617318655057264e28bc0b6fb378c8ef146be00');
        a.srtpHmacSha1(Buffer.alloc(80, 0xaa), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'), out);
        expect(out.toString('hex')).to.equal('aa4ae5e15272d00e95705637ce8a3b55ed402112');
        for (let len = 0; len < 300; len++) {
          const k = randomBytes(len % 7 === 0 ? 64 + len : 20);
          const m = randomBytes(len);
          a.srtpHmacSha1(k, m, out);
          expect(out.equals(createHmac('sha1', k).update(m).digest()), `len ${len}`).to.equal(true);
        }
        const big = randomBytes(5000);
        a.srtpHmacSha1(Buffer.alloc(20, 1), big, out);
        expect(out.equals(createHmac('sha1', Buffer.alloc(20, 1)).update(big).digest())).to.equal(true);
      });
    });
  }
});

describe('media/srtp sessions over every implementation', () => {
  for (const [name, make] of IMPLS) {
    describe(name, () => {
      it('protects RTP and RTCP to libsrtp\'s srtp_validate ciphertexts and back', () => {
        const s = make({ local: key(), remote: key() });
        expect(s.protectRtp(Buffer.from(RTP_PLAIN)).toString('hex')).to.equal(SRTP_80.toString('hex'));
        expect(s.unprotectRtp(Buffer.from(SRTP_80))?.toString('hex')).to.equal(RTP_PLAIN.toString('hex'));
        expect(s.protectRtcp(Buffer.from(RTCP_PLAIN)).toString('hex')).to.equal(SRTCP_80.toString('hex'));
        expect(s.unprotectRtcp(Buffer.from(SRTCP_80))?.toString('hex')).to.equal(RTCP_PLAIN.toString('hex'));
        expect(s.lastError).to.equal(null);
      });

      it('AES_CM_128_HMAC_SHA1_32 truncates the RTP tag to 4 bytes, SRTCP keeps 10', () => {
        const s = make({ local: key('AES_CM_128_HMAC_SHA1_32'), remote: key('AES_CM_128_HMAC_SHA1_32') });
        expect(s.protectRtp(Buffer.from(RTP_PLAIN)).toString('hex')).to.equal(SRTP_80.subarray(0, 32).toString('hex'));
        expect(s.unprotectRtp(Buffer.from(SRTP_80.subarray(0, 32)))?.toString('hex')).to.equal(RTP_PLAIN.toString('hex'));
        expect(s.protectRtcp(Buffer.from(RTCP_PLAIN)).toString('hex')).to.equal(SRTCP_80.toString('hex'));
      });

      it('honours the length argument (protect a prefix, unprotect a prefix of a larger buffer)', () => {
        const s = make({ local: key(), remote: key() });
        const big = Buffer.concat([RTP_PLAIN, Buffer.alloc(50, 0xee)]);
        expect(s.protectRtp(big, RTP_PLAIN.length).toString('hex')).to.equal(SRTP_80.toString('hex'));
        const rx = Buffer.concat([SRTP_80, Buffer.alloc(30, 0xee)]);
        expect(s.unprotectRtp(rx, SRTP_80.length)?.toString('hex')).to.equal(RTP_PLAIN.toString('hex'));
      });

      it('accepts keys as plain Uint8Array (as they arrive after a worker postMessage)', () => {
        const s = make({
          local: { suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: new Uint8Array(MASTER_KEY), masterSalt: new Uint8Array(MASTER_SALT) },
          remote: structuredClone(key()),
        });
        expect(s.protectRtp(Buffer.from(RTP_PLAIN)).toString('hex')).to.equal(SRTP_80.toString('hex'));
        expect(s.unprotectRtp(Buffer.from(SRTP_80))?.toString('hex')).to.equal(RTP_PLAIN.toString('hex'));
      });

      it('rejects bad keys and non-RTP input to protect', () => {
        expect(() => make({ local: { ...key(), masterKey: Buffer.alloc(15) }, remote: key() })).to.throw(RangeError);
        const s = make({ local: key(), remote: key() });
        expect(() => s.protectRtp(Buffer.alloc(5))).to.throw(RangeError);
        expect(() => s.protectRtp(Buffer.from('000000000000000000000000', 'hex'))).to.throw(RangeError);
        expect(() => s.protectRtcp(Buffer.alloc(7))).to.throw(RangeError);
      });

      it('tampered packets fail authentication; short, malformed and too-old ones get their reason', () => {
        const k = generateSrtpKey();
        const tx = make({ local: k, remote: k });
        const rx = make({ local: k, remote: k });
        const enc = tx.protectRtp(rtp(1));
        for (const pos of [1, 3, 8, 12, enc.length - 1]) {
          const t = Buffer.from(enc);
          t[pos] ^= 1;
          expect(rx.unprotectRtp(t), `bit at ${pos}`).to.equal(null);
          expect(rx.lastError).to.equal('auth');
        }
        expect(rx.unprotectRtp(Buffer.from(enc))).to.not.equal(null);
        expect(rx.lastError).to.equal(null);
        const rc = tx.protectRtcp(rtcp(5));
        rc[9] ^= 0x80;
        expect(rx.unprotectRtcp(rc)).to.equal(null);
        expect(rx.lastError).to.equal('auth');
        expect(rx.unprotectRtp(Buffer.alloc(5))).to.equal(null);
        expect(rx.lastError).to.equal('short');
        expect(rx.unprotectRtp(Buffer.alloc(0))).to.equal(null);
        expect(rx.lastError).to.equal('short');
        const v1 = Buffer.from(enc); v1[0] = 0x40; // version 1
        expect(rx.unprotectRtp(v1)).to.equal(null);
        expect(rx.lastError).to.equal('malformed');
        const cc = Buffer.from(enc); cc[0] |= 0x0f; // 15 CSRCs: header beyond the packet
        expect(rx.unprotectRtp(cc)).to.equal(null);
        expect(rx.lastError).to.equal('malformed');
        expect(rx.unprotectRtcp(Buffer.alloc(21))).to.equal(null);
        expect(rx.lastError).to.equal('short');
        expect(rx.unprotectRtcp(Buffer.alloc(22))).to.equal(null);
        expect(rx.lastError).to.equal('malformed');
      });

      it('replayed and too-old packets are dropped; reordered ones inside the window pass', () => {
        const k = generateSrtpKey();
        const tx = make({ local: k, remote: k });
        const rx = make({ local: k, remote: k }, { replayWindow: 64 });
        const encs = Array.from({ length: 200 }, (_, i) => tx.protectRtp(rtp(i)));
        expect(rx.unprotectRtp(Buffer.from(encs[10]))).to.not.equal(null);
        expect(rx.unprotectRtp(Buffer.from(encs[10]))).to.equal(null);
        expect(rx.lastError).to.equal('replay');
        expect(rx.unprotectRtp(Buffer.from(encs[150]))).to.not.equal(null);
        expect(rx.unprotectRtp(Buffer.from(encs[140]))).to.not.equal(null);
        expect(rx.unprotectRtp(Buffer.from(encs[140]))).to.equal(null);
        expect(rx.lastError).to.equal('replay');
        expect(rx.unprotectRtp(Buffer.from(encs[87]))).to.not.equal(null); // 63 behind: inside
        expect(rx.unprotectRtp(Buffer.from(encs[86]))).to.equal(null); // 64 behind: outside the 64 window
        expect(rx.lastError).to.equal('replay');
        const r1 = tx.protectRtcp(rtcp(5));
        const r2 = tx.protectRtcp(rtcp(5));
        expect(r1.readUInt32BE(r1.length - 14)).to.equal(0x80000001);
        expect(rx.unprotectRtcp(Buffer.from(r2))).to.not.equal(null);
        expect(rx.unprotectRtcp(Buffer.from(r1))).to.not.equal(null);
        expect(rx.unprotectRtcp(Buffer.from(r1))).to.equal(null);
        expect(rx.lastError).to.equal('replay');
      });

      it('a packet failing authentication commits no state (a forged far-ahead index does not move the window)', () => {
        const k = generateSrtpKey();
        const tx = make({ local: k, remote: k });
        const rx = make({ local: k, remote: k });
        const good = tx.protectRtp(rtp(100));
        const forged = Buffer.from(tx.protectRtp(rtp(30000)));
        forged[forged.length - 1] ^= 1;
        expect(rx.unprotectRtp(forged)).to.equal(null);
        expect(rx.lastError).to.equal('auth');
        expect(rx.unprotectRtp(Buffer.from(good))).to.not.equal(null);
      });

      it('tracks the ROC across sequence wraps with reordering around them', () => {
        const k = generateSrtpKey();
        const tx = make({ local: k, remote: k });
        const rx = make({ local: k, remote: k });
        const seqs = [65533, 65534, 65535, 0, 1, 2, 3];
        const sent = seqs.map((s) => tx.protectRtp(rtp(s)));
        for (const i of [0, 1, 3, 2, 4, 5, 6]) {
          const out = rx.unprotectRtp(Buffer.from(sent[i]));
          expect(out, `packet ${i}`).to.not.equal(null);
          expect(out?.subarray(12).every((b) => b === 0x55)).to.equal(true);
        }
        // Two more wraps, 300 packets apart.
        let seq = 4;
        for (let n = 0; n < 2 * 65536; n += 300) {
          seq = (seq + 300) & 0xffff;
          const out = rx.unprotectRtp(tx.protectRtp(rtp(seq, { payload: 4 })));
          expect(out, `seq ${seq}`).to.not.equal(null);
        }
      });
    });
  }
});

describe('media/srtp native interop and equivalence', () => {
  const suites: SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
  const shapes: PktOpts[] = [
    { payload: 160, fill: null }, { payload: 0 }, { payload: 1, csrc: 2 }, { payload: 33, ext: 3, fill: null },
    { payload: 200, csrc: 15, ext: 0, marker: true, fill: null }, { payload: 1200, fill: null },
  ];

  for (const suite of suites) {
    for (const [peerName, makePeer] of [
      ['tandem', (k: SrtpSessionKeys) => new TandemSrtpSession(k)],
      ['werift', (k: SrtpSessionKeys) => new WeriftSrtpSession(k)],
      ['native-portable', (k: SrtpSessionKeys) => portable(() => new NativeSrtpSession(k))],
    ] as Array<[string, Make]>) {
      if (peerName === 'werift' && suite !== 'AES_CM_128_HMAC_SHA1_80') continue;
      it(`${suite}: native ⇄ ${peerName}, RTP over a sequence wrap and RTCP, both ways`, () => {
        const a = generateSrtpKey(suite);
        const b = generateSrtpKey(suite);
        const ours = new NativeSrtpSession({ local: a, remote: b });
        const theirs = makePeer({ local: b, remote: a });
        expectRoundTrips(ours, theirs, peerName, shapes, { firstSeq: 65200, count: 600, noExtensions: peerName === 'werift' });
      });
    }
  }

  it('native and tandem produce identical SRTP/SRTCP for the same input, over 100 SSRCs (state eviction)', () => {
    for (const suite of suites) {
      const k = generateSrtpKey(suite);
      const t = new TandemSrtpSession({ local: k, remote: k });
      const n = new NativeSrtpSession({ local: k, remote: k });
      let seq = 1;
      for (let i = 0; i < 3000; i++) {
        // Mostly forward, with jumps back and forward (sender ROC logic), over 100 SSRCs.
        seq = (seq + (i % 97 === 0 ? 40000 : i % 13 === 0 ? 65000 : 7)) & 0xffff;
        const p = rtp(seq, { ...shapes[i % shapes.length], ssrc: (i * 7919) % 100 });
        expect(n.protectRtp(p).equals(t.protectRtp(p)), `rtp ${i}`).to.equal(true);
        if (i % 10 === 0) {
          const r = rtcp((i * 31) % 100, 4 * (i % 5));
          expect(n.protectRtcp(r).equals(t.protectRtcp(r)), `rtcp ${i}`).to.equal(true);
        }
      }
    }
  });

  it('native and tandem give the same result for every received packet: reordered, replayed, mutated, garbage, 100 SSRCs', () => {
    for (const suite of suites) {
      const k = generateSrtpKey(suite);
      const tx = new TandemSrtpSession({ local: k, remote: k });
      const rxT = new TandemSrtpSession({ local: k, remote: k }, { replayWindow: 100 });
      const rxN = new NativeSrtpSession({ local: k, remote: k }, { replayWindow: 100 });
      const sent: Buffer[] = [];
      const reasons = new Map<string, number>();
      let seq = 65000;
      for (let i = 0; i < 6000; i++) {
        const r = (i * 2654435761) >>> 0;
        let pkt: Buffer;
        let isRtcp = false;
        switch (r % 10) {
          case 0: pkt = sent.length ? Buffer.from(sent[(r >>> 8) % sent.length]) : randomBytes(40); break; // replay/reorder
          case 1: { // bit flip
            pkt = Buffer.from(sent.length ? sent[sent.length - 1] : randomBytes(40));
            pkt[(r >>> 8) % pkt.length] ^= 1 << ((r >>> 4) & 7);
            break;
          }
          case 2: pkt = randomBytes((r >>> 8) % 80); pkt[0] = (pkt[0] & 0x3f) | 0x80; break; // RTP-looking garbage
          case 3: pkt = randomBytes((r >>> 8) % 60); break;
          case 4: { isRtcp = true; pkt = tx.protectRtcp(rtcp((r >>> 8) % 100, 4 * (r % 4))); if (r & 0x10000) sent.push(pkt); break; }
          case 5: { isRtcp = true; pkt = sent.length ? Buffer.from(sent[(r >>> 8) % sent.length]) : randomBytes(30); break; }
          default: {
            seq = (seq + 1 + ((r >>> 8) % 3 === 0 ? 200 : 0)) & 0xffff;
            pkt = tx.protectRtp(rtp(seq, { ...shapes[i % shapes.length], ssrc: (r >>> 12) % 100 }));
            sent.push(pkt);
            if (sent.length > 400) sent.shift();
          }
        }
        const a = Buffer.from(pkt);
        const b = Buffer.from(pkt);
        const ra = isRtcp ? rxT.unprotectRtcp(a) : rxT.unprotectRtp(a);
        const rb = isRtcp ? rxN.unprotectRtcp(b) : rxN.unprotectRtp(b);
        expect(rb === null, `null at ${i}`).to.equal(ra === null);
        expect(rxN.lastError, `reason at ${i}`).to.equal(rxT.lastError);
        if (ra && rb) expect(rb.equals(ra), `plain at ${i}`).to.equal(true);
        const key = `${isRtcp ? 'rtcp' : 'rtp'}:${rxT.lastError ?? 'ok'}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
      // The mix exercised every outcome.
      for (const kk of ['rtp:ok', 'rtp:auth', 'rtp:replay', 'rtp:short', 'rtp:malformed', 'rtcp:ok', 'rtcp:auth', 'rtcp:replay']) {
        expect(reasons.get(kk) ?? 0, `${suite} ${kk}`).to.be.greaterThan(0);
      }
    }
  });

  it('random and mutated input never throws from unprotect and always carries a reason', () => {
    const k = generateSrtpKey();
    const rx = new NativeSrtpSession({ local: k, remote: k });
    const tx = new NativeSrtpSession({ local: k, remote: k });
    const good = tx.protectRtp(rtp(7, { payload: 100, csrc: 1, ext: 2 }));
    for (let i = 0; i < 20000; i++) {
      let p: Buffer;
      if (i % 2 === 0) p = randomBytes(i % 300);
      else {
        p = Buffer.from(good.subarray(0, (i * 13) % (good.length + 1)));
        for (let j = 0; j < 1 + (i % 4); j++) if (p.length) p[(i * 31 + j * 17) % p.length] ^= 1 + (i % 255);
      }
      if (i % 3 === 0 && p.length) p[0] = (p[0] & 0x3f) | 0x80;
      const r = i % 5 === 0 ? rx.unprotectRtcp(p) : rx.unprotectRtp(p);
      if (r === null) expect(['short', 'auth', 'replay', 'malformed']).to.include(rx.lastError);
    }
  });

  it('the addon bounds-checks offsets: protect throws RangeError, unprotect reports malformed; freed contexts throw', () => {
    const a = addon();
    const ctx = a.srtpCreate(MASTER_KEY, MASTER_SALT, 10, 128);
    const buf = Buffer.alloc(40);
    RTP_PLAIN.copy(buf, 2);
    expect(() => a.srtpProtectRtp(ctx, buf, 4, 28)).to.throw(RangeError); // needs 10 bytes of room, has 8
    expect(() => a.srtpProtectRtp(ctx, buf, 30, 28)).to.throw(RangeError);
    expect(() => a.srtpProtectRtcp(ctx, buf, 0, 30)).to.throw(RangeError);
    expect(a.srtpProtectRtp(ctx, buf, 2, 28)).to.equal(38);
    expect(a.srtpUnprotectRtp(ctx, buf, 0, 41)).to.equal(-4);
    expect(a.srtpUnprotectRtp(ctx, buf, -1, 10)).to.equal(-4);
    expect(a.srtpUnprotectRtcp(ctx, buf, 39, 2)).to.equal(-4);
    expect(() => a.srtpCreate(MASTER_KEY, MASTER_SALT, 8, 128)).to.throw(RangeError);
    expect(() => a.srtpCreate(MASTER_KEY, MASTER_SALT, 10, 2000)).to.throw(RangeError);
    expect(() => a.srtpUnprotectRtp({} as never, buf, 0, 10)).to.throw(TypeError);
    expect(() => a.srtpUnprotectRtp(ctx, buf, 'x' as unknown as number, 10)).to.throw(TypeError);
    expect(() => a.srtpProtectRtp(ctx, new Uint16Array(20) as unknown as Uint8Array, 0, 10)).to.throw(TypeError);
    const s = new NativeSrtpSession({ local: key(), remote: key() });
    s.close();
    s.close();
    expect(() => s.protectRtp(Buffer.from(RTP_PLAIN))).to.throw(/freed/);
  });
});

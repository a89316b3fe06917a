import { expect } from 'chai';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { deriveSessionKey, deriveSessionKeys } from '../../../../src/media/srtp/srtp-kdf.js';
import { AesCtrKeystream } from '../../../../src/media/srtp/aes-ctr-keystream.js';
import { HmacSha1 } from '../../../../src/media/srtp/hmac-sha1.js';
import { TandemSrtpSession } from '../../../../src/media/srtp/tandem-srtp-session.js';
import { WeriftSrtpSession } from '../../../../src/media/srtp/werift-srtp-session.js';
import { decodeSdesKey, encodeSdesKey, generateSrtpKey, type SrtpKeyMaterial, type SrtpSuite } from '../../../../src/media/srtp/srtp-suite.js';
import type { SrtpProtection } from '../../../../src/media/srtp/srtp-protection.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3711 Appendix B.3 / libsrtp srtp_validate() master key and salt.
const MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');
const RTP_PLAIN = hex('800f1234 decafbad cafebabe abababababababababababababababab');
const SRTP_80 = hex('800f1234 decafbad cafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
const RTCP_PLAIN = hex('81c8000b cafebabe abababababababababababababababab');
const SRTCP_80 = hex('81c8000b cafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');

function key(suite: SrtpSuite = 'AES_CM_128_HMAC_SHA1_80'): SrtpKeyMaterial {
  return { suite, masterKey: MASTER_KEY, masterSalt: MASTER_SALT };
}

describe('media/srtp RFC 3711 test vectors', () => {
  it('B.3 key derivation', () => {
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, 0, 16).toString('hex')).to.equal('c61e7a93744f39ee10734afe3ff7a087');
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, 2, 14).toString('hex')).to.equal('30cbbc08863d8c85d49db34a9ae1');
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, 1, 20).toString('hex')).to.equal('cebe321f6ff7716b6fd4ab49af256a156d38baa4');
    const all = deriveSessionKeys(MASTER_KEY, MASTER_SALT);
    expect(all.rtpKey.toString('hex')).to.equal('c61e7a93744f39ee10734afe3ff7a087');
  });

  it('B.2 AES-CM keystream', () => {
    const ks = new AesCtrKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'));
    const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
    const data = Buffer.alloc(16 * 3);
    ks.xor(iv, data, 0, data.length);
    expect(data.toString('hex')).to.equal(
      'e03ead0935c95e80e166b16dd92b4eb4' + 'd23513162b02d0f72a43a2fe4a5f97ab' + '41e95b3bb0a2e8dd477901e4fca894c0');
    // Cross-check a long keystream against node's own AES-128-CTR.
    const long = Buffer.alloc(16 * 300 + 5);
    ks.xor(iv, long, 0, long.length);
    const ref = createCipheriv('aes-128-ctr', hex('2B7E151628AED2A6ABF7158809CF4F3C'), iv).update(Buffer.alloc(long.length));
    // Our counter only runs over the low 16 bits (SRTP never needs more), as does node's for < 65536 blocks.
    expect(long.equals(ref)).to.equal(true);
  });

  it('HMAC-SHA1 with precomputed pads equals createHmac', () => {
    for (const len of [0, 1, 63, 64, 65, 172, 1400, 3000]) {
      const k = randomBytes(20);
      const m = randomBytes(len);
      const tail = randomBytes(4);
      const h = new HmacSha1(k);
      expect(h.mac(m, 0, len, tail).equals(createHmac('sha1', k).update(m).update(tail).digest())).to.equal(true);
    }
  });
});

function impls(): Array<[string, (k: { local: SrtpKeyMaterial; remote: SrtpKeyMaterial }) => SrtpProtection]> {
  return [
    ['tandem', (k) => new TandemSrtpSession(k)],
    ['werift', (k) => new WeriftSrtpSession(k)],
  ];
}

describe('media/srtp sessions (libsrtp known packets)', () => {
  for (const [name, make] of impls()) {
    it(`${name}: protects RTP and RTCP to libsrtp's srtp_validate ciphertexts and back`, () => {
      const s = make({ local: key(), remote: key() });
      expect(s.protectRtp(Buffer.from(RTP_PLAIN)).toString('hex')).to.equal(SRTP_80.toString('hex'));
      const plain = s.unprotectRtp(Buffer.from(SRTP_80));
      expect(plain?.toString('hex')).to.equal(RTP_PLAIN.toString('hex'));
      expect(s.protectRtcp(Buffer.from(RTCP_PLAIN)).toString('hex')).to.equal(SRTCP_80.toString('hex'));
      expect(s.unprotectRtcp(Buffer.from(SRTCP_80))?.toString('hex')).to.equal(RTCP_PLAIN.toString('hex'));
    });
  }

  it('tandem: AES_CM_128_HMAC_SHA1_32 truncates the RTP tag to 4 bytes, SRTCP keeps 10', () => {
    const s = new TandemSrtpSession({ local: key('AES_CM_128_HMAC_SHA1_32'), remote: key('AES_CM_128_HMAC_SHA1_32') });
    expect(s.protectRtp(Buffer.from(RTP_PLAIN)).toString('hex')).to.equal(SRTP_80.subarray(0, 32).toString('hex'));
    expect(s.unprotectRtp(Buffer.from(SRTP_80.subarray(0, 32)))?.toString('hex')).to.equal(RTP_PLAIN.toString('hex'));
    expect(s.protectRtcp(Buffer.from(RTCP_PLAIN)).toString('hex')).to.equal(SRTCP_80.toString('hex'));
  });

  it('interoperates with werift both ways over many packets and a sequence wrap', () => {
    const a = generateSrtpKey();
    const b = generateSrtpKey();
    const ours = new TandemSrtpSession({ local: a, remote: b });
    const theirs = new WeriftSrtpSession({ local: b, remote: a });
    for (let i = 0; i < 400; i++) {
      const seq = (65400 + i) & 0xffff;
      const p = Buffer.alloc(12 + 160);
      p[0] = 0x80; p.writeUInt16BE(seq, 2); p.writeUInt32BE(i * 160, 4); p.writeUInt32BE(0x1234, 8);
      randomBytes(160).copy(p, 12);
      const enc = ours.protectRtp(p);
      expect(theirs.unprotectRtp(Buffer.from(enc))?.equals(p), `ours->werift ${i}`).to.equal(true);
      const back = theirs.protectRtp(p);
      expect(ours.unprotectRtp(Buffer.from(back))?.equals(p), `werift->ours ${i}`).to.equal(true);
    }
  });
});

describe('media/srtp drops', () => {
  function pkt(seq: number, ssrc = 5): Buffer {
    const p = Buffer.alloc(12 + 20, 0x55);
    p[0] = 0x80; p[1] = 0; p.writeUInt16BE(seq, 2); p.writeUInt32BE(seq * 160, 4); p.writeUInt32BE(ssrc, 8);
    return p;
  }

  it('tampered packets fail authentication and are reported', () => {
    const k = generateSrtpKey();
    const tx = new TandemSrtpSession({ local: k, remote: k });
    const rx = new TandemSrtpSession({ local: k, remote: k });
    const enc = tx.protectRtp(pkt(1));
    for (const pos of [1, 12, enc.length - 1]) {
      const t = Buffer.from(enc);
      t[pos] ^= 1;
      expect(rx.unprotectRtp(t)).to.equal(null);
      expect(rx.lastError).to.equal('auth');
    }
    expect(rx.unprotectRtp(Buffer.from(enc))).to.not.equal(null);
    const rtcp = tx.protectRtcp(Buffer.from(RTCP_PLAIN));
    rtcp[9] ^= 0x80;
    expect(rx.unprotectRtcp(rtcp)).to.equal(null);
    expect(rx.lastError).to.equal('auth');
    expect(rx.unprotectRtp(Buffer.alloc(5))).to.equal(null);
    expect(rx.lastError).to.equal('short');
  });

  it('replayed and too-old packets are dropped; reordered ones inside the window pass', () => {
    const k = generateSrtpKey();
    const tx = new TandemSrtpSession({ local: k, remote: k });
    const rx = new TandemSrtpSession({ local: k, remote: k }, { replayWindow: 64 });
    const encs = Array.from({ length: 200 }, (_, i) => tx.protectRtp(pkt(i)));
    expect(rx.unprotectRtp(Buffer.from(encs[10]))).to.not.equal(null);
    expect(rx.unprotectRtp(Buffer.from(encs[10]))).to.equal(null);
    expect(rx.lastError).to.equal('replay');
    expect(rx.unprotectRtp(Buffer.from(encs[150]))).to.not.equal(null);
    expect(rx.unprotectRtp(Buffer.from(encs[140]))).to.not.equal(null); // reordered, in window
    expect(rx.unprotectRtp(Buffer.from(encs[50]))).to.equal(null); // 100 behind: outside the 64 window
    expect(rx.lastError).to.equal('replay');
    const r1 = tx.protectRtcp(Buffer.from(RTCP_PLAIN));
    expect(rx.unprotectRtcp(Buffer.from(r1))).to.not.equal(null);
    expect(rx.unprotectRtcp(Buffer.from(r1))).to.equal(null);
    expect(rx.lastError).to.equal('replay');
  });

  it('tracks the ROC across a sequence wrap with reordering around it', () => {
    const k = generateSrtpKey();
    const tx = new TandemSrtpSession({ local: k, remote: k });
    const rx = new TandemSrtpSession({ local: k, remote: k });
    // Sent in order; the packet with seq 0 (ROC 1) arrives before 65535 (ROC 0).
    const sent = [65533, 65534, 65535, 0, 1, 2, 3].map((s) => tx.protectRtp(pkt(s)));
    for (const i of [0, 1, 3, 2, 4, 5, 6]) {
      const out = rx.unprotectRtp(Buffer.from(sent[i]));
      expect(out, `packet ${i}`).to.not.equal(null);
      expect(out?.subarray(12).every((b) => b === 0x55)).to.equal(true);
    }
  });

  it('accepts keys as plain Uint8Array (as they arrive after a worker postMessage)', () => {
    const s = new TandemSrtpSession({
      local: { suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: new Uint8Array(MASTER_KEY), masterSalt: new Uint8Array(MASTER_SALT) },
      remote: structuredClone(key()),
    });
    expect(s.protectRtp(Buffer.from(RTP_PLAIN)).toString('hex')).to.equal(SRTP_80.toString('hex'));
    expect(s.unprotectRtp(Buffer.from(SRTP_80))?.toString('hex')).to.equal(RTP_PLAIN.toString('hex'));
  });

  it('SDES inline keys round-trip and bad keys are typed errors', () => {
    const k = generateSrtpKey('AES_CM_128_HMAC_SHA1_32');
    const b64 = encodeSdesKey(k);
    expect(b64).to.have.length(40);
    const d = decodeSdesKey('AES_CM_128_HMAC_SHA1_32', b64);
    expect(Buffer.from(d.masterKey).equals(Buffer.from(k.masterKey)) && Buffer.from(d.masterSalt).equals(Buffer.from(k.masterSalt))).to.equal(true);
    expect(() => decodeSdesKey('AES_CM_128_HMAC_SHA1_80', 'abc')).to.throw().with.property('code', 'ERR_SRTP_BAD_KEY');
    expect(() => decodeSdesKey('AES_CM_128_HMAC_SHA1_80', '!!!!')).to.throw().with.property('code', 'ERR_SRTP_BAD_KEY');
  });
});

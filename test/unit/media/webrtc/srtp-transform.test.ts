import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { WeriftSrtpTransform, defaultSrtpFactory, type SrtpKeys } from '../../../../src/media/webrtc/srtp-transform.js';

function rtp(seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80; h[1] = 111; h.writeUInt16BE(seq, 2); h.writeUInt32BE(seq * 960, 4); h.writeUInt32BE(0x12345678, 8);
  return Buffer.concat([h, payload]);
}

function pair(profile: SrtpKeys['profile']): [SrtpKeys, SrtpKeys] {
  const kl = profile === 'AEAD_AES_128_GCM' ? 12 : 14;
  const a = { key: randomBytes(16), salt: randomBytes(kl) };
  const b = { key: randomBytes(16), salt: randomBytes(kl) };
  return [
    { profile, localKey: a.key, localSalt: a.salt, remoteKey: b.key, remoteSalt: b.salt },
    { profile, localKey: b.key, localSalt: b.salt, remoteKey: a.key, remoteSalt: a.salt },
  ];
}

describe('SRTP transforms for DTLS-SRTP keys (RFC 3711, RFC 7714)', () => {
  it('AES_CM_128_HMAC_SHA1_80: Tandem SRTP and werift interoperate both ways', () => {
    const [ka, kb] = pair('AES_CM_128_HMAC_SHA1_80');
    const tandem = defaultSrtpFactory(ka);
    const werift = new WeriftSrtpTransform(kb);
    for (let seq = 65530; seq < 65540; seq++) {
      const p = rtp(seq & 0xffff, randomBytes(80));
      const enc = tandem.protectRtp(p);
      expect(enc.length).to.equal(p.length + 10);
      expect(werift.unprotectRtp(enc)?.equals(p)).to.equal(true);
      const back = werift.protectRtp(p);
      expect(tandem.unprotectRtp(back)?.equals(p)).to.equal(true);
    }
  });

  it('AEAD_AES_128_GCM round-trips and rejects a tampered packet', () => {
    const [ka, kb] = pair('AEAD_AES_128_GCM');
    const a = defaultSrtpFactory(ka);
    const b = defaultSrtpFactory(kb);
    const p = rtp(1, randomBytes(60));
    const enc = a.protectRtp(p);
    expect(enc.length).to.equal(p.length + 16);
    expect(b.unprotectRtp(Buffer.from(enc))?.equals(p)).to.equal(true);
    const bad = Buffer.from(a.protectRtp(rtp(2, randomBytes(60))));
    bad[20] ^= 1;
    expect(b.unprotectRtp(bad)).to.equal(null);
  });
});

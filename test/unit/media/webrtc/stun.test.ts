import { expect } from 'chai';
import {
  ATTR_PRIORITY, ATTR_USERNAME, ATTR_XOR_MAPPED_ADDRESS, STUN_BINDING_REQUEST, decodeStun, decodeXorMappedAddress,
  encodeStun, isStun, newTransactionId, u32, verifyIntegrity, xorMappedAddress,
} from '../../../../src/media/webrtc/stun.js';

describe('STUN codec (RFC 8489)', () => {
  const tx = Buffer.from('0102030405060708090a0b0c', 'hex');

  it('round-trips a Binding request with MESSAGE-INTEGRITY and FINGERPRINT', () => {
    const buf = encodeStun(STUN_BINDING_REQUEST, tx, [
      { type: ATTR_USERNAME, value: Buffer.from('abc:xyz') },
      { type: ATTR_PRIORITY, value: u32(0x6e7fffff) },
    ], 'secretpassword');
    expect(isStun(buf)).to.equal(true);
    expect(buf.length % 4).to.equal(0);
    const msg = decodeStun(buf);
    expect(msg).to.not.equal(null);
    expect(msg?.type).to.equal(STUN_BINDING_REQUEST);
    expect(msg?.transactionId.equals(tx)).to.equal(true);
    expect(msg?.attributes.get(ATTR_USERNAME)?.toString()).to.equal('abc:xyz');
    expect(msg?.attributes.get(ATTR_PRIORITY)?.readUInt32BE(0)).to.equal(0x6e7fffff);
    expect(verifyIntegrity(msg!, 'secretpassword')).to.equal(true);
    expect(verifyIntegrity(msg!, 'wrong')).to.equal(false);
  });

  it('rejects a corrupted message (FINGERPRINT mismatch) and malformed lengths', () => {
    const buf = encodeStun(STUN_BINDING_REQUEST, tx, [{ type: ATTR_USERNAME, value: Buffer.from('a:b') }], 'pw');
    const bad = Buffer.from(buf);
    bad[25] ^= 0xff;
    expect(decodeStun(bad)).to.equal(null);
    const short = Buffer.from(buf.subarray(0, buf.length - 4));
    expect(decodeStun(short)).to.equal(null);
    expect(decodeStun(Buffer.alloc(10))).to.equal(null);
    expect(isStun(Buffer.from([0x80, 0, 0, 0]))).to.equal(false);
  });

  it('XOR-MAPPED-ADDRESS encodes and decodes IPv4 (RFC 8489 §14.2)', () => {
    const v = xorMappedAddress('192.0.2.33', 32853, tx);
    expect(v.length).to.equal(8);
    expect(decodeXorMappedAddress(v)).to.deep.equal({ address: '192.0.2.33', port: 32853 });
    const v6 = xorMappedAddress('2001:db8::1', 5000, newTransactionId());
    expect(v6.length).to.equal(20);
    expect(v6[1]).to.equal(2);
  });

  it('a response carrying XOR-MAPPED-ADDRESS keeps integrity', () => {
    const buf = encodeStun(0x0101, tx, [{ type: ATTR_XOR_MAPPED_ADDRESS, value: xorMappedAddress('127.0.0.1', 5000, tx) }], 'pw');
    const msg = decodeStun(buf)!;
    expect(verifyIntegrity(msg, 'pw')).to.equal(true);
    expect(decodeXorMappedAddress(msg.attributes.get(ATTR_XOR_MAPPED_ADDRESS)!)).to.deep.equal({ address: '127.0.0.1', port: 5000 });
  });
});

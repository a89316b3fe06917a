import { expect } from 'chai';
import { RtpView } from '../../../../src/media/rtp/rtp-view.js';
import { writeRtpHeader, writeRtpPacket } from '../../../../src/media/rtp/rtp-writer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('media/rtp RtpView', () => {
  it('reads a plain PCMU packet (fixture bytes)', () => {
    // V=2, M=1, PT=0, seq=0x1234, ts=0xdecafbad, ssrc=0xcafebabe, 4 payload bytes.
    const pkt = hex('80 80 1234 decafbad cafebabe ff fe 7f 00');
    const v = new RtpView();
    expect(v.wrap(pkt)).to.equal(true);
    expect(v.version).to.equal(2);
    expect(v.marker).to.equal(true);
    expect(v.payloadType).to.equal(0);
    expect(v.sequence).to.equal(0x1234);
    expect(v.timestamp).to.equal(0xdecafbad);
    expect(v.ssrc).to.equal(0xcafebabe);
    expect(v.payloadOffset).to.equal(12);
    expect(v.payloadLength).to.equal(4);
    expect([...v.payload()]).to.deep.equal([0xff, 0xfe, 0x7f, 0x00]);
  });

  it('skips CSRCs and a one-byte-header extension (RFC 8285) and strips padding', () => {
    // CC=2, X=1, P=1; ext profile 0xBEDE length 1 word; payload 3 bytes; padding 3 bytes (last byte 3).
    const pkt = hex('b2 08 0001 00000010 11111111 22222222 33333333 bede0001 10ab0000 010203 000003');
    const v = new RtpView();
    expect(v.wrap(pkt)).to.equal(true);
    expect(v.csrcCount).to.equal(2);
    expect(v.csrc(1)).to.equal(0x33333333);
    expect(v.extension).to.equal(true);
    expect(v.extensionOffset).to.equal(20);
    expect(v.payloadOffset).to.equal(28);
    expect(v.payloadLength).to.equal(3);
    expect([...v.payload()]).to.deep.equal([1, 2, 3]);
  });

  it('rewrites SSRC, sequence, timestamp, PT and marker in place', () => {
    const pkt = hex('80 00 ffff ffffffff 00000001 aa');
    const v = new RtpView();
    expect(v.wrap(pkt)).to.equal(true);
    v.ssrc = 0x12345678;
    v.sequence = 0x10000 + 5; // masked to 16 bits
    v.timestamp = 2 ** 32 + 7; // wraps
    v.payloadType = 8;
    v.marker = true;
    expect(pkt.toString('hex')).to.equal('8088' + '0005' + '00000007' + '12345678' + 'aa');
  });

  it('rejects malformed packets with a reason and never throws', () => {
    const v = new RtpView();
    const cases: Array<[string, string]> = [
      ['80 00 0001', 'short'],
      ['40 00 0001 00000000 00000000', 'version'],
      ['8f 00 0001 00000000 00000000 00000000', 'csrc'],
      ['90 00 0001 00000000 00000000 bede', 'extension'],
      ['90 00 0001 00000000 00000000 bede0005 00000000', 'extension'],
      ['a0 00 0001 00000000 00000000 01 00', 'padding'],
      ['a0 00 0001 00000000 00000000 01 09', 'padding'],
    ];
    for (const [h, reason] of cases) {
      expect(v.wrap(hex(h)), h).to.equal(false);
      expect(v.lastError, h).to.equal(reason);
    }
  });

  it('writer round-trips through the view', () => {
    const out = Buffer.alloc(200);
    const payload = Buffer.from([9, 8, 7, 6, 5]);
    const pkt = writeRtpPacket(out, 111, 65535, 0xfffffff0, 0xdeadbeef, true, payload);
    const v = new RtpView();
    expect(v.wrap(pkt)).to.equal(true);
    expect([v.payloadType, v.sequence, v.timestamp, v.ssrc, v.marker]).to.deep.equal([111, 65535, 0xfffffff0, 0xdeadbeef, true]);
    expect(Buffer.compare(v.payload(), payload)).to.equal(0);
    const h = Buffer.alloc(12);
    expect(writeRtpHeader(h, 0, { payloadType: 0, sequence: 1, timestamp: 160, ssrc: 1 })).to.equal(12);
    expect(h.toString('hex')).to.equal('80000001000000a000000001');
  });

  it('survives random bytes (no throw, consistent bounds)', () => {
    const v = new RtpView();
    for (let i = 0; i < 20000; i++) {
      const b = Buffer.alloc(Math.floor(Math.random() * 60));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(Math.random() * 256);
      if (b.length > 0 && Math.random() < 0.7) b[0] = 0x80 | (b[0] & 0x3f);
      if (v.wrap(b)) {
        expect(v.payloadOffset + v.payloadLength).to.be.at.most(b.length);
      }
    }
  });
});

import { expect } from 'chai';
import dgram from 'node:dgram';
import { classifyPacket, PacketKind } from '../../../../src/media/net/demux.js';
import { PortPool, PortPoolExhaustedError } from '../../../../src/media/net/port-pool.js';
import { UdpEndpoint } from '../../../../src/media/net/udp-endpoint.js';

describe('media/net demux (RFC 7983, RFC 5761)', () => {
  const b = (first: number, second = 0, len = 32): Buffer => { const x = Buffer.alloc(len); x[0] = first; x[1] = second; return x; };
  it('classifies by first byte and RTCP by PT 192–223', () => {
    expect(classifyPacket(b(0x00))).to.equal(PacketKind.Stun);
    expect(classifyPacket(b(0x01))).to.equal(PacketKind.Stun);
    expect(classifyPacket(b(3))).to.equal(PacketKind.Stun);
    expect(classifyPacket(b(4))).to.equal(PacketKind.Unknown);
    expect(classifyPacket(b(16))).to.equal(PacketKind.Unknown); // ZRTP
    expect(classifyPacket(b(20))).to.equal(PacketKind.Dtls);
    expect(classifyPacket(b(22))).to.equal(PacketKind.Dtls);
    expect(classifyPacket(b(63))).to.equal(PacketKind.Dtls);
    expect(classifyPacket(b(64))).to.equal(PacketKind.Unknown); // TURN channel
    expect(classifyPacket(b(0x80, 0))).to.equal(PacketKind.Rtp);
    expect(classifyPacket(b(0x80, 0x80 | 111))).to.equal(PacketKind.Rtp);
    expect(classifyPacket(b(0x80, 191))).to.equal(PacketKind.Rtp);
    expect(classifyPacket(b(0x81, 200))).to.equal(PacketKind.Rtcp);
    expect(classifyPacket(b(0x80, 223))).to.equal(PacketKind.Rtcp);
    expect(classifyPacket(b(0x80, 224))).to.equal(PacketKind.Rtp);
    expect(classifyPacket(b(0xbf, 201))).to.equal(PacketKind.Rtcp);
    expect(classifyPacket(b(0xc0, 0))).to.equal(PacketKind.Unknown);
    expect(classifyPacket(Buffer.alloc(0))).to.equal(PacketKind.Unknown);
    expect(classifyPacket(b(0x80, 0, 8))).to.equal(PacketKind.Unknown); // too short for RTP
  });
});

describe('media/net PortPool', () => {
  it('hands out even/odd pairs round-robin and throws a typed error when exhausted', () => {
    const pool = new PortPool({ min: 40001, max: 40007 });
    expect(pool.capacity).to.equal(3);
    const a = pool.acquire();
    const b2 = pool.acquire();
    const c = pool.acquire();
    expect([a, b2, c]).to.deep.equal([{ rtp: 40002, rtcp: 40003 }, { rtp: 40004, rtcp: 40005 }, { rtp: 40006, rtcp: 40007 }]);
    expect(() => pool.acquire()).to.throw(PortPoolExhaustedError).with.property('code', 'ERR_MEDIA_PORTS_EXHAUSTED');
    pool.release(40004);
    expect(pool.used).to.equal(2);
    expect(pool.acquire()).to.deep.equal({ rtp: 40004, rtcp: 40005 });
  });

  it('rejects bad ranges', () => {
    expect(() => new PortPool({ min: 100, max: 100 })).to.throw().with.property('code', 'ERR_MEDIA_PORT_RANGE');
    expect(() => new PortPool({ min: 60000, max: 70000 })).to.throw().with.property('code', 'ERR_MEDIA_PORT_RANGE');
  });
});

describe('media/net UdpEndpoint', () => {
  it('receives, survives a throwing handler, reports bind errors and closes idempotently', async () => {
    const ep = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0 });
    let got = 0;
    ep.onMessage = (msg) => { got++; if (msg[0] === 0xff) throw new Error('boom'); };
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const wait = (n: number): Promise<void> => new Promise((resolve) => {
      const t = setInterval(() => { if (got >= n) { clearInterval(t); resolve(); } }, 5);
    });
    peer.send(Buffer.from([0xff]), ep.port, '127.0.0.1');
    peer.send(Buffer.from([0x80]), ep.port, '127.0.0.1');
    await wait(2);
    expect(ep.handlerErrors).to.equal(1);
    const err = await UdpEndpoint.bind({ address: '127.0.0.1', port: ep.port }).then(() => null, (e: unknown) => e);
    expect(err).to.have.property('code', 'ERR_MEDIA_BIND');
    ep.send(Buffer.from([1]), 9, '256.1.1.1'); // invalid address: counted, not thrown
    ep.close();
    ep.close();
    ep.send(Buffer.from([1]), peer.address().port, '127.0.0.1');
    peer.close();
  });
});

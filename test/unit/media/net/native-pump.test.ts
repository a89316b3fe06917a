import { expect } from 'chai';
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadUdpPumpAddon, udpPumpLoadError } from '../../../../src/native/native-addon.js';
import { formatIpv4, parseIpv4 } from '../../../../src/native/ipv4.js';
import { packetIo, type PacketIoMode } from '../../../../src/media/net/packet-io.js';
import { UdpBindError, UdpEndpoint } from '../../../../src/media/net/udp-endpoint.js';
import { UdpPump, type PumpReceiver } from '../../../../src/native/udp-pump.js';

const netIndex = new URL('../../../../src/media/net/index.js', import.meta.url).href;

function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const t = setInterval(() => {
      if (cond()) { clearInterval(t); resolve(); } else if (Date.now() - t0 > timeoutMs) { clearInterval(t); reject(new Error('timeout')); }
    }, 2);
  });
}

async function dgramPeer(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** An RTP-looking datagram (first byte 0x80) carrying `n` in bytes 12..15. */
function rtpish(n: number, size = 172): Buffer {
  const b = Buffer.alloc(size);
  b[0] = 0x80; b[1] = 0;
  b.writeUInt32BE(n, 12);
  return b;
}

describe('media/net native UDP pump (src/native)', () => {
  it('the addon is built and loads in this runtime (scripts/bootstrap.sh builds it; no fallback in tests)', () => {
    const addon = loadUdpPumpAddon();
    expect(udpPumpLoadError(), 'addon load error').to.equal(null);
    expect(addon).to.not.equal(null);
    expect(addon!.META_STRIDE).to.equal(5);
    expect(packetIo().effective).to.equal('native');
  });

  it('parses and formats IPv4 literals', () => {
    expect(parseIpv4('127.0.0.1')).to.equal(0x7f000001);
    expect(parseIpv4('255.255.255.255')).to.equal(0xffffffff);
    expect(parseIpv4('0.0.0.0')).to.equal(0);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3', 'a.b.c.d', '::1', '1.2.3.4 ', '1234.1.1.1']) {
      expect(parseIpv4(bad), bad).to.equal(-1);
    }
    expect(formatIpv4(0xc0a80a01)).to.equal('192.168.10.1');
  });

  for (const io of ['node', 'native'] as PacketIoMode[]) {
    it(`${io}: echoes datagrams both ways, counts handler exceptions and bind errors, closes idempotently`, async () => {
      const a = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io });
      const b = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io });
      expect(a.io).to.equal(io);
      expect(a.port).to.be.greaterThan(0);
      const fromB: number[] = [];
      let srcOk = true;
      b.onMessage = (msg, addr, port) => {
        if (addr !== '127.0.0.1' || port !== a.port) srcOk = false;
        if (msg[1] === 0xff) throw new Error('handler boom');
        b.send(msg, port, addr); // echo, from inside the receive batch
      };
      a.onMessage = (msg) => { fromB.push(msg.readUInt32BE(12)); };
      for (let i = 0; i < 40; i++) a.send(rtpish(i), b.port, '127.0.0.1');
      const bad = rtpish(99); bad[1] = 0xff;
      a.send(bad, b.port, '127.0.0.1');
      await until(() => fromB.length === 40 && b.handlerErrors === 1);
      expect(fromB).to.deep.equal([...Array(40).keys()]);
      expect(srcOk).to.equal(true);
      // Port in use → typed bind error.
      let err: unknown = null;
      try { await UdpEndpoint.bind({ address: '127.0.0.1', port: b.port, io }); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(UdpBindError);
      expect((err as UdpBindError).code).to.equal('ERR_MEDIA_BIND');
      // Unparseable destination: counted, not thrown.
      a.send(rtpish(1), b.port, 'not-an-ip.invalid.');
      b.close();
      b.close();
      expect(b.isClosed).to.equal(true);
      const before = fromB.length;
      a.send(rtpish(7), b.port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
      expect(fromB.length).to.equal(before);
      a.close();
      a.close();
    });
  }

  it('native: drains a burst in few batches (recvmmsg) and copies non-RTP datagrams (kept STUN/DTLS stay intact)', async () => {
    const ep = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io: 'native' });
    const peer = await dgramPeer();
    let got = 0;
    let kept: Buffer | null = null;
    ep.onMessage = (msg) => {
      got++;
      if (msg[0] === 22 && kept === null) kept = msg; // a DTLS-looking datagram, kept past the batch
    };
    const s0 = UdpPump.sharedStats()!;
    const dtls = Buffer.alloc(100, 0x41); dtls[0] = 22;
    peer.send(dtls, ep.port, '127.0.0.1');
    for (let i = 0; i < 64; i++) peer.send(rtpish(i, 200), ep.port, '127.0.0.1');
    await until(() => got === 65);
    const s1 = UdpPump.sharedStats()!;
    expect(s1.rxPackets - s0.rxPackets).to.equal(65);
    expect(s1.rxBatches - s0.rxBatches, 'batches for 65 datagrams').to.be.lessThan(9);
    // More traffic reuses the receive slots; the kept (copied) datagram is unchanged.
    got = 0;
    for (let i = 0; i < 64; i++) peer.send(rtpish(i, 200).fill(0x99, 16), ep.port, '127.0.0.1');
    await until(() => got === 64);
    const k = kept as Buffer | null;
    expect(k).to.not.equal(null);
    expect(k!.length).to.equal(100);
    expect(k!.subarray(1).every((x) => x === 0x41)).to.equal(true);
    ep.close();
    peer.close();
  });

  it('native: a handler closing its socket mid-batch drops the rest as strays, no crash', async () => {
    const ep = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io: 'native' });
    const peer = await dgramPeer();
    let got = 0;
    ep.onMessage = () => { got++; if (got === 3) ep.close(); };
    for (let i = 0; i < 20; i++) peer.send(rtpish(i), ep.port, '127.0.0.1');
    await until(() => ep.isClosed);
    await new Promise((r) => setTimeout(r, 30));
    expect(got).to.equal(3);
    peer.close();
  });

  it('native pump: counts oversized datagrams, validates staged sends, closes idempotently', async () => {
    const pump = UdpPump.create({ slotSize: 256, slots: 8 });
    const rx: Array<{ len: number; first: number; addr: number; port: number }> = [];
    const recv: PumpReceiver = { receive: (buf, off, len, addr, port) => { rx.push({ len, first: buf[off], addr, port }); } };
    const id = pump.open(recv, 0x7f000001, 0);
    const port = pump.localPort(id);
    const peer = await dgramPeer();
    peer.send(Buffer.alloc(1000, 1), port, '127.0.0.1');
    peer.send(Buffer.alloc(100, 2), port, '127.0.0.1');
    await until(() => rx.length === 1 && pump.stats().rxOversized === 1);
    expect(rx[0]).to.deep.equal({ len: 100, first: 2, addr: 0x7f000001, port: peer.address().port });
    // Staged send to the peer, plus bad entries (unknown socket id) that are counted, not sent.
    const echoed: Buffer[] = [];
    peer.on('message', (m) => echoed.push(m));
    expect(pump.stage(id, 0x7f000001, peer.address().port, Buffer.from('hello'))).to.equal(true);
    expect(pump.stage(4000, 0x7f000001, peer.address().port, Buffer.from('nope'))).to.equal(true);
    pump.flush();
    await until(() => echoed.length === 1);
    expect(echoed[0].toString()).to.equal('hello');
    expect(pump.stats().txInvalid).to.equal(1);
    expect(pump.stats().txPackets).to.equal(1);
    pump.close();
    pump.close();
    expect(pump.stats().closed).to.equal(true);
    expect(pump.stats().sockets).to.equal(0);
    expect(() => pump.open(recv, 0x7f000001, 0)).to.throw();
    peer.close();
  });

  it('native: works in worker threads, which end by themselves or are terminated with sockets open', async function () {
    this.timeout(30000);
    const peer = await dgramPeer();
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.netIndex).then(async (net) => {
        const ep = await net.UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io: 'native' });
        ep.onMessage = (msg, addr, port) => {
          ep.send(msg, port, addr);
          if (workerData.closeAfterEcho) { ep.close(); }
        };
        parentPort.postMessage({ port: ep.port, io: ep.io });
        if (workerData.closeAfterEcho) parentPort.close();
      });`;
    for (const closeAfterEcho of [true, false, false, true]) {
      const w = new Worker(code, { eval: true, workerData: { netIndex, closeAfterEcho } });
      const info = await new Promise<{ port: number; io: string }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
      expect(info.io).to.equal('native');
      const echo = new Promise<Buffer>((r) => peer.once('message', (m) => r(m)));
      peer.send(rtpish(5), info.port, '127.0.0.1');
      expect((await echo).readUInt32BE(12)).to.equal(5);
      const exited = new Promise<number>((r) => w.once('exit', r));
      if (!closeAfterEcho) await w.terminate(); // socket and pump still open: the env cleanup hook closes them
      expect(await exited).to.be.a('number');
    }
    // The process survived every teardown, and the ports are free again.
    peer.close();
  });

  it('native: works in a child process that exits by itself once its socket is closed', async function () {
    this.timeout(30000);
    const peer = await dgramPeer();
    const script = fileURLToPath(new URL('./native-pump-child.js', import.meta.url));
    const child = fork(script, [netIndex], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const info = await new Promise<{ port: number; io: string }>((r) => child.once('message', (m) => r(m as { port: number; io: string })));
    expect(info.io).to.equal('native');
    const echo = new Promise<Buffer>((r) => peer.once('message', (m) => r(m)));
    peer.send(rtpish(9), info.port, '127.0.0.1');
    expect((await echo).readUInt32BE(12)).to.equal(9);
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).to.equal(0);
    peer.close();
  });
});

import { expect } from 'chai';
import dgram from 'node:dgram';
import net from 'node:net';
import {
  canBindUdp, canListenTcp, freePort, freePorts, freeTcpPort, freeUdpPort, freeUdpPortPair, waitForTcpPort, waitForUdpPort,
} from '../../helpers/ports.js';

describe('harness: ports', () => {
  it('allocates UDP and TCP ports that can then be bound', async () => {
    const u = await freeUdpPort();
    expect(u).to.be.within(1024, 65535);
    expect(await canBindUdp(u)).to.equal(true);
    const t = await freeTcpPort();
    expect(await canListenTcp(t)).to.equal(true);
    const both = await freePort();
    expect(await canBindUdp(both)).to.equal(true);
    expect(await canListenTcp(both)).to.equal(true);
  });

  it('allocates distinct spaced ports and an even RTP/RTCP pair', async () => {
    const ps = await freePorts(3, { spacing: 2 });
    expect(new Set(ps).size).to.equal(3);
    for (const a of ps) for (const b of ps) if (a !== b) expect(Math.abs(a - b)).to.be.at.least(2);
    const even = await freeUdpPortPair();
    expect(even % 2).to.equal(0);
    expect(await canBindUdp(even + 1)).to.equal(true);
  });

  it('detects busy ports and waits for listeners', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    expect(await canBindUdp(port)).to.equal(false);
    await waitForUdpPort(port, { timeoutMs: 500 });
    sock.close();

    const tcpPort = await freeTcpPort();
    const srv = net.createServer((c) => c.destroy());
    setTimeout(() => srv.listen(tcpPort, '127.0.0.1'), 150);
    await waitForTcpPort(tcpPort, { timeoutMs: 3000 });
    await new Promise<void>((r) => srv.close(() => r()));
    let failed = false;
    await waitForTcpPort(tcpPort, { timeoutMs: 200 }).catch(() => {
      failed = true;
    });
    expect(failed).to.equal(true);
  });
});

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import {
  ManualClock, SipRequest, SipResponse, SipStack, parseMessage, type Dialog, type ServerTransaction, type SipMessage,
} from '../../../src/sip/index.js';

const FAST = { t1: 20, t2: 80, t4: 100, timerD: 100 };

function waitFor<T>(fn: (resolve: (v: T) => void) => void, ms = 3000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms);
    fn((v) => { clearTimeout(t); resolve(v); });
  });
}

function options(to: string): SipRequest {
  const req = new SipRequest('OPTIONS', to);
  req.add('From', '<sip:alice@example.com>');
  req.add('To', `<${to}>`);
  return req;
}

async function rawUdp(): Promise<{ sock: UdpSocket; port: number; next: () => Promise<SipMessage>; close: () => Promise<void> }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const queue: Buffer[] = [];
  let waiter: ((b: Buffer) => void) | undefined;
  sock.on('message', (m) => { if (waiter) { const w = waiter; waiter = undefined; w(m); } else queue.push(m); });
  return {
    sock, port: sock.address().port,
    next: () => waitFor<Buffer>((resolve) => { const b = queue.shift(); if (b) resolve(b); else waiter = resolve; }).then((b) => parseMessage(b)),
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

// Every case runs on node:dgram and on the native UDP pump (src/native, `sip.packetIo: native`).
for (const udpIo of ['node', 'native'] as const) describe(`SipStack over UDP and TCP (loopback, UDP on ${udpIo === 'native' ? 'the native pump' : 'node:dgram'})`, function () {
  this.timeout(10000);
  let a: SipStack;
  let b: SipStack;

  beforeEach(async () => {
    a = new SipStack({ udpIo, listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], timers: FAST });
    b = new SipStack({ udpIo, listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], timers: FAST });
    await a.start();
    await b.start();
    // the transport asked for is the one in use (the addon is built by scripts/build-native.sh)
    expect(a.transport.udpIo).to.equal(udpIo);
    expect(b.transport.udpIo).to.equal(udpIo);
  });

  afterEach(async () => {
    await a.close();
    await b.close();
  });

  const bUri = (transport: 'udp' | 'tcp', user = 'bob') => {
    const lp = b.listeningPoints().find((l) => l.transport === transport)!;
    return `sip:${user}@127.0.0.1:${lp.port}${transport === 'udp' ? '' : ';transport=tcp'}`;
  };

  for (const transport of ['udp', 'tcp'] as const) {
    it(`OPTIONS → 200 over ${transport}; UA core fills headers; received/rport stamped`, async () => {
      const got = waitFor<SipRequest>((resolve) => b.on('request', (req, st) => { st.respond(b.createResponse(req, 200)); resolve(req); }));
      const ct = await a.sendRequest(options(bUri(transport)));
      const res = await waitFor<SipResponse>((resolve) => ct.on('response', resolve));
      const req = await got;
      expect(res.status).to.equal(200);
      const via = req.topVia();
      expect(via.transport).to.equal(transport.toUpperCase());
      expect(via.branch).to.match(/^z9hG4bK/);
      expect(via.rport).to.equal(ct.sent!.localPort);
      expect(via.received).to.equal('127.0.0.1');
      expect(req.maxForwards).to.equal(70);
      expect(req.from().tag).to.be.a('string');
      expect(req.callId).to.be.a('string');
      expect(req.cseq().method).to.equal('OPTIONS');
      expect(res.to().tag, 'UAS adds a To tag').to.be.a('string');
      expect(req.inbound?.transport).to.equal(transport);
    });
  }

  it('INVITE dialog over UDP: 180/200, ACK, in-dialog BYE, counts back to baseline', async () => {
    b.on('request', (req, st) => {
      st.respond(b.createResponse(req, 180));
      st.respond(b.createResponse(req, 200, { body: 'v=0\r\n', headers: [['Content-Type', 'application/sdp']] }));
    });
    const acked = waitFor<Dialog | undefined>((resolve) => b.on('ack', (_ack, d) => resolve(d)));
    const inv = new SipRequest('INVITE', bUri('udp'));
    inv.add('From', '<sip:alice@example.com>');
    inv.add('To', `<${bUri('udp')}>`);
    const ct = await a.sendRequest(inv);
    const statuses: number[] = [];
    const final = await waitFor<SipResponse>((resolve) => ct.on('response', (r) => { statuses.push(r.status); if (r.status >= 200) resolve(r); }));
    expect(statuses).to.deep.equal([100, 180, 200]);
    expect(final.body.toString()).to.equal('v=0\r\n');
    expect(final.contacts()).to.have.length(1);
    const key = `${inv.callId}|${inv.from().tag}|${final.to().tag}`;
    const uacDialog = a.dialog(key)!;
    expect(uacDialog.state).to.equal('confirmed');
    await a.sendInDialog(uacDialog, 'ACK');
    const uasDialog = await acked;
    expect(uasDialog?.state).to.equal('confirmed');
    expect(b.stats().pending2xx).to.equal(0);
    const bye = waitFor<[SipRequest, Dialog | undefined]>((resolve) => b.on('inDialogRequest', (req, st, d) => { st.respond(b.createResponse(req, 200)); resolve([req, d]); }));
    const byeCt = (await a.sendInDialog(uacDialog, 'BYE')) as import('../../../src/sip/index.js').ClientTransaction;
    const [byeReq, d] = await bye;
    expect(byeReq.method).to.equal('BYE');
    expect(byeReq.cseq().seq).to.equal(inv.cseq().seq + 1);
    expect(d).to.equal(uasDialog);
    expect(d!.state).to.equal('terminated');
    await waitFor<SipResponse>((resolve) => byeCt.on('response', resolve));
    // all transactions end within Timer K/J/L/D (64*T1 = 1.28 s here)
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.stats().transactions).to.deep.equal({ clients: 0, servers: 0 });
    expect(b.stats().transactions).to.deep.equal({ clients: 0, servers: 0 });
    expect(a.stats().dialogs).to.equal(0);
    expect(b.stats().dialogs).to.equal(0);
  });

  it('CANCEL from the UAC: 200 to CANCEL, 487 to INVITE', async () => {
    const cancelled = waitFor<ServerTransaction>((resolve) => b.on('cancel', (_c, st) => resolve(st)));
    b.on('request', (req, st) => st.respond(b.createResponse(req, 180)));
    const inv = new SipRequest('INVITE', bUri('udp'));
    inv.add('From', '<sip:alice@example.com>');
    const ct = await a.sendRequest(inv);
    const final = waitFor<SipResponse>((resolve) => ct.on('response', (r) => { if (r.status >= 200) resolve(r); }));
    await waitFor<void>((resolve) => ct.on('response', (r) => { if (r.status === 180) resolve(); }));
    expect(a.stats().dialogs, 'early UAC dialog').to.equal(1);
    expect(b.stats().dialogs, 'early UAS dialog').to.equal(1);
    const cct = await a.cancel(ct);
    expect(cct).to.not.equal(undefined);
    const cancelRes = await waitFor<SipResponse>((resolve) => cct!.on('response', resolve));
    expect(cancelRes.status).to.equal(200);
    expect((await final).status).to.equal(487);
    await cancelled;
    // the early dialogs made by the 180 on both sides ended with the 487
    expect(a.stats().dialogs).to.equal(0);
    expect(b.stats().dialogs).to.equal(0);
  });

  it('answers a malformed UDP request with 400 and counts it; garbage is dropped and counted', async () => {
    const raw = await rawUdp();
    try {
      const port = b.listeningPoints().find((l) => l.transport === 'udp')!.port;
      const bad = [
        'OPTIONS sip:bob@127.0.0.1 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bKbad1`,
        'From: <sip:x@y>;tag=1', 'To: <sip:bob@127.0.0.1>', 'Call-ID: bad1', 'CSeq: 1 INVITE', 'Content-Length: 0', '', '',
      ].join('\r\n');
      raw.sock.send(Buffer.from(bad), port, '127.0.0.1');
      const res = (await raw.next()) as SipResponse;
      expect(res.status).to.equal(400);
      raw.sock.send(Buffer.from([0xff, 0x00, 0x13, 0x37]), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
      expect(b.stats().transports.udp.malformed).to.equal(2);
    } finally {
      await raw.close();
    }
  });

  it('ACK timeout: 2xx retransmitted T1..T2, then ackTimeout and BYE to the Contact (manual clock)', async () => {
    const clock = new ManualClock();
    const c = new SipStack({ udpIo, listen: ['udp:127.0.0.1:0'], clock });
    await c.start();
    const raw = await rawUdp();
    try {
      const port = c.listeningPoints()[0].port;
      c.on('request', (req, st) => st.respond(c.createResponse(req, 200)));
      let timedOut = false;
      c.on('ackTimeout', () => { timedOut = true; });
      const inv = [
        `INVITE sip:bob@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bKacktimeout;rport`,
        'Max-Forwards: 70', 'From: <sip:alice@127.0.0.1>;tag=al1', `To: <sip:bob@127.0.0.1:${port}>`,
        'Call-ID: acktimeout-1', 'CSeq: 5 INVITE', `Contact: <sip:alice@127.0.0.1:${raw.port}>`, 'Content-Length: 0', '', '',
      ].join('\r\n');
      raw.sock.send(Buffer.from(inv), port, '127.0.0.1');
      expect(((await raw.next()) as SipResponse).status).to.equal(100);
      expect(((await raw.next()) as SipResponse).status).to.equal(200);
      let retransmissions = 0;
      for (const step of [500, 1000, 2000, 4000, 4000]) {
        clock.advance(step);
        const m = (await raw.next()) as SipResponse;
        expect(m.status).to.equal(200);
        retransmissions++;
      }
      expect(retransmissions).to.equal(5);
      clock.advance(32000 - 11500);
      // skip remaining 2xx retransmissions until the BYE
      let bye: SipMessage | undefined;
      for (let i = 0; i < 10 && !bye; i++) {
        const m = await raw.next();
        if (m instanceof SipRequest && m.method === 'BYE') bye = m;
      }
      expect(timedOut).to.equal(true);
      expect(bye).to.be.instanceOf(SipRequest);
      expect((bye as SipRequest).uri).to.equal(`sip:alice@127.0.0.1:${raw.port}`);
      expect((bye as SipRequest).to().tag).to.equal('al1');
      expect((bye as SipRequest).get('reason')).to.contain('ACK timeout');
    } finally {
      await raw.close();
      await c.close();
    }
  });

  it('TCP: CRLF CRLF keep-alive gets a CRLF pong (RFC 5626 §4.4.1); oversize closes the connection', async () => {
    const port = b.listeningPoints().find((l) => l.transport === 'tcp')!.port;
    const sock: Socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const pong = waitFor<Buffer>((resolve) => sock.once('data', resolve));
    sock.write('\r\n\r\n');
    expect((await pong).toString()).to.equal('\r\n');
    expect(b.stats().transports.tcp.keepAlives).to.equal(1);
    const closed = waitFor<void>((resolve) => sock.once('close', () => resolve()));
    sock.write(`OPTIONS sip:x@y SIP/2.0\r\nContent-Length: 9999999\r\n\r\n`);
    await closed;
    expect(b.stats().transports.tcp.oversize).to.equal(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(b.stats().transports.tcp.connections).to.equal(0);
  });

  it('ACK retransmissions for a 2xx reach the application once', async () => {
    const raw = await rawUdp();
    try {
      const port = b.listeningPoints().find((l) => l.transport === 'udp')!.port;
      b.on('request', (req, st) => st.respond(b.createResponse(req, 200)));
      let acks = 0;
      b.on('ack', () => { acks++; });
      const head = (method: string, branch: string, toTag = '') => [
        `${method} sip:bob@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=${branch};rport`,
        'Max-Forwards: 70', 'From: <sip:alice@127.0.0.1>;tag=dup1', `To: <sip:bob@127.0.0.1>${toTag}`, 'Call-ID: dup-ack-1',
        `CSeq: 3 ${method}`, `Contact: <sip:alice@127.0.0.1:${raw.port}>`, 'Content-Length: 0', '', '',
      ].join('\r\n');
      raw.sock.send(Buffer.from(head('INVITE', 'z9hG4bKdupinv')), port, '127.0.0.1');
      expect(((await raw.next()) as SipResponse).status).to.equal(100);
      const ok = (await raw.next()) as SipResponse;
      expect(ok.status).to.equal(200);
      const ack = Buffer.from(head('ACK', 'z9hG4bKdupack', `;tag=${ok.to().tag}`));
      raw.sock.send(ack, port, '127.0.0.1');
      raw.sock.send(ack, port, '127.0.0.1');
      raw.sock.send(ack, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 150));
      expect(acks).to.equal(1);
      expect(b.stats().pending2xx).to.equal(0);
    } finally {
      await raw.close();
    }
  });

  it('resolves the next hop from the first loose Route, then the Request-URI (injected DNS)', async () => {
    const names: string[] = [];
    const c = new SipStack({ udpIo, listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], resolveSrv: async () => [], resolve: async (host) => { names.push(host); return '127.0.0.1'; } });
    await c.start();
    try {
      const port = b.listeningPoints().find((l) => l.transport === 'udp')!.port;
      const seen: SipRequest[] = [];
      b.on('request', (req, st) => { seen.push(req); st.respond(b.createResponse(req, 200)); });
      const viaRoute = options(`sip:bob@unresolvable.invalid:1`);
      viaRoute.add('Route', `<sip:proxy.example.com:${port};lr>`);
      const ct1 = await c.sendRequest(viaRoute);
      await waitFor<SipResponse>((resolve) => ct1.on('response', resolve));
      const direct = options(`sip:bob@pbx.example.com:${port}`);
      const ct2 = await c.sendRequest(direct);
      await waitFor<SipResponse>((resolve) => ct2.on('response', resolve));
      // explicit destination (proxying): neither the Request-URI nor a Route is used
      const proxied = options('sip:carol@elsewhere.invalid:9');
      proxied.add('Route', '<sip:also-ignored.invalid:9;lr>');
      const ct3 = await c.sendRequest(proxied, { destination: { transport: 'tcp', host: '127.0.0.1', port: b.listeningPoints().find((l) => l.transport === 'tcp')!.port } });
      await waitFor<SipResponse>((resolve) => ct3.on('response', resolve));
      expect(names).to.deep.equal(['proxy.example.com', 'pbx.example.com']);
      expect(seen.map((r) => r.uri)).to.deep.equal([`sip:bob@unresolvable.invalid:1`, `sip:bob@pbx.example.com:${port}`, 'sip:carol@elsewhere.invalid:9']);
      expect(seen[2].inbound?.transport).to.equal('tcp');
      let err: unknown;
      try {
        await c.sendRequest(options('tel:+15551234'));
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string }).code).to.equal('ERR_SIP_NO_ROUTE');
    } finally {
      await c.close();
    }
  });

  it('a WebSocket client\'s .invalid host whose flow is gone fails at once (RFC 6761 §6.4, RFC 7118 §5), with no DNS query', async () => {
    const names: string[] = [];
    const c = new SipStack({
      udpIo, listen: ['udp:127.0.0.1:0'],
      resolveSrv: async (name) => { names.push(`SRV ${name}`); return []; },
      resolve: async (host) => { names.push(host); return '127.0.0.1'; },
    });
    await c.start();
    try {
      const codes: Array<string | undefined> = [];
      for (const [uri, opts] of [
        ['sip:alice@df7jal23ls0d.invalid;transport=ws', {}],
        ['sip:alice@df7jal23ls0d.invalid;transport=ws', { flowId: 'ws-flow-that-closed' }],
        ['sip:alice@127.0.0.1', { destination: { transport: 'ws' as const, host: 'DF7JAL23LS0D.INVALID', port: 443 } }],
      ] as const) {
        try {
          await c.sendRequest(options(uri), opts);
          codes.push('sent');
        } catch (e) {
          codes.push((e as { code?: string }).code);
        }
      }
      expect(codes).to.deep.equal(['ERR_SIP_FLOW_CLOSED', 'ERR_SIP_FLOW_CLOSED', 'ERR_SIP_FLOW_CLOSED']);
      expect(names).to.deep.equal([]);
      expect(c.stats().transactions).to.deep.equal({ clients: 0, servers: 0 });
    } finally {
      await c.close();
    }
  });

  it('IPv6 loopback: [::1] listeners, Via with an IPv6 reference, received without brackets', async () => {
    const c = new SipStack({ udpIo, listen: ['udp:[::1]:0', 'tcp:[::1]:0'] });
    const d = new SipStack({ udpIo, listen: ['udp:[::1]:0', 'tcp:[::1]:0'] });
    await c.start();
    await d.start();
    try {
      const seen: SipRequest[] = [];
      d.on('request', (req, st) => { seen.push(req); st.respond(d.createResponse(req, 200)); });
      for (const t of ['udp', 'tcp'] as const) {
        const lp = d.listeningPoints().find((l) => l.transport === t)!;
        expect(lp.host).to.equal('[::1]');
        const ct = await c.sendRequest(options(`sip:bob@[::1]:${lp.port};transport=${t}`));
        const res = await waitFor<SipResponse>((resolve) => ct.on('response', resolve));
        expect(res.status).to.equal(200);
      }
      expect(seen.map((r) => [r.topVia().host, r.topVia().received, r.inbound?.remoteAddress])).to.deep.equal([
        ['[::1]', '::1', '::1'], ['[::1]', '::1', '::1'],
      ]);
      // the native pump is IPv4 only: an IPv6 UDP listener stays on node:dgram and says why
      expect(c.transport.udpIo).to.equal('node');
      expect(c.transport.udpFallback).to.equal(udpIo === 'native' ? 'IPv6 listener ::1' : null);
    } finally {
      await c.close();
      await d.close();
    }
  });

  it('RFC 3263 SRV: a host name without a port is looked up as _sip._udp first, best priority/weight wins', async () => {
    const port = b.listeningPoints().find((l) => l.transport === 'udp')!.port;
    const srvQueries: string[] = [];
    const aQueries: string[] = [];
    const c = new SipStack({
      udpIo, listen: ['udp:127.0.0.1:0'],
      resolveSrv: async (name) => {
        srvQueries.push(name);
        if (name === '_sip._udp.trunk.example.com') {
          return [
            { name: 'backup.example.com', port: 1, priority: 20, weight: 100 },
            { name: 'light.example.com', port: 2, priority: 10, weight: 1 },
            { name: 'main.example.com', port, priority: 10, weight: 50 },
          ];
        }
        throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      },
      resolve: async (host) => {
        aQueries.push(host);
        if (host === 'main.example.com') return '127.0.0.1';
        throw new Error('ENOTFOUND');
      },
    });
    await c.start();
    try {
      b.on('request', (req, st) => st.respond(b.createResponse(req, 200)));
      const ct = await c.sendRequest(options('sip:bob@trunk.example.com'));
      expect((await waitFor<SipResponse>((resolve) => ct.on('response', resolve))).status).to.equal(200);
      let err: unknown;
      try {
        await c.sendRequest(options('sip:bob@nosrv.example.com'));
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string }).code).to.equal('ERR_SIP_DNS');
      expect(srvQueries).to.deep.equal(['_sip._udp.trunk.example.com', '_sip._udp.nosrv.example.com']);
      expect(aQueries).to.deep.equal(['main.example.com', 'nosrv.example.com']);
    } finally {
      await c.close();
    }
  });

  it('UDP: a datagram over parseLimits.maxMessageSize is dropped and counted as oversize', async () => {
    const c = new SipStack({ udpIo, listen: ['udp:127.0.0.1:0'], parseLimits: { maxMessageSize: 1000 } });
    await c.start();
    const raw = await rawUdp();
    try {
      let requests = 0;
      c.on('request', () => { requests++; });
      const port = c.listeningPoints()[0].port;
      const big = [
        `OPTIONS sip:bob@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${raw.port};branch=z9hG4bKbig;rport`,
        'From: <sip:a@b>;tag=1', 'To: <sip:bob@127.0.0.1>', 'Call-ID: big-1', 'CSeq: 1 OPTIONS', `X-Pad: ${'p'.repeat(1500)}`, 'Content-Length: 0', '', '',
      ].join('\r\n');
      raw.sock.send(Buffer.from(big), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
      expect(c.stats().transports.udp.oversize).to.equal(1);
      expect(requests).to.equal(0);
    } finally {
      await raw.close();
      await c.close();
    }
  });

  it('TCP limits: idle connections are closed, connections per IP are capped', async () => {
    const c = new SipStack({ udpIo, listen: ['tcp:127.0.0.1:0'], limits: { idleTimeoutMs: 200, maxConnectionsPerIp: 2 } });
    await c.start();
    const port = c.listeningPoints()[0].port;
    const socks: Socket[] = [];
    try {
      const closedAt: number[] = [];
      const t0 = Date.now();
      for (let i = 0; i < 3; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.on('close', () => closedAt.push(Date.now() - t0));
        socks.push(s);
        await new Promise<void>((r) => s.once('connect', () => r()));
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 60));
      expect(closedAt, 'the third connection is refused at once').to.have.length(1);
      expect(c.stats().transports.tcp.connections).to.equal(2);
      await new Promise((r) => setTimeout(r, 400));
      expect(closedAt, 'idle ones are closed after idleTimeoutMs').to.have.length(3);
      expect(c.stats().transports.tcp.connections).to.equal(0);
    } finally {
      for (const s of socks) s.destroy();
      await c.close();
    }
  });

  it('close() is idempotent and start() after close() is refused', async () => {
    await a.close();
    await a.close();
    let err: unknown;
    try {
      await a.start();
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).to.equal('ERR_SIP_CLOSED');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import WebSocket from 'ws';
import { SipRequest, SipResponse, SipStack, parseMessage, type ServerTransaction } from '../../../src/sip/index.js';

function waitFor<T>(fn: (resolve: (v: T) => void, reject: (e: Error) => void) => void, ms = 4000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms);
    fn((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

function register(host: string, port: number, transport: 'WS' | 'WSS'): string {
  return [
    `REGISTER sip:127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/${transport} df7jal23ls0d.invalid;branch=z9hG4bK56sdasks;rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=reg1',
    'To: <sip:alice@example.com>',
    'Call-ID: ws-reg-1',
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>;expires=300',
    'Content-Length: 0', '', '',
  ].join('\r\n');
}

async function openWs(url: string, protocols: string[], opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, opts);
  await waitFor<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return ws;
}

function nextFrame(ws: WebSocket): Promise<Buffer> {
  return waitFor<Buffer>((resolve) => ws.once('message', (d: WebSocket.RawData) => resolve(Buffer.isBuffer(d) ? d : Buffer.from(d as ArrayBuffer))));
}

describe('SipStack over WS, WSS and TLS (RFC 7118, loopback)', function () {
  this.timeout(15000);
  let dir: string;
  let key: string;
  let cert: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tandem-sip-tls-'));
    key = path.join(dir, 'key.pem');
    cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const secure of [false, true]) {
    const name = secure ? 'wss' : 'ws';
    it(`${name}: REGISTER from a browser-like client, response and a later request over the same connection`, async () => {
      const stack = new SipStack({ listen: [`${name}:127.0.0.1:0`], tls: { key, cert }, advertisedHost: 'sbc.example.com' });
      await stack.start();
      const port = stack.listeningPoints()[0].port;
      let ws: WebSocket | undefined;
      try {
        const got = waitFor<[SipRequest, ServerTransaction]>((resolve) => stack.on('request', (req, st) => resolve([req, st])));
        ws = await openWs(`${name}://127.0.0.1:${port}`, ['sip'], secure ? { ca: readFileSync(cert) } : {});
        ws.send(register('127.0.0.1', port, secure ? 'WSS' : 'WS'));
        const [req, st] = await got;
        expect(req.inbound?.transport).to.equal(name);
        const via = req.topVia();
        expect(via.host).to.equal('df7jal23ls0d.invalid');
        expect(via.received).to.equal('127.0.0.1');
        expect(via.rport).to.be.a('number');
        const resFrame = nextFrame(ws);
        st.respond(stack.createResponse(req, 200, { headers: [['Contact', req.get('contact')!]] }));
        const res = parseMessage(await resFrame) as SipResponse;
        expect(res.status).to.equal(200);
        expect(res.topVia().host).to.equal('df7jal23ls0d.invalid');
        // call the browser back over its flow (NAT: the Contact host is unreachable)
        const reqFrame = nextFrame(ws);
        const invite = new SipRequest('INVITE', 'sip:alice@df7jal23ls0d.invalid;transport=ws');
        invite.add('From', '<sip:gw@example.com>');
        invite.add('To', '<sip:alice@example.com>');
        const ct = await stack.sendRequest(invite, { flowId: req.inbound!.flowId });
        const inv = parseMessage(await reqFrame) as SipRequest;
        expect(inv.method).to.equal('INVITE');
        expect(inv.topVia().transport).to.equal(secure ? 'WSS' : 'WS');
        expect(inv.topVia().host).to.equal('sbc.example.com');
        expect(inv.get('contact')).to.equal(secure ? `<sips:sbc.example.com:${port};transport=ws>` : `<sip:sbc.example.com:${port};transport=ws>`);
        // the browser answers 486 and the transaction ACKs over the same socket
        const ackFrame = nextFrame(ws);
        const busy = new SipResponse(486, 'Busy Here');
        for (const h of inv.headers) if (/^(via|from|to|call-id|cseq)$/i.test(h.name)) busy.add(h.name, h.name.toLowerCase() === 'to' ? `${h.value};tag=b1` : h.value);
        ws.send(busy.serialize());
        const ack = parseMessage(await ackFrame) as SipRequest;
        expect(ack.method).to.equal('ACK');
        expect(ct.lastResponse?.status).to.equal(486);
        // keep-alive
        const pong = nextFrame(ws);
        ws.send('\r\n\r\n');
        expect((await pong).toString()).to.equal('\r\n');
        expect(stack.stats().transports[name].keepAlives).to.equal(1);
        expect(stack.stats().transports[name].connections).to.equal(1);
      } finally {
        ws?.close();
        await stack.close();
      }
    });
  }

  it('ws: refuses a handshake without the sip subprotocol (RFC 7118 §4)', async () => {
    const stack = new SipStack({ listen: ['ws:127.0.0.1:0'] });
    await stack.start();
    try {
      const port = stack.listeningPoints()[0].port;
      let err: Error | undefined;
      try {
        const ws = await openWs(`ws://127.0.0.1:${port}`, ['chat']);
        ws.close();
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).to.equal('HTTP 400');
    } finally {
      await stack.close();
    }
  });

  it('ws: a malformed frame is answered 400 when possible, the connection survives', async () => {
    const stack = new SipStack({ listen: ['ws:127.0.0.1:0'] });
    await stack.start();
    const port = stack.listeningPoints()[0].port;
    const ws = await openWs(`ws://127.0.0.1:${port}`, ['sip']);
    try {
      const frame = nextFrame(ws);
      ws.send(register('127.0.0.1', port, 'WS').replace('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'));
      const res = parseMessage(await frame) as SipResponse;
      expect(res.status).to.equal(400);
      ws.send(Buffer.from([1, 2, 3, 4, 5]));
      // a valid message in a binary frame is accepted too (RFC 7118 §5.1)
      stack.on('request', (req, st) => st.respond(stack.createResponse(req, 200)));
      const okFrame = nextFrame(ws);
      ws.send(Buffer.from(register('127.0.0.1', port, 'WS')), { binary: true });
      expect((parseMessage(await okFrame) as SipResponse).status).to.equal(200);
      const pong = nextFrame(ws);
      ws.send('\r\n\r\n');
      expect((await pong).toString()).to.equal('\r\n');
      expect(stack.stats().transports.ws.malformed).to.equal(2);
    } finally {
      ws.close();
      await stack.close();
    }
  });

  it('tls: OPTIONS between two stacks with a verified certificate', async () => {
    const a = new SipStack({ listen: ['tls:127.0.0.1:0'], tls: { key, cert, ca: cert } });
    const b = new SipStack({ listen: ['tls:127.0.0.1:0'], tls: { key, cert, ca: cert } });
    await a.start();
    await b.start();
    try {
      b.on('request', (req, st) => st.respond(b.createResponse(req, 200)));
      const port = b.listeningPoints()[0].port;
      const req = new SipRequest('OPTIONS', `sip:bob@127.0.0.1:${port};transport=tls`);
      req.add('From', '<sip:alice@example.com>');
      const ct = await a.sendRequest(req);
      const res = await waitFor<SipResponse>((resolve) => ct.on('response', resolve));
      expect(res.status).to.equal(200);
      expect(ct.sent?.transport).to.equal('tls');
      expect(a.stats().transports.tls.connections).to.equal(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

/**
 * The real registrar app on an unmodified drachtio-srf, connected to Tandem's embedded drachtio
 * server and SIP stack, driven by SIPp (UDP, TCP: digest 401 → 200, wrong password → 403) and by
 * a raw SIP-over-WebSocket client (RFC 7118) whose bindings go when its connection closes.
 */
import { expect } from 'chai';
import crypto from 'node:crypto';
import path from 'node:path';
import Srf from 'drachtio-srf';
import WebSocket from 'ws';
import { TandemApp } from '../../../src/app/app.js';
import { digestHa1, digestResponse, parseDigestHeader } from '../../../src/app/auth/digest-server.js';
import { TransportFlowMonitor } from '../../../src/app/signaling/transport-flow-monitor.js';
import type { AppSrf } from '../../../src/app/signaling/srf-types.js';
import type { Binding } from '../../../src/app/registrar/registrar-store.js';
import { DrachtioServer, SipStackCore } from '../../../src/drachtio/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { freePort, runSipp, waitFor } from '../drachtio/harness.js';

const SECRET = 'app-test-secret';
const REALM = 'tandem.test';

describe('app: registrar on drachtio-srf + embedded server', function () {
  this.timeout(30000);
  let core: SipStackCore;
  let server: DrachtioServer;
  let srf: Srf;
  let app: TandemApp;
  let sipPort: number;
  let wsPort: number;

  beforeEach(async () => {
    sipPort = await freePort();
    wsPort = await freePort();
    core = SipStackCore.create({ listen: [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`, `ws:127.0.0.1:${wsPort}`] });
    await core.start();
    server = new DrachtioServer({ port: 0, secret: SECRET, sipStack: core });
    await server.start();
    app = new TandemApp({
      auth: { realm: REALM, digestAlgorithm: 'MD5', nonceTtlSeconds: 300, tokenSecret: '' },
      registrar: { minExpires: 60, maxExpires: 3600, defaultExpires: 600 },
      users: [
        { name: 'alice', password: 'wonderland', ha1: '', profile: '', contact: '' },
        { name: 'lobby', password: 'x', ha1: '', profile: '', contact: 'sip:lobby@127.0.0.1:9' },
      ],
      profiles: [], trunks: [],
      dialplan: {
        countryCode: '', nationalPrefix: '', internationalPrefix: '',
        rules: [{ name: 'local users', from: ['user'], match: '[a-z]+', strip: 0, prepend: '', to: 'user:$user' }],
      },
    }, { flows: new TransportFlowMonitor(core.stack.transport) });
    srf = new Srf();
    app.attach(srf as unknown as AppSrf);
    const routes = new Set<string>();
    const onRoute = (_id: number, verb: string): void => { routes.add(verb); };
    server.on('route', onRoute);
    await new Promise<void>((resolve, reject) => {
      srf.connect({ host: '127.0.0.1', port: server.address().port, secret: SECRET });
      srf.once('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    });
    await waitFor(() => routes.has('register') && routes.has('invite'), 'register and invite routes');
    server.off('route', onRoute);
  });

  afterEach(async () => {
    srf.disconnect();
    await app.close();
    await server.close();
    await core.close();
  });

  for (const [t, name] of [['u1', 'UDP'], ['t1', 'TCP']] as const) {
    it(`SIPp over ${name}: 401 challenge, 200 with the binding, then Contact: * removes it`, async () => {
      const sippPort = await freePort();
      const { done } = runSipp(['-sf', path.join(fixturesDir, 'sipp', 'app', 'register_digest_ok.xml'), '-s', 'alice', '-au', 'alice', '-ap', 'wonderland',
        '-t', t, '-p', String(sippPort), '-m', '1', '-timeout', '15s', '-timeout_error', `127.0.0.1:${sipPort}`]);
      let snapshot: Binding | undefined;
      const poll = setInterval(() => {
        void app.store.lookup(`sip:alice@${REALM}`).then((b) => {
          if (b.length === 1) snapshot = b[0];
        });
      }, 50);
      const r = await done;
      clearInterval(poll);
      expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(0);
      expect(snapshot, 'binding seen while registered').to.not.equal(undefined);
      expect(snapshot!.contact).to.equal(`sip:alice@127.0.0.1:${sippPort};transport=${t === 'u1' ? 'UDP' : 'TCP'}`);
      expect(snapshot!.source).to.deep.equal({ transport: t === 'u1' ? 'udp' : 'tcp', address: '127.0.0.1', port: sippPort });
      expect(snapshot!.flowId).to.equal(t === 'u1' ? undefined : `tcp:127.0.0.1:${sippPort}`);
      expect(await app.store.size()).to.equal(0);
    });
  }

  it('SIPp with a wrong password gets 403 and no binding', async () => {
    const sippPort = await freePort();
    const { done } = runSipp(['-sf', path.join(fixturesDir, 'sipp', 'app', 'register_digest_bad.xml'), '-s', 'alice', '-au', 'alice', '-ap', 'not-the-password',
      '-t', 'u1', '-p', String(sippPort), '-m', '1', '-timeout', '15s', '-timeout_error', `127.0.0.1:${sipPort}`]);
    const r = await done;
    expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(0);
    expect(await app.store.size()).to.equal(0);
  });

  for (const [status, password, what] of [[503, 'wonderland', 'right password: planned, 503 until call sessions exist'], [403, 'wrong', 'wrong password: 403']] as const) {
    it(`INVITE from SIPp: 407 challenge, then ${what}`, async () => {
      const sippPort = await freePort();
      const mp = await freePort();
      const { done } = runSipp(['-sf', path.join(fixturesDir, 'sipp', 'app', `invite_digest_${status}.xml`), '-s', 'lobby', '-au', 'alice', '-ap', password,
        '-t', 'u1', '-p', String(sippPort), '-mp', String(mp), '-m', '1', '-timeout', '15s', '-timeout_error', `127.0.0.1:${sipPort}`]);
      const r = await done;
      expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(0);
    });
  }

  it('SIP over WebSocket: the binding carries the ws flow and is removed when the socket closes', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}`, 'sip');
    const inbox: string[] = [];
    ws.on('message', (d) => inbox.push(d.toString()));
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    const callId = crypto.randomUUID();
    const register = (cseq: number, extra = ''): string => [
      'REGISTER sip:tandem.test SIP/2.0',
      `Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK${crypto.randomBytes(6).toString('hex')}`,
      'From: <sip:alice@tandem.test>;tag=ws1', 'To: <sip:alice@tandem.test>', `Call-ID: ${callId}`, `CSeq: ${cseq} REGISTER`,
      'Contact: <sip:k3j2@df7jal23ls0d.invalid;transport=ws>;expires=300', 'Max-Forwards: 70', ...(extra ? [extra] : []), 'Content-Length: 0', '', '',
    ].join('\r\n');
    const next = async (): Promise<string> => {
      await waitFor(() => inbox.length > 0, 'a response over the WebSocket');
      return inbox.shift()!;
    };
    ws.send(register(1));
    const r1 = await next();
    expect(r1).to.match(/^SIP\/2\.0 401 /);
    const challenge = /^WWW-Authenticate:\s*(.+)$/im.exec(r1)![1].trim();
    const p = parseDigestHeader(challenge)!;
    const response = digestResponse('MD5', digestHa1('MD5', 'alice', REALM, 'wonderland'), 'REGISTER', { nonce: p.nonce, uri: 'sip:tandem.test', qop: 'auth', nc: '00000001', cnonce: 'c1' });
    ws.send(register(2, `Authorization: Digest username="alice", realm="${REALM}", nonce="${p.nonce}", uri="sip:tandem.test", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c1"`));
    const r2 = await next();
    expect(r2).to.match(/^SIP\/2\.0 200 /);
    expect(r2).to.match(/^Contact:.*transport=ws>;expires=300/im);
    const b = await app.store.lookup(`sip:alice@${REALM}`);
    expect(b).to.have.length(1);
    expect(b[0].flowId).to.match(/^ws:127\.0\.0\.1:\d+$/);
    expect(b[0].flowId).to.equal(`ws:127.0.0.1:${b[0].source!.port}`);
    ws.close();
    const end = Date.now() + 5000;
    while ((await app.store.size()) > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(await app.store.size()).to.equal(0);
  });
});

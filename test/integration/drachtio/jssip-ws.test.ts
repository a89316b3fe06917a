/**
 * SIP over WebSocket (RFC 7118): a JsSIP user agent (as a browser would run it) registers and
 * sends a MESSAGE over ws:// to Tandem; an unmodified drachtio-srf app answers both.
 */
import { expect } from 'chai';
import JsSIP from 'jssip';
import type Srf from 'drachtio-srf';
import { SipStackCore } from '../../../src/drachtio/sip-stack-core.js';
import { DrachtioServer } from '../../../src/drachtio/drachtio-server.js';
import { asApp } from './srf-types.js';
import { connectSrf, freePort, SECRET, waitFor, type Rig } from './harness.js';

describe('drachtio-srf app serving a JsSIP UA over WebSocket', function () {
  this.timeout(20000);
  let rig: Rig;
  let srf: Srf | undefined;
  let ua: InstanceType<typeof JsSIP.UA> | undefined;

  beforeEach(async () => {
    const wsPort = await freePort();
    const core = SipStackCore.create({ listen: [`ws:127.0.0.1:${wsPort}`] });
    await core.start();
    const server = new DrachtioServer({ port: 0, secret: SECRET, sipStack: core });
    await server.start();
    rig = {
      core, server, sipPort: wsPort, drachtioPort: server.address().port,
      async close() { await server.close(); await core.close(); },
    };
  });
  afterEach(async () => {
    ua?.stop();
    srf?.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    await rig.close();
  });

  it('REGISTER and MESSAGE over ws reach the app; its answers reach JsSIP over the same connection', async () => {
    const seen: string[] = [];
    srf = await connectSrf(rig, (s) => {
      asApp(s).register((req, res) => {
        seen.push(`REGISTER ${/transport=ws/i.test(req.get('Contact') ?? '') ? 'ws-contact' : 'other'}`);
        res.send(200, { headers: { Contact: `${req.get('Contact')};expires=600`, Expires: '600' } });
      });
      (s as unknown as { message(h: (req: { body: string }, res: { send(n: number): void }) => void): void })
        .message((req, res) => { seen.push(`MESSAGE ${req.body}`); res.send(200); });
    }, ['register', 'message']);
    const socket = new JsSIP.WebSocketInterface(`ws://127.0.0.1:${rig.sipPort}`);
    ua = new JsSIP.UA({ sockets: [socket], uri: 'sip:alice@tandem.test', register: true, register_expires: 600 });
    let registered = false;
    ua.on('registered', () => { registered = true; });
    ua.start();
    await waitFor(() => registered, 'JsSIP registered');
    let delivered = false;
    ua.sendMessage('sip:bob@tandem.test', 'hello over ws', { eventHandlers: { succeeded: () => { delivered = true; } } });
    await waitFor(() => delivered, 'MESSAGE answered 200');
    expect(seen).to.deep.equal(['REGISTER ws-contact', 'MESSAGE hello over ws']);
  });

  it('the app reaches a UA registered over ws at its .invalid Contact, over the registration\'s connection', async () => {
    let contact = '';
    srf = await connectSrf(rig, (s) => asApp(s).register((req, res) => {
      contact = /<([^>]+)>/.exec(req.get('Contact') ?? '')?.[1] ?? '';
      res.send(200, { headers: { Contact: `${req.get('Contact')};expires=600` } });
    }), ['register']);
    const socket = new JsSIP.WebSocketInterface(`ws://127.0.0.1:${rig.sipPort}`);
    ua = new JsSIP.UA({ sockets: [socket], uri: 'sip:alice@tandem.test', register: true });
    let registered = false;
    const received: string[] = [];
    ua.on('registered', () => { registered = true; });
    ua.on('newMessage', (e: { originator: string; request: { body: string } }) => {
      if (e.originator === 'remote') received.push(e.request.body);
    });
    ua.start();
    await waitFor(() => registered, 'JsSIP registered');
    expect(contact).to.match(/\.invalid;transport=ws$/i);
    const req = await (srf as unknown as { request(uri: string, o: unknown): Promise<{ on(e: string, f: (r: { status: number }) => void): void }> })
      .request(contact, { method: 'MESSAGE', headers: { 'Content-Type': 'text/plain' }, body: 'hi browser' });
    const status = await new Promise<number>((resolve) => req.on('response', (r) => resolve(r.status)));
    expect(status).to.equal(200);
    expect(received).to.deep.equal(['hi browser']);
  });
});

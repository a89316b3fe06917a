import { expect } from 'chai';
import JsSIP from 'jssip';
import { SipRequest, SipStack, type SipResponse } from '../../../src/sip/index.js';

describe('SipStack with JsSIP over WebSocket (RFC 7118, real client library)', function () {
  this.timeout(20000);

  it('JsSIP registers; the stack reaches it back over the same WebSocket flow', async () => {
    const stack = new SipStack({ listen: ['ws:127.0.0.1:0'], advertisedHost: 'sbc.example.com' });
    await stack.start();
    const port = stack.listeningPoints()[0].port;
    JsSIP.debug.disable();
    const ua = new JsSIP.UA({ sockets: [new JsSIP.WebSocketInterface(`ws://127.0.0.1:${port}`)], uri: 'sip:alice@example.com', register: true });
    try {
      const registered = new Promise<SipRequest>((resolve) => {
        stack.on('request', (req, st) => {
          if (req.method !== 'REGISTER') return;
          st.respond(stack.createResponse(req, 200, { headers: [['Contact', req.get('contact')!]] }));
          resolve(req);
        });
      });
      const uaRegistered = new Promise<void>((resolve) => ua.on('registered', () => resolve()));
      const received = new Promise<string>((resolve) => ua.on('newMessage', (e: { originator: string; request: { body: string } }) => {
        if (e.originator === 'remote') resolve(e.request.body);
      }));
      ua.start();
      const reg = await registered;
      await uaRegistered;
      const via = reg.topVia();
      expect(via.transport).to.equal('WS');
      expect(via.host.endsWith('.invalid')).to.equal(true);
      expect(via.received).to.equal('127.0.0.1');
      expect(reg.contacts()[0].uri.transport).to.equal('ws');

      const msg = new SipRequest('MESSAGE', reg.contacts()[0].uri.toString());
      msg.add('From', '<sip:gw@example.com>');
      msg.add('To', '<sip:alice@example.com>');
      msg.add('Content-Type', 'text/plain');
      msg.body = Buffer.from('hello browser');
      const ct = await stack.sendRequest(msg, { flowId: reg.inbound!.flowId });
      const res = await new Promise<SipResponse>((resolve) => ct.on('response', resolve));
      expect(res.status).to.equal(200);
      expect(await received).to.equal('hello browser');
    } finally {
      ua.stop();
      await new Promise((r) => setTimeout(r, 200));
      await stack.close();
    }
  });
});

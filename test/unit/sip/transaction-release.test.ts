import { expect } from 'chai';
import {
  ManualClock, SipRequest, SipResponse, TransactionLayer, parseMessage,
  type SendTarget, type SentInfo, type ServerTransaction, type SipMessage,
} from '../../../src/sip/index.js';
import { testReply, testRequest } from './transaction-fixtures.js';
import { ExpiryQueue } from '../../../src/sip/transaction/expiry-queue.js';

// What a transaction keeps once it only absorbs retransmissions (RFC 3261 §17, RFC 6026), and
// the shared 64*T1 queue that ends it: at 1 000 calls/s some 100 000 such transactions are
// alive, so each must hold little and need no timer of its own.

const UDP: SendTarget = { transport: 'udp', host: '127.0.0.1', port: 5070, flowId: 'udp:1' };

function setup() {
  const clock = new ManualClock();
  const sent: Array<{ at: number; msg: SipMessage; text: string }> = [];
  const layer = new TransactionLayer({
    clock,
    send: (msg, target, cb) => {
      sent.push({ at: clock.now(), msg, text: msg.serialize().toString() });
      const info: SentInfo = { transport: 'udp', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: target.host, remotePort: target.port, flowId: 'udp:1' };
      cb(undefined, info);
    },
  });
  return { clock, sent, layer };
}

let calls = 0;
/** Each with its own Call-ID: ten thousand INVITEs sharing one would be merged requests (482). */
const request = (method: string, opts: { branch?: string } = {}): SipRequest => testRequest(method, { ...opts, callId: `call-${++calls}@test` });
const reply = testReply;

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('SIP transactions: release in absorbing states, shared 64*T1 queue', () => {
  describe('ExpiryQueue', () => {
    it('calls entries in order after the delay, with one clock timer for all of them', () => {
      const clock = new ManualClock();
      const q = new ExpiryQueue(clock, 1000);
      const fired: Array<[string, number]> = [];
      const entry = (name: string) => ({ onExpire: () => { fired.push([name, clock.now()]); } });
      q.add(entry('a'));
      clock.advance(300);
      q.add(entry('b'));
      q.add({ onExpire: () => { throw new Error('boom'); } });
      q.add(entry('c'));
      expect(clock.pending).to.equal(1);
      expect(q.size).to.equal(4);
      clock.advance(699);
      expect(fired).to.deep.equal([]);
      clock.advance(1);
      expect(fired).to.deep.equal([['a', 1000]]);
      clock.advance(300);
      // a throwing entry does not stop the ones behind it
      expect(fired).to.deep.equal([['a', 1000], ['b', 1300], ['c', 1300]]);
      expect(q.size).to.equal(0);
      expect(clock.pending).to.equal(0);
    });

    it('clear() drops every entry and its timer', () => {
      const clock = new ManualClock();
      const q = new ExpiryQueue(clock, 1000);
      let fired = 0;
      for (let i = 0; i < 5000; i++) q.add({ onExpire: () => { fired++; } });
      q.clear();
      expect(clock.pending).to.equal(0);
      clock.advance(5000);
      expect(fired).to.equal(0);
    });

    it('keeps working across compaction (more than 1 024 entries expired in one pass)', () => {
      const clock = new ManualClock();
      const q = new ExpiryQueue(clock, 100);
      let fired = 0;
      for (let i = 0; i < 3000; i++) q.add({ onExpire: () => { fired++; } });
      clock.advance(50);
      for (let i = 0; i < 10; i++) q.add({ onExpire: () => { fired++; } });
      clock.advance(50);
      expect(fired).to.equal(3000);
      expect(q.size).to.equal(10);
      clock.advance(50);
      expect(fired).to.equal(3010);
      expect(clock.pending).to.equal(0);
    });
  });

  describe('server transactions', () => {
    it('INVITE 2xx (Accepted): releases request and response, absorbs the INVITE, answers a late CANCEL with the 2xx To tag, ends at 64*T1', () => {
      const { clock, sent, layer } = setup();
      const sts: ServerTransaction[] = [];
      layer.on('request', (_r, st) => sts.push(st));
      const inv = request('INVITE');
      layer.receiveRequest(inv, UDP);
      const st = sts[0];
      st.respond(reply(inv, 180, 'tag180'));
      expect(st.released).to.equal(false);
      st.respond(reply(inv, 200, 'tag180'));
      expect(st.state).to.equal('accepted');
      expect(st.released).to.equal(true);
      expect(st.finalSent).to.equal(true);
      expect(st.lastResponse).to.equal(undefined);
      expect(errorCode(() => st.request)).to.equal('ERR_SIP_TRANSACTION_RELEASED');
      const before = sent.length;
      layer.receiveRequest(request('INVITE', { branch: inv.topVia().branch }), UDP); // retransmission: same branch
      expect(sent.length).to.equal(before);
      // CANCEL after the 2xx: 200 to the CANCEL with the dialog's To tag, no 487
      const cancel = parseMessage(Buffer.from(inv.serialize().toString().replace(/^INVITE/, 'CANCEL').replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL'))) as SipRequest;
      layer.receiveRequest(cancel, UDP);
      const replies = sent.slice(before).map((s) => s.msg as SipResponse);
      expect(replies.map((r) => r.status)).to.deep.equal([200]);
      expect(replies[0].toTag()).to.equal('tag180');
      clock.advance(31999);
      expect(st.state).to.equal('accepted');
      clock.advance(1);
      expect(st.state).to.equal('terminated');
      expect(layer.size.servers).to.equal(0);
    });

    it('non-INVITE (Completed): releases the request, resends the same response bytes, ends at 64*T1', () => {
      const { clock, sent, layer } = setup();
      const sts: ServerTransaction[] = [];
      layer.on('request', (_r, st) => sts.push(st));
      const bye = request('BYE');
      layer.receiveRequest(bye, UDP);
      sts[0].respond(reply(bye, 200));
      const first = sent[sent.length - 1].text;
      expect(sts[0].released).to.equal(true);
      expect(errorCode(() => sts[0].request)).to.equal('ERR_SIP_TRANSACTION_RELEASED');
      clock.advance(10000);
      layer.receiveRequest(request('BYE', { branch: bye.topVia().branch }), UDP);
      expect(sent[sent.length - 1].text).to.equal(first);
      expect(sent[sent.length - 1].at).to.equal(10000);
      clock.advance(22000);
      expect(sts[0].state).to.equal('terminated');
      expect(layer.size.servers).to.equal(0);
      expect(clock.pending).to.equal(0);
    });

    it('INVITE non-2xx keeps its response until the ACK (Completed), then releases it (Confirmed)', () => {
      const { clock, layer } = setup();
      const sts: ServerTransaction[] = [];
      layer.on('request', (_r, st) => sts.push(st));
      const inv = request('INVITE');
      layer.receiveRequest(inv, UDP);
      sts[0].respond(reply(inv, 486, 'busy'));
      expect(sts[0].released).to.equal(false);
      expect(sts[0].lastResponse?.status).to.equal(486);
      const ack = parseMessage(Buffer.from(inv.serialize().toString().replace(/^INVITE/, 'ACK').replace('CSeq: 1 INVITE', 'CSeq: 1 ACK').replace('To: <sip:bob@127.0.0.1>', 'To: <sip:bob@127.0.0.1>;tag=busy'))) as SipRequest;
      layer.receiveRequest(ack, UDP);
      expect(sts[0].state).to.equal('confirmed');
      expect(sts[0].released).to.equal(true);
      expect(sts[0].lastToTag()).to.equal('busy');
      clock.advance(5000);
      expect(sts[0].state).to.equal('terminated');
    });

    it('ten thousand Accepted transactions wait on one timer, not one each', () => {
      const { clock, layer } = setup();
      layer.on('request', (req, st) => st.respond(reply(req, 200)));
      for (let i = 0; i < 10000; i++) layer.receiveRequest(request('INVITE'), UDP);
      expect(layer.size.servers).to.equal(10000);
      expect(clock.pending).to.be.at.most(2);
      clock.advance(32000);
      expect(layer.size.servers).to.equal(0);
      expect(clock.pending).to.equal(0);
    });
  });

  describe('client transactions', () => {
    it('INVITE 2xx (Accepted): releases request, response and dead listeners; 2xx retransmissions still reach the TU; Timer M ends it', () => {
      const { clock, layer } = setup();
      const inv = request('INVITE');
      const ct = layer.createClientTransaction(inv, UDP);
      const events: string[] = [];
      ct.on('response', (r) => events.push(`response ${r.status}`));
      ct.on('timeout', () => events.push('timeout'));
      ct.on('retransmission', (r) => events.push(`retransmission ${r.status}`));
      ct.on('terminated', () => events.push('terminated'));
      layer.receiveResponse(reply(inv, 200));
      expect(ct.state).to.equal('accepted');
      expect(ct.released).to.equal(true);
      expect(ct.lastResponse).to.equal(undefined);
      expect(errorCode(() => ct.request)).to.equal('ERR_SIP_TRANSACTION_RELEASED');
      expect(ct.listenerCount('response')).to.equal(0);
      expect(ct.listenerCount('timeout')).to.equal(0);
      layer.receiveResponse(reply(inv, 200));
      clock.advance(32000);
      expect(events).to.deep.equal(['response 200', 'retransmission 200', 'terminated']);
      expect(layer.size.clients).to.equal(0);
      expect(clock.pending).to.equal(0);
    });

    it('non-INVITE (Completed): releases and ends after T4', () => {
      const { clock, layer } = setup();
      const bye = request('BYE');
      const ct = layer.createClientTransaction(bye, UDP);
      layer.receiveResponse(reply(bye, 200));
      expect(ct.state).to.equal('completed');
      expect(ct.released).to.equal(true);
      clock.advance(5000);
      expect(ct.state).to.equal('terminated');
    });

    it('INVITE non-2xx (Completed) keeps the request: the ACK is re-sent on a retransmitted final response', () => {
      const { sent, layer } = setup();
      const inv = request('INVITE');
      const ct = layer.createClientTransaction(inv, UDP);
      layer.receiveResponse(reply(inv, 486));
      expect(ct.released).to.equal(false);
      expect(ct.lastResponse?.status).to.equal(486);
      layer.receiveResponse(reply(inv, 486));
      expect(sent.filter((s) => s.msg instanceof SipRequest && s.msg.method === 'ACK')).to.have.length(2);
    });
  });
});

import { expect } from 'chai';
import {
  ManualClock, SipRequest, SipResponse, TransactionLayer,
  type SendTarget, type SipMessage,
} from '../../../src/sip/index.js';
import { testReply, testRequest } from './transaction-fixtures.js';

interface Sent {
  at: number;
  msg: SipMessage;
  target: SendTarget;
}

const UDP: SendTarget = { transport: 'udp', host: '127.0.0.1', port: 5070, flowId: 'udp:1' };
const TCP: SendTarget = { transport: 'tcp', host: '127.0.0.1', port: 5070, flowId: 'tcp:1' };

function setup(opts: { autoTrying?: boolean } = {}) {
  const clock = new ManualClock();
  const sent: Sent[] = [];
  const layer = new TransactionLayer({
    clock, autoTrying: opts.autoTrying,
    send: (msg, target) => { sent.push({ at: clock.now(), msg, target }); },
  });
  return { clock, sent, layer };
}

const request = testRequest;
const reply = testReply;

const times = (sent: Sent[], pred: (m: SipMessage) => boolean) => sent.filter((s) => pred(s.msg)).map((s) => s.at);
const isReq = (method: string) => (m: SipMessage) => m instanceof SipRequest && m.method === method;

describe('SIP transactions (RFC 3261 §17, manual clock)', () => {
  describe('INVITE client transaction', () => {
    it('retransmits with Timer A (500, 1000, 2000 …) and times out with Timer B at 64*T1', () => {
      const { clock, sent, layer } = setup();
      const inv = request('INVITE');
      const ct = layer.createClientTransaction(inv, UDP);
      let timedOut = -1;
      ct.on('timeout', () => { timedOut = clock.now(); });
      clock.advance(40000);
      expect(times(sent, isReq('INVITE'))).to.deep.equal([0, 500, 1500, 3500, 7500, 15500, 31500]);
      expect(timedOut).to.equal(32000);
      expect(ct.state).to.equal('terminated');
      expect(layer.size.clients).to.equal(0);
      expect(clock.pending).to.equal(0);
    });

    it('does not retransmit over TCP, Timer B still applies', () => {
      const { clock, sent, layer } = setup();
      const ct = layer.createClientTransaction(request('INVITE'), TCP);
      let timedOut = false;
      ct.on('timeout', () => { timedOut = true; });
      clock.advance(31999);
      expect(timedOut).to.equal(false);
      clock.advance(1);
      expect(timedOut).to.equal(true);
      expect(sent).to.have.length(1);
    });

    it('stops retransmitting on 1xx; on a non-2xx final sends ACK, absorbs retransmissions, Timer D 32 s', () => {
      const { clock, sent, layer } = setup();
      const inv = request('INVITE');
      const ct = layer.createClientTransaction(inv, UDP);
      const got: number[] = [];
      ct.on('response', (r) => got.push(r.status));
      clock.advance(600); // one retransmission at 500
      layer.receiveResponse(reply(inv, 180));
      clock.advance(10000);
      expect(times(sent, isReq('INVITE'))).to.deep.equal([0, 500]);
      layer.receiveResponse(reply(inv, 486));
      const acks = sent.filter((s) => isReq('ACK')(s.msg));
      expect(acks).to.have.length(1);
      const ack = acks[0].msg as SipRequest;
      expect(ack.uri).to.equal(inv.uri);
      expect(ack.topVia().branch).to.equal(inv.topVia().branch);
      expect(ack.cseq()).to.deep.equal({ seq: 1, method: 'ACK' });
      expect(ack.to().tag).to.equal('ttag');
      // retransmitted 486: re-ACK, not passed up
      layer.receiveResponse(reply(inv, 486));
      expect(sent.filter((s) => isReq('ACK')(s.msg))).to.have.length(2);
      expect(got).to.deep.equal([180, 486]);
      clock.advance(31999);
      expect(ct.state).to.equal('completed');
      clock.advance(1);
      expect(ct.state).to.equal('terminated');
    });

    it('2xx moves to Accepted (RFC 6026) and reports 2xx retransmissions separately; no ACK from the transaction', () => {
      const { clock, sent, layer } = setup();
      const inv = request('INVITE');
      const ct = layer.createClientTransaction(inv, UDP);
      const got: number[] = [];
      let retrans = 0;
      ct.on('response', (r) => got.push(r.status));
      ct.on('retransmission', () => { retrans++; });
      layer.receiveResponse(reply(inv, 200));
      layer.receiveResponse(reply(inv, 200));
      expect(got).to.deep.equal([200]);
      expect(retrans).to.equal(1);
      expect(sent.filter((s) => isReq('ACK')(s.msg))).to.have.length(0);
      clock.advance(32000);
      expect(ct.state).to.equal('terminated');
    });

    it('over TCP a non-2xx final ends the transaction at once (Timer D = 0)', () => {
      const { clock, sent, layer } = setup();
      const inv = request('INVITE');
      const ct = layer.createClientTransaction(inv, TCP);
      layer.receiveResponse(reply(inv, 603));
      expect(sent.filter((s) => isReq('ACK')(s.msg))).to.have.length(1);
      clock.advance(0);
      expect(ct.state).to.equal('terminated');
    });

    it('a synchronous transport error ends the transaction before any timer starts', () => {
      const clock = new ManualClock();
      const layer = new TransactionLayer({ clock, send: (_m, _t, cb) => cb(new Error('sync boom')) });
      const ct = layer.createClientTransaction(request('OPTIONS'), UDP);
      expect(ct.state).to.equal('terminated');
      expect(ct.error?.message).to.equal('sync boom');
      expect(clock.pending).to.equal(0);
      expect(layer.size.clients).to.equal(0);
    });

    it('a transport error ends the transaction and leaves no timers', () => {
      const clock = new ManualClock();
      const errors: Error[] = [];
      const layer = new TransactionLayer({ clock, send: (_m, _t, cb) => setImmediate(() => cb(new Error('boom'))) });
      const ct = layer.createClientTransaction(request('INVITE'), UDP);
      ct.on('transportError', (e) => errors.push(e));
      return new Promise<void>((resolve) => setImmediate(() => {
        expect(errors.map((e) => e.message)).to.deep.equal(['boom']);
        expect(ct.state).to.equal('terminated');
        expect(clock.pending).to.equal(0);
        expect(layer.size.clients).to.equal(0);
        resolve();
      }));
    });
  });

  describe('non-INVITE client transaction', () => {
    it('retransmits with Timer E at 500, 1s, 2s, 4s capped at T2, Timer F at 64*T1', () => {
      const { clock, sent, layer } = setup();
      const ct = layer.createClientTransaction(request('OPTIONS'), UDP);
      let timedOut = -1;
      ct.on('timeout', () => { timedOut = clock.now(); });
      clock.advance(40000);
      const t = times(sent, isReq('OPTIONS'));
      expect(t.slice(0, 6)).to.deep.equal([0, 500, 1500, 3500, 7500, 11500]);
      const gaps = t.slice(1).map((v, i) => v - t[i]);
      expect(Math.max(...gaps)).to.equal(4000);
      expect(timedOut).to.equal(32000);
    });

    it('in Proceeding retransmits every T2; final response → Timer K (T4)', () => {
      const { clock, sent, layer } = setup();
      const req = request('REGISTER');
      const ct = layer.createClientTransaction(req, UDP);
      layer.receiveResponse(reply(req, 100));
      clock.advance(500); // E fires at 500 → next at T2
      clock.advance(4000);
      expect(times(sent, isReq('REGISTER'))).to.deep.equal([0, 500, 4500]);
      layer.receiveResponse(reply(req, 200));
      expect(ct.state).to.equal('completed');
      clock.advance(4999);
      expect(ct.state).to.equal('completed');
      clock.advance(1);
      expect(ct.state).to.equal('terminated');
    });
  });

  describe('INVITE server transaction', () => {
    it('sends 100 Trying at once, answers retransmissions with the last response', () => {
      const { sent, layer } = setup();
      const inv = request('INVITE');
      const seen: SipRequest[] = [];
      layer.on('request', (r) => seen.push(r));
      layer.receiveRequest(inv, UDP);
      layer.receiveRequest(inv, UDP);
      expect(seen).to.have.length(1);
      expect(sent.map((s) => (s.msg as SipResponse).status)).to.deep.equal([100, 100]);
    });

    it('retransmits a non-2xx final with Timer G (T1 doubling to T2) until ACK; Timer I then ends it', () => {
      const { clock, sent, layer } = setup({ autoTrying: false });
      const inv = request('INVITE');
      let st: import('../../../src/sip/index.js').ServerTransaction | undefined;
      layer.on('request', (_r, s) => { st = s; });
      layer.receiveRequest(inv, UDP);
      st!.respond(reply(inv, 486));
      clock.advance(8000);
      expect(times(sent, (m) => m instanceof SipResponse && m.status === 486)).to.deep.equal([0, 500, 1500, 3500, 7500]);
      const ack = request('ACK', { branch: inv.topVia().branch, toTag: 'ttag' });
      let acked = false;
      st!.on('ack', () => { acked = true; });
      layer.receiveRequest(ack, UDP);
      expect(acked).to.equal(true);
      expect(st!.state).to.equal('confirmed');
      clock.advance(20000);
      expect(times(sent, (m) => m instanceof SipResponse && m.status === 486)).to.have.length(5);
      expect(st!.state).to.equal('terminated');
      expect(layer.size.servers).to.equal(0);
    });

    it('Timer H fires at 64*T1 without ACK', () => {
      const { clock, layer } = setup({ autoTrying: false });
      const inv = request('INVITE');
      let st: import('../../../src/sip/index.js').ServerTransaction | undefined;
      layer.on('request', (_r, s) => { st = s; });
      layer.receiveRequest(inv, UDP);
      st!.respond(reply(inv, 500));
      let timeout = -1;
      st!.on('timeout', () => { timeout = clock.now(); });
      clock.advance(40000);
      expect(timeout).to.equal(32000);
      expect(clock.pending).to.equal(0);
    });

    it('CANCEL: 200 to the CANCEL, 487 to the INVITE (§9.2)', () => {
      const { sent, layer } = setup();
      const inv = request('INVITE');
      let cancelled = false;
      layer.on('cancel', () => { cancelled = true; });
      layer.receiveRequest(inv, UDP);
      const cancel = request('CANCEL', { branch: inv.topVia().branch });
      layer.receiveRequest(cancel, UDP);
      expect(cancelled).to.equal(true);
      const statuses = sent.map((s) => `${(s.msg as SipResponse).status} ${(s.msg as SipResponse).cseq().method}`);
      expect(statuses).to.deep.equal(['100 INVITE', '200 CANCEL', '487 INVITE']);
      // same To tag on both
      expect((sent[1].msg as SipResponse).to().tag).to.equal((sent[2].msg as SipResponse).to().tag);
    });

    it('CANCEL after a final response: only 200 to the CANCEL; unmatched CANCEL: 481', () => {
      const { sent, layer } = setup();
      const inv = request('INVITE');
      layer.on('request', (r, st) => st.respond(reply(r, 200)));
      layer.receiveRequest(inv, UDP);
      layer.receiveRequest(request('CANCEL', { branch: inv.topVia().branch }), UDP);
      layer.receiveRequest(request('CANCEL', { branch: 'z9hG4bKnomatch' }), UDP);
      const statuses = sent.map((s) => `${(s.msg as SipResponse).status} ${(s.msg as SipResponse).cseq().method}`);
      expect(statuses).to.deep.equal(['100 INVITE', '200 INVITE', '200 CANCEL', '481 CANCEL']);
    });

    it('matches RFC 2543 requests without a magic-cookie branch', () => {
      const { sent, layer } = setup();
      const inv = request('INVITE', { branch: 'oldstyle1' });
      const seen: SipRequest[] = [];
      layer.on('request', (r, st) => { seen.push(r); st.respond(reply(r, 404, 'x1')); });
      layer.receiveRequest(inv, UDP);
      layer.receiveRequest(request('INVITE', { branch: 'oldstyle1' }), UDP); // retransmission (same everything)
      expect(seen).to.have.length(1);
      let acked = 0;
      layer.on('ack', () => { acked++; });
      layer.receiveRequest(request('ACK', { branch: 'oldstyle1', toTag: 'x1' }), UDP);
      expect(acked, 'the ACK was absorbed by the transaction').to.equal(0);
      expect(sent.filter((s) => (s.msg as SipResponse).status === 404)).to.have.length(2);
    });

    it('answers a merged request (same From tag/Call-ID/CSeq, other branch) with 482', () => {
      const { sent, layer } = setup();
      layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKpath1', cseq: 7 }), UDP);
      layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKpath2', cseq: 7 }), UDP);
      expect(sent.map((s) => (s.msg as SipResponse).status)).to.deep.equal([100, 482]);
    });

    it('passes an ACK for a 2xx up to the TU', () => {
      const { layer } = setup();
      const acks: SipRequest[] = [];
      layer.on('ack', (a) => acks.push(a));
      const inv = request('INVITE');
      layer.on('request', (r, st) => st.respond(reply(r, 200)));
      layer.receiveRequest(inv, UDP);
      layer.receiveRequest(request('ACK', { branch: 'z9hG4bKnewbranch', toTag: 'ttag' }), UDP);
      expect(acks).to.have.length(1);
    });
  });

  describe('non-INVITE server transaction', () => {
    it('Timer J (64*T1) over UDP, 0 over TCP; retransmissions get the last response', () => {
      const { clock, sent, layer } = setup();
      const sts: import('../../../src/sip/index.js').ServerTransaction[] = [];
      layer.on('request', (r, st) => { sts.push(st); st.respond(reply(r, 200)); });
      const opt = request('OPTIONS');
      layer.receiveRequest(opt, UDP);
      layer.receiveRequest(opt, UDP);
      expect(sent).to.have.length(2);
      clock.advance(31999);
      expect(sts[0].state).to.equal('completed');
      clock.advance(1);
      expect(sts[0].state).to.equal('terminated');
      layer.receiveRequest(request('OPTIONS'), TCP);
      clock.advance(0);
      expect(sts[1].state).to.equal('terminated');
    });
  });

  it('close() terminates everything and leaves no timers', () => {
    const { clock, layer } = setup();
    layer.createClientTransaction(request('INVITE'), UDP);
    layer.receiveRequest(request('OPTIONS'), UDP);
    layer.close();
    expect(layer.size).to.deep.equal({ clients: 0, servers: 0 });
    expect(clock.pending).to.equal(0);
  });
});

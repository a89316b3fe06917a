import { expect } from 'chai';
import { Dialog, SipRequest, SipResponse, createResponse, parseMessage } from '../../../src/sip/index.js';

function invite(extra: string[] = []): SipRequest {
  return parseMessage(Buffer.from([
    'INVITE sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKd1',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>',
    'Call-ID: dlg-1',
    'CSeq: 10 INVITE',
    'Contact: <sip:alice@10.0.0.1:5060>',
    ...extra,
    'Content-Length: 0', '', '',
  ].join('\r\n'))) as SipRequest;
}

function answer(req: SipRequest, status: number, extra: Array<[string, string]> = []): SipResponse {
  return parseMessage(createResponse(req, status, { toTag: 'b1', headers: [['Contact', '<sip:bob@10.0.0.2:5070>'], ...extra] }).serialize()) as SipResponse;
}

describe('Dialog (RFC 3261 §12)', () => {
  it('UAC: early on 1xx with tag, confirmed on 2xx; route set = Record-Route reversed', () => {
    const req = invite();
    const rr: Array<[string, string]> = [['Record-Route', '<sip:p2.example.com;lr>, <sip:p1.example.com;lr>']];
    const d = Dialog.asUac(req, answer(req, 180, rr));
    expect(d.state).to.equal('early');
    expect(d.id).to.deep.equal({ callId: 'dlg-1', localTag: 'a1', remoteTag: 'b1' });
    expect(d.routeSet.map((r) => r.uri.host)).to.deep.equal(['p1.example.com', 'p2.example.com']);
    d.updateFromResponse(answer(req, 200, rr));
    expect(d.state).to.equal('confirmed');
    expect(d.remoteTarget.toString()).to.equal('sip:bob@10.0.0.2:5070');
    const bye = d.createRequest('BYE');
    expect(bye.uri).to.equal('sip:bob@10.0.0.2:5070');
    expect(bye.getAll('route')).to.deep.equal(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(bye.cseq()).to.deep.equal({ seq: 11, method: 'BYE' });
    expect(bye.from().tag).to.equal('a1');
    expect(bye.to().tag).to.equal('b1');
    expect(d.state).to.equal('terminated');
  });

  it('ACK and CANCEL reuse the INVITE CSeq; strict routing puts the first route in the Request-URI', () => {
    const req = invite();
    const d = Dialog.asUac(req, answer(req, 200, [['Record-Route', '<sip:strict.example.com>']]));
    const ack = d.createRequest('ACK');
    expect(ack.cseq()).to.deep.equal({ seq: 10, method: 'ACK' });
    expect(ack.uri).to.equal('sip:strict.example.com');
    expect(ack.getAll('route')).to.deep.equal(['<sip:bob@10.0.0.2:5070>']);
  });

  it('UAS: route set in order, remote target from the request Contact, CSeq ordering and target refresh', () => {
    const req = invite(['Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>']);
    const d = Dialog.asUas(req, answer(req, 200));
    expect(d.role).to.equal('uas');
    expect(d.id).to.deep.equal({ callId: 'dlg-1', localTag: 'b1', remoteTag: 'a1' });
    expect(d.routeSet.map((r) => r.uri.host)).to.deep.equal(['p1.example.com', 'p2.example.com']);
    expect(d.remoteTarget.toString()).to.equal('sip:alice@10.0.0.1:5060');
    const reinvite = parseMessage(Buffer.from([
      'INVITE sip:bob@10.0.0.2:5070 SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKd2',
      'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.com>;tag=b1', 'Call-ID: dlg-1',
      'CSeq: 11 INVITE', 'Contact: <sip:alice@10.9.9.9:5080>', 'Content-Length: 0', '', '',
    ].join('\r\n'))) as SipRequest;
    expect(Dialog.keyOfIncoming(reinvite)).to.equal(d.key);
    expect(d.receiveRequest(reinvite)).to.equal(0);
    expect(d.remoteTarget.toString()).to.equal('sip:alice@10.9.9.9:5080');
    expect(d.receiveRequest(reinvite), 'an old CSeq is refused with 500').to.equal(500);
    const req2 = d.createRequest('INFO');
    expect(req2.cseq().seq).to.equal(1);
    expect(req2.uri).to.equal('sip:alice@10.9.9.9:5080');
  });

  it('refuses requests on a terminated dialog and needs a To tag to exist', () => {
    const req = invite();
    const d = Dialog.asUac(req, answer(req, 200));
    d.createRequest('BYE');
    expect(() => d.createRequest('INFO')).to.throw(/terminated/);
    const noTag = parseMessage(createResponse(req, 200).serialize()) as SipResponse;
    expect(() => Dialog.asUac(req, noTag)).to.throw(/To tag/);
  });
});

import { expect } from 'chai';
import {
  SipParseError, SipResponse, errorResponseFor, parseMessage, validateMessage, type SipRequest,
} from '../../../src/sip/index.js';

/** Parse + validate; returns the SipParseError (fails the test if accepted). */
function reject(buf: Buffer): SipParseError {
  try {
    validateMessage(parseMessage(buf));
  } catch (e) {
    expect(e).to.be.instanceOf(SipParseError);
    return e as SipParseError;
  }
  expect.fail('message was accepted');
}

const OPTIONS_HEAD = [
  'OPTIONS sip:user@example.org SIP/2.0',
  'Via: SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw',
  'Max-Forwards: 70',
  'From: <sip:a@example.com>;tag=43',
  'To: <sip:user@example.org>',
  'Call-ID: edge.31415@c.example.com',
  'CSeq: 1 OPTIONS',
  'l: 0',
];

describe('datagram edge cases (RFC 3261 §7, §18.3)', () => {
  it('headers closed only by the end of the datagram: rejected, but answered 400 (RFC 4475 A.1 baddn.dat)', () => {
    const err = reject(Buffer.from(OPTIONS_HEAD.join('\r\n') + '\r\n'));
    expect(err.message).to.match(/no empty line/);
    const req = err.partial as SipRequest;
    expect(req.method).to.equal('OPTIONS');
    expect(req.callId).to.equal('edge.31415@c.example.com');
    expect(req.body.length).to.equal(0);
    const res = errorResponseFor(err);
    expect(res).to.be.instanceOf(SipResponse);
    expect(res!.status).to.equal(400);
    expect(res!.get('via')).to.equal('SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw');
  });

  it('bare-LF variant is handled the same way', () => {
    const err = reject(Buffer.from(OPTIONS_HEAD.join('\n') + '\n'));
    expect(errorResponseFor(err)?.status).to.equal(400);
  });

  it('a datagram cut inside a header line is still rejected without an answer', () => {
    const err = reject(Buffer.from(OPTIONS_HEAD.join('\r\n').slice(0, -3)));
    expect(err.message).to.match(/no empty line/);
    expect(err.partial).to.equal(undefined);
    expect(errorResponseFor(err)).to.equal(undefined);
  });

  it('the same request with its empty line is accepted', () => {
    const msg = parseMessage(Buffer.from(OPTIONS_HEAD.join('\r\n') + '\r\n\r\n'));
    validateMessage(msg);
    expect(msg.cseq()).to.deep.equal({ seq: 1, method: 'OPTIONS' });
  });
});

describe('errorResponseFor never builds an answer our own parser would refuse', () => {
  const start = 'NEWMETHOD sip:user@example.com SIP/2.0\r\n';
  const via = 'Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n';

  it('a request at the header-count limit (256 Vias) is dropped, not answered with 257 lines', () => {
    const err = reject(Buffer.from(start + via.repeat(256) + '\r\n'));
    expect(err.partial, 'the request itself was readable').to.not.equal(undefined);
    expect(errorResponseFor(err)).to.equal(undefined);
  });

  it('one header below the limit is still answered, and the answer parses', () => {
    const err = reject(Buffer.from(start + via.repeat(255) + '\r\n'));
    const res = errorResponseFor(err);
    expect(res?.status).to.equal(400);
    const back = parseMessage(res!.serialize());
    expect(back.vias()).to.have.length(255);
  });

  it('a To header at the line-size limit (its tag would overflow it) is dropped', () => {
    const longTo = `To: <sip:${'u'.repeat(8192 - 'To: <sip:@example.org>'.length)}@example.org>`;
    expect(Buffer.byteLength(longTo)).to.equal(8192);
    const req = ['OPTIONS sip:user@example.org SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKy', longTo,
      'Call-ID: x', 'CSeq: 1 INVITE', 'l: 0', '', ''].join('\r\n');
    const err = reject(Buffer.from(req)); // missing From
    expect(err.partial).to.not.equal(undefined);
    expect(errorResponseFor(err)).to.equal(undefined);
  });
});

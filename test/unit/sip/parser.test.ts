import { expect } from 'chai';
import {
  NameAddr, SipParseError, SipRequest, SipResponse, SipUri, StreamFramer, Via, createResponse, parseMessage, splitList,
  validateMessage,
} from '../../../src/sip/index.js';

const msg = (...lines: string[]) => Buffer.from(lines.join('\r\n'));

function parseError(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(SipParseError);
    return e as SipParseError;
  }
  expect.fail('no error');
}

const BASIC = [
  'INVITE sip:bob@example.com SIP/2.0',
  'v: SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK1;rport;received=192.0.2.1;maddr=239.1.1.1;ttl=16',
  'f: "Alice \\"A\\"" <sip:alice@example.com>;tag=1',
  't: sip:bob@example.com',
  'i: abc@host',
  'CSeq: 1 INVITE',
  'm: <sip:alice@[2001:db8::1]:5062;transport=tcp>;expires=60, "B, c" <sip:b@h>',
  'Max-Forwards: 70',
  'k: timer, 100rel',
  'c: application/sdp',
  'l: 4',
  '',
  'v=0\r\n',
];

describe('SIP message model and parser', () => {
  it('looks headers up by canonical name (compact forms, any case) and keeps names as written', () => {
    const m = parseMessage(msg(...BASIC));
    expect(m.get('Call-ID')).to.equal('abc@host');
    expect(m.get('CALL-id')).to.equal('abc@host');
    expect(m.get('supported')).to.equal('timer, 100rel');
    expect(m.getAll('Supported')).to.deep.equal(['timer', '100rel']);
    expect(m.headers[0].name).to.equal('v');
    expect(m.body.toString()).to.equal('v=0\r\n'.slice(0, 4));
  });

  it('parses Via with IPv6, branch, received, rport, maddr, ttl', () => {
    const via = parseMessage(msg(...BASIC)).topVia();
    expect(via.host).to.equal('[2001:db8::1]');
    expect(via.port).to.equal(5062);
    expect(via.branch).to.equal('z9hG4bK1');
    expect(via.rport).to.equal(true);
    expect(via.received).to.equal('192.0.2.1');
    expect(via.maddr).to.equal('239.1.1.1');
    expect(via.ttl).to.equal(16);
    expect(Via.parse(via.toString()).toString()).to.equal(via.toString());
  });

  it('splits Contact lists outside quotes and <>; parses name-addr and addr-spec', () => {
    const m = parseMessage(msg(...BASIC));
    const [c1, c2] = m.contacts();
    expect(c1.uri.host).to.equal('[2001:db8::1]');
    expect(c1.uri.hostname).to.equal('2001:db8::1');
    expect(c1.uri.transport).to.equal('tcp');
    expect(c1.param('expires')).to.equal('60');
    expect(c2.displayName).to.equal('B, c');
    expect(m.from().displayName).to.equal('Alice "A"');
    expect(m.to().uri.user).to.equal('bob');
    expect(NameAddr.parse(c2.toString()).displayName).to.equal('B, c');
    expect(splitList('a, "x,y" <sip:q,r@h>, b')).to.deep.equal(['a', '"x,y" <sip:q,r@h>', 'b']);
    expect(NameAddr.parse('*').wildcard).to.equal(true);
  });

  it('parses URIs: sip/sips/tel, user, password, port, params, headers', () => {
    const u = SipUri.parse('sips:alice:secret@example.com:5061;transport=tcp;lr?subject=hi&priority=urgent');
    expect([u.scheme, u.user, u.password, u.host, u.port]).to.deep.equal(['sips', 'alice', 'secret', 'example.com', 5061]);
    expect(u.params.get('lr')).to.equal(null);
    expect(u.headers.get('priority')).to.equal('urgent');
    expect(u.toString()).to.equal('sips:alice:secret@example.com:5061;transport=tcp;lr?subject=hi&priority=urgent');
    const t = SipUri.parse('tel:+1-201-555-0123;phone-context=example.com');
    expect(t.user).to.equal('+1-201-555-0123');
    expect(t.params.get('phone-context')).to.equal('example.com');
    expect(SipUri.parse('sip:[::1]:5060').hostname).to.equal('::1');
    parseError(() => SipUri.parse('sip:host:99999'));
    parseError(() => SipUri.parse('sip:bad host'));
    parseError(() => SipUri.parse('sip:[::1'));
  });

  it('unfolds continuation lines into one SP', () => {
    const m = parseMessage(msg('OPTIONS sip:a@b SIP/2.0', 'Subject: one', '  two', '\tthree', '', ''));
    expect(m.get('subject')).to.equal('one two three');
  });

  it('enforces limits with typed errors (413 for size, Header Too Large for headers)', () => {
    const big = Buffer.concat([msg(...BASIC.slice(0, -1)), Buffer.alloc(70000, 0x41)]);
    const e1 = parseError(() => parseMessage(big));
    expect([e1.code, e1.status]).to.deep.equal(['ERR_SIP_TOO_LARGE', 413]);
    const many = msg('OPTIONS sip:a@b SIP/2.0', ...Array.from({ length: 300 }, (_, i) => `X-${i}: y`), '', '');
    const e2 = parseError(() => parseMessage(many));
    expect(e2.code).to.equal('ERR_SIP_HEADER_TOO_LARGE');
    const long = msg('OPTIONS sip:a@b SIP/2.0', `X-Long: ${'z'.repeat(9000)}`, '', '');
    expect(parseError(() => parseMessage(long)).code).to.equal('ERR_SIP_HEADER_TOO_LARGE');
    expect(() => parseMessage(long, { limits: { maxHeaderSize: 20000 } })).to.not.throw();
  });

  it('serializes in header order with a recomputed Content-Length; round-trips', () => {
    const m = parseMessage(msg(...BASIC)) as SipRequest;
    m.body = Buffer.from('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n');
    const again = parseMessage(m.serialize());
    expect(again.headers.map((h) => h.name)).to.deep.equal(m.headers.map((h) => h.name));
    expect(again.get('l')).to.equal(String(m.body.length));
    expect(again.body.equals(m.body)).to.equal(true);
  });

  it('ignores leading CRLFs and accepts bare LF line ends', () => {
    const m = parseMessage(Buffer.from('\r\n\r\nOPTIONS sip:a@b SIP/2.0\nCall-ID: x\n\n'));
    expect((m as SipRequest).method).to.equal('OPTIONS');
    expect(m.callId).to.equal('x');
  });

  it('validates mandatory headers; unknown URI scheme is 416; SIP/3.0 is 505', () => {
    const base = BASIC.slice(0, -2).filter((l) => !l.startsWith('l:'));
    expect(() => validateMessage(parseMessage(msg(...base, '', '')))).to.not.throw();
    expect(parseError(() => validateMessage(parseMessage(msg(...base.filter((l) => !l.startsWith('i:')), '', '')))).message).to.contain('call-id');
    const e = parseError(() => parseMessage(msg('OPTIONS sip:a@b SIP/3.0', 'Via: SIP/2.0/UDP h', '', '')));
    expect(e.status).to.equal(505);
  });

  it('createResponse copies Via/From/To/Call-ID/CSeq, adds the To tag, Record-Route for 2xx INVITE', () => {
    const req = parseMessage(msg(...BASIC.slice(0, 6), 'Record-Route: <sip:p1;lr>', 'Timestamp: 54', '', '')) as SipRequest;
    const res = createResponse(req, 200, { toTag: 'xyz' });
    expect(res.to().tag).to.equal('xyz');
    expect(res.get('record-route')).to.equal('<sip:p1;lr>');
    expect(res.get('timestamp')).to.equal(undefined);
    expect(createResponse(req, 100).get('timestamp')).to.equal('54');
    expect(createResponse(req, 100).to().tag).to.equal(undefined);
    expect(res.reason).to.equal('OK');
    expect(parseMessage(res.serialize())).to.be.instanceOf(SipResponse);
  });

  it('message mutation helpers: set/prepend/remove/setTopVia/removeTopVia', () => {
    const m = parseMessage(msg('OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2', 'Via: SIP/2.0/UDP c', '', ''));
    const v = m.topVia();
    v.params.set('received', '10.0.0.1');
    m.setTopVia(v);
    expect(m.vias().map((x) => x.host)).to.deep.equal(['a', 'b', 'c']);
    expect(m.topVia().received).to.equal('10.0.0.1');
    m.removeTopVia();
    expect(m.vias().map((x) => x.host)).to.deep.equal(['b', 'c']);
    m.prepend('Via', 'SIP/2.0/UDP z');
    expect(m.topVia().host).to.equal('z');
    m.set('Subject', 'x').set('subject', 'y');
    expect(m.getAll('subject')).to.deep.equal(['y']);
    m.remove('v');
    expect(m.has('via')).to.equal(false);
  });

  describe('StreamFramer (RFC 3261 §18.3, RFC 5626 §4.4.1)', () => {
    const one = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc';
    it('frames by Content-Length across chunk boundaries', () => {
      const f = new StreamFramer();
      const bytes = Buffer.from(one + one);
      const items = [...f.push(bytes.subarray(0, 10)), ...f.push(bytes.subarray(10, 50)), ...f.push(bytes.subarray(50))];
      expect(items.map((i) => i.kind)).to.deep.equal(['message', 'message']);
      expect(f.pending).to.equal(0);
    });
    it('reports CRLF CRLF as ping and a lone CRLF as pong', () => {
      const f = new StreamFramer();
      expect(f.push(Buffer.from('\r\n\r\n')).map((i) => i.kind)).to.deep.equal(['ping']);
      expect(f.push(Buffer.from('\r\n')).map((i) => i.kind)).to.deep.equal(['pong']);
      expect(f.push(Buffer.from('\r\n\r\n' + one)).map((i) => i.kind)).to.deep.equal(['ping', 'message']);
    });
    it('throws typed errors for oversize and bad Content-Length', () => {
      expect(parseError(() => new StreamFramer({ maxMessageSize: 100 }).push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 500\r\n\r\n'))).code).to.equal('ERR_SIP_TOO_LARGE');
      expect(parseError(() => new StreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: -5\r\n\r\n'))).code).to.equal('ERR_SIP_PARSE');
      expect(parseError(() => new StreamFramer({ maxMessageSize: 100 }).push(Buffer.alloc(200, 0x41))).code).to.equal('ERR_SIP_TOO_LARGE');
    });
  });
});

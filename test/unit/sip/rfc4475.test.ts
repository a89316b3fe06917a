import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  SipParseError, SipRequest, SipResponse, errorResponseFor, parseMessage, validateMessage,
  type SipMessage,
} from '../../../src/sip/index.js';
import { sipFixturesDir } from './sip-paths.js';

const dir = path.join(sipFixturesDir, 'rfc4475');
const load = (name: string): Buffer => readFileSync(path.join(dir, `${name}.dat`));

/** Parse + validate as the stack does on receipt. */
function receive(name: string): SipMessage {
  const msg = parseMessage(load(name));
  validateMessage(msg);
  return msg;
}

/** Parse + validate must fail; returns the error. */
function reject(name: string): SipParseError {
  try {
    receive(name);
  } catch (e) {
    expect(e).to.be.instanceOf(SipParseError);
    return e as SipParseError;
  }
  expect.fail(`${name} was accepted`);
}

const withoutCl = (m: SipMessage) => m.headers.filter((h) => !/^(content-length|l)$/i.test(h.name));

function roundTrip(msg: SipMessage): void {
  const again = parseMessage(msg.serialize());
  validateMessage(again);
  expect(again.startLine()).to.equal(msg.startLine());
  // same headers in the same order (Content-Length is recomputed, and added when absent)
  expect(withoutCl(again)).to.deep.equal(withoutCl(msg));
  expect(Number(again.get('content-length'))).to.equal(msg.body.length);
  expect(again.body.equals(msg.body)).to.equal(true);
  // parse → serialize is a fixed point
  expect(parseMessage(again.serialize()).serialize().equals(again.serialize())).to.equal(true);
}

/** Expected outcome of each RFC 4475 message. */
const EXPECT: Record<string, { section: string; outcome: 'accept' | number | 'drop' }> = {
  wsinv: { section: '3.1.1.1', outcome: 'accept' },
  intmeth: { section: '3.1.1.2', outcome: 'accept' },
  esc01: { section: '3.1.1.3', outcome: 'accept' },
  escnull: { section: '3.1.1.4', outcome: 'accept' },
  esc02: { section: '3.1.1.5', outcome: 'accept' },
  lwsdisp: { section: '3.1.1.6', outcome: 'accept' },
  longreq: { section: '3.1.1.7', outcome: 'accept' },
  dblreq: { section: '3.1.1.8', outcome: 'accept' },
  semiuri: { section: '3.1.1.9', outcome: 'accept' },
  transports: { section: '3.1.1.10', outcome: 'accept' },
  mpart01: { section: '3.1.1.11', outcome: 'accept' },
  unreason: { section: '3.1.1.12', outcome: 'accept' },
  noreason: { section: '3.1.1.13', outcome: 'accept' },
  badinv01: { section: '3.1.2.1', outcome: 400 },
  clerr: { section: '3.1.2.2', outcome: 400 },
  ncl: { section: '3.1.2.3', outcome: 400 },
  scalar02: { section: '3.1.2.4', outcome: 400 },
  scalarlg: { section: '3.1.2.5', outcome: 'drop' },
  quotbal: { section: '3.1.2.6', outcome: 400 },
  ltgtruri: { section: '3.1.2.7', outcome: 400 },
  lwsruri: { section: '3.1.2.8', outcome: 400 },
  lwsstart: { section: '3.1.2.9', outcome: 400 },
  trws: { section: '3.1.2.10', outcome: 400 },
  // §3.1.2.11–13: the RFC lets an element be liberal; we accept (and never forward URI headers).
  escruri: { section: '3.1.2.11', outcome: 'accept' },
  baddate: { section: '3.1.2.12', outcome: 'accept' },
  regbadct: { section: '3.1.2.13', outcome: 'accept' },
  badaspec: { section: '3.1.2.14', outcome: 400 },
  baddn: { section: '3.1.2.15', outcome: 400 },
  badvers: { section: '3.1.2.16', outcome: 505 },
  mismatch01: { section: '3.1.2.17', outcome: 400 },
  // §3.1.2.18 allows 400 or 501; the CSeq check comes before method support, so 400.
  mismatch02: { section: '3.1.2.18', outcome: 400 },
  bigcode: { section: '3.1.2.19', outcome: 'drop' },
  badbranch: { section: '3.2.1', outcome: 'accept' },
  insuf: { section: '3.3.1', outcome: 400 },
  unkscm: { section: '3.3.2', outcome: 416 },
  novelsc: { section: '3.3.3', outcome: 416 },
  unksm2: { section: '3.3.4', outcome: 'accept' },
  bext01: { section: '3.3.5', outcome: 'accept' },
  invut: { section: '3.3.6', outcome: 'accept' },
  regaut01: { section: '3.3.7', outcome: 'accept' },
  multi01: { section: '3.3.8', outcome: 400 },
  mcl01: { section: '3.3.9', outcome: 400 },
  bcast: { section: '3.3.10', outcome: 'accept' },
  zeromf: { section: '3.3.11', outcome: 'accept' },
  cparam01: { section: '3.3.12', outcome: 'accept' },
  cparam02: { section: '3.3.13', outcome: 'accept' },
  regescrt: { section: '3.3.14', outcome: 'accept' },
  sdp01: { section: '3.3.15', outcome: 'accept' },
  inv2543: { section: '3.4.1', outcome: 'accept' },
};

describe('RFC 4475 torture tests', () => {
  it('has an expectation for every fixture and a fixture for every expectation', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.dat')).map((f) => f.slice(0, -4)).sort();
    expect(files).to.deep.equal(Object.keys(EXPECT).sort());
  });

  for (const [name, { section, outcome }] of Object.entries(EXPECT)) {
    if (outcome === 'accept') {
      it(`§${section} ${name}: accepted and round-trips`, () => {
        roundTrip(receive(name));
      });
    } else if (outcome === 'drop') {
      it(`§${section} ${name}: invalid response is dropped`, () => {
        const err = reject(name);
        expect(errorResponseFor(err)).to.equal(undefined);
      });
    } else {
      it(`§${section} ${name}: answered ${outcome}`, () => {
        const err = reject(name);
        const res = errorResponseFor(err);
        expect(res, 'a response is built').to.be.instanceOf(SipResponse);
        expect(res!.status).to.equal(outcome);
        const back = parseMessage(res!.serialize());
        expect(back.get('via')).to.equal((err.partial as SipRequest).get('via'));
      });
    }
  }

  describe('valid messages carry the values the RFC describes', () => {
    it('3.1.1.1 wsinv', () => {
      const req = receive('wsinv') as SipRequest;
      expect(req.method).to.equal('INVITE');
      expect(req.requestUri().params.has('unknownparam')).to.equal(true);
      expect(req.to().tag).to.equal('1918181833n');
      expect(req.from().tag).to.equal('98asjd8');
      expect(req.from().displayName).to.equal('J Rosenberg \\"');
      expect(req.maxForwards).to.equal(68);
      expect(req.cseq()).to.deep.equal({ seq: 9, method: 'INVITE' });
      const vias = req.vias();
      expect(vias.map((v) => [v.transport, v.host, v.branch])).to.deep.equal([
        ['UDP', '192.0.2.2', '390skdjuw'],
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ]);
      expect(req.get('s')).to.equal('');
      expect(req.get('Subject')).to.equal('');
      expect(req.get('newfangledheader')).to.equal('newfangled value continued newfangled value');
      expect(req.get('UnknownHeaderWithUnusualValue')).to.equal(';;,,;;,;');
      const [contact] = req.contacts();
      expect(contact.displayName).to.equal('Quoted string ""');
      expect(contact.param('newparam')).to.equal('newvalue');
      expect(contact.params.has('secondparam')).to.equal(true);
      expect(contact.param('q')).to.equal('0.33');
      expect(req.routes()[0].uri.params.get('unknownwith')).to.equal('value');
      expect(req.body.length).to.equal(150);
      // original header names and order are kept
      expect(req.headers.map((h) => h.name).slice(0, 4)).to.deep.equal(['TO', 'from', 'MaX-fOrWaRdS', 'Call-ID']);
    });

    it('3.1.1.2 intmeth', () => {
      const req = receive('intmeth') as SipRequest;
      const method = "!interesting-Method0123456789_*+`.%indeed'~";
      expect(req.method).to.equal(method);
      expect(req.cseq().method).to.equal(method);
      const uri = req.requestUri();
      expect(uri.user).to.equal("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
      expect(uri.password).to.equal("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
      expect(uri.host).to.equal('example.com');
      expect(req.topVia().branch).to.equal("z9hG4bK-.!%66*_+`'~");
      expect(req.to().displayName).to.equal('BEL:\x07 NUL:\x00 DEL:\x7f');
      expect(req.from().displayName).to.equal("token1~` token2'+_ token3*%!.-");
      expect(req.from().tag).to.equal("_token~1'+`*%!-.");
      expect(req.callId).to.equal('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    });

    it('3.1.1.3 esc01 keeps escapes', () => {
      const req = receive('esc01') as SipRequest;
      const uri = req.requestUri();
      expect(uri.user).to.equal('sips%3Auser%40example.com');
      expect(uri.host).to.equal('example.net');
      expect(req.get('c')).to.equal('application/sdp');
      expect(req.callId).to.equal('esc01.239409asdfakjkn23onasd0-3234');
    });

    it('3.1.1.4 escnull keeps %00 escaped', () => {
      const req = receive('escnull');
      const text = req.toString();
      expect(text.includes('\x00')).to.equal(false);
      expect(req.contacts().map((c) => c.uri.user)).to.deep.equal(['%00', '%00%00']);
    });

    it('3.1.1.5 esc02 method is not REGISTER', () => {
      expect((receive('esc02') as SipRequest).method).to.equal('RE%47IST%45R');
    });

    it('3.1.1.6 lwsdisp', () => {
      expect(receive('lwsdisp').from().displayName).to.equal('caller');
    });

    it('3.1.1.7 longreq', () => {
      const req = receive('longreq');
      expect(req.body.length).to.equal(150);
      expect(req.from().tag!.length).to.be.greaterThan(100);
      expect(req.to().displayName).to.match(/^I have a user name of (extreme){10} proportion$/);
    });

    it('3.1.1.8 dblreq: octets after Content-Length are discarded', () => {
      const req = receive('dblreq') as SipRequest;
      expect(req.method).to.equal('REGISTER');
      expect(req.body.length).to.equal(0);
      expect(req.toString().includes('INVITE')).to.equal(false);
    });

    it('3.1.1.9 semiuri', () => {
      const uri = (receive('semiuri') as SipRequest).requestUri();
      expect(uri.user).to.equal('user;par=u%40example.net');
      expect(uri.host).to.equal('example.com');
      expect(uri.params.size).to.equal(0);
      expect(receive('semiuri').getAll('accept')).to.have.length(6);
    });

    it('3.1.1.10 transports', () => {
      expect(receive('transports').vias().map((v) => v.transport)).to.deep.equal(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    });

    it('3.1.1.11 mpart01 keeps the binary body', () => {
      const raw = load('mpart01');
      const req = receive('mpart01');
      expect(req.body.length).to.equal(Number(req.get('content-length')));
      expect(raw.subarray(raw.length - req.body.length).equals(req.body)).to.equal(true);
    });

    it('3.1.1.12 unreason', () => {
      const res = receive('unreason') as SipResponse;
      expect(res.status).to.equal(200);
      expect(res.reason).to.equal('= 2**3 * 5**2 но сто девяносто девять - простое');
    });

    it('3.1.1.13 noreason', () => {
      const res = receive('noreason') as SipResponse;
      expect(res.status).to.equal(100);
      expect(res.reason).to.equal('');
      expect(res.toString().startsWith('SIP/2.0 100 \r\n')).to.equal(true);
    });

    it('3.4.1 inv2543 (no branch, no Content-Length)', () => {
      const req = receive('inv2543');
      expect(req.topVia().branch).to.equal(undefined);
      expect(req.body.length).to.be.greaterThan(0);
    });
  });
});

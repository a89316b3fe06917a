import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { toRequest, toResponse, toText } from '../../../src/drachtio/sip-stack-core.js';
import { SipText } from '../../../src/drachtio/sip-text.js';
import {
  SipParseError, SipRequest, SipResponse, parseMessage, validateMessage, type SipMessage,
} from '../../../src/sip/index.js';
import { sipFixturesDir } from '../sip/sip-paths.js';

// The drachtio adapter converts SipMessage ⇄ SipText field by field instead of serialising
// and parsing again (bench:sip's CPU per call). These tests hold the conversions to the
// round trip they replace, on every RFC 4475 message that parses and on edge cases.

const dir = path.join(sipFixturesDir, 'rfc4475');

/** Every RFC 4475 message the stack accepts (parse + validate), by file name. */
function accepted(): Array<{ name: string; msg: SipMessage }> {
  const out: Array<{ name: string; msg: SipMessage }> = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.dat')).sort()) {
    try {
      const msg = parseMessage(readFileSync(path.join(dir, f)));
      validateMessage(msg);
      out.push({ name: f, msg });
    } catch {
      // rejected by the stack: never reaches the adapter
    }
  }
  return out;
}

/** What the adapter did before: serialise, then parse the text (SipText) / parse the text's bytes (SipMessage). */
const oldToText = (m: SipMessage): SipText => SipText.parse(m.serialize().toString('utf8'));
const oldFromText = (t: SipText): SipMessage => parseMessage(Buffer.from(t.toString(), 'utf8'));

function sameMessage(a: SipMessage, b: SipMessage): void {
  expect(a.isRequest).to.equal(b.isRequest);
  expect(a.startLine()).to.equal(b.startLine());
  expect(a.headers).to.deep.equal(b.headers);
  expect(a.body.equals(b.body)).to.equal(true);
  expect(a.serialize().equals(b.serialize())).to.equal(true);
}

/** The old path's outcome: the message, or the parse error's code. */
function outcome(fn: () => SipMessage): SipMessage | string {
  try {
    return fn();
  } catch (e) {
    expect(e).to.be.instanceOf(SipParseError);
    return (e as SipParseError).code;
  }
}

describe('drachtio adapter: SipMessage ⇄ SipText without the text round trip', () => {
  const msgs = accepted();

  it('finds RFC 4475 messages to convert', () => {
    expect(msgs.length).to.be.greaterThan(10);
  });

  it('toText equals SipText.parse(serialize()) for every accepted RFC 4475 message (same error when that throws)', () => {
    let failures = 0;
    for (const { name, msg } of msgs) {
      let slow: SipText;
      try {
        slow = oldToText(msg);
      } catch (e) {
        // e.g. intmeth.dat: a method SipText does not take; the adapter must fail the same way
        failures++;
        expect(() => toText(msg), name).to.throw((e as Error).message);
        continue;
      }
      const fast = toText(msg);
      expect({ name, text: fast.toString() }).to.deep.equal({ name, text: slow.toString() });
      expect(fast.headers, name).to.deep.equal(slow.headers);
      expect(fast.body, name).to.equal(slow.body);
      expect([fast.method, fast.uri, fast.status, fast.reason], name).to.deep.equal([slow.method, slow.uri, slow.status, slow.reason]);
    }
    expect(failures).to.be.lessThan(msgs.length / 4);
  });

  it('toRequest / toResponse equal parseMessage(text) for every accepted RFC 4475 message', () => {
    for (const { name, msg } of msgs) {
      let text: SipText;
      try {
        text = oldToText(msg);
      } catch {
        continue; // not representable as SipText (see above)
      }
      const slow = outcome(() => oldFromText(text));
      const fast = outcome(() => (text.isRequest ? toRequest(text) : toResponse(text)));
      if (typeof slow === 'string') {
        expect(fast, name).to.equal(slow);
        continue;
      }
      expect(fast, name).to.be.instanceOf(text.isRequest ? SipRequest : SipResponse);
      sameMessage(fast as SipMessage, slow);
    }
  });

  it('normalises Content-Length like the round trip: first line kept with the body length, duplicates dropped, appended when absent', () => {
    const t = SipText.parse('INVITE sip:b@example.com SIP/2.0\r\nl: 99\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 7\r\n\r\nv=0\r\nx');
    const fast = toRequest(t);
    sameMessage(fast, oldFromText(t));
    expect(fast.headers.filter((h) => /^(l|content-length)$/i.test(h.name))).to.deep.equal([{ name: 'l', value: '6' }]);
    const bare = SipText.response(180, 'Ringing').add('Via', 'SIP/2.0/UDP h;branch=z9hG4bK2').add('To', '<sip:a@b>;tag=1 ');
    const res = toResponse(bare);
    sameMessage(res, oldFromText(bare));
    expect(res.get('content-length')).to.equal('0');
    expect(res.get('to')).to.equal('<sip:a@b>;tag=1');
  });

  it('takes the parser path (same result or same error) for what it cannot vouch for', () => {
    const base = (): SipText => SipText.request('OPTIONS', 'sip:b@example.com').add('Via', 'SIP/2.0/UDP h;branch=z9hG4bK3').add('CSeq', '1 OPTIONS');
    const cases: Array<[string, SipText]> = [
      ['non-token header name', base().add('Bad Name', 'x')],
      ['CR/LF inside a value', base().add('Subject', 'a\r\nX-Injected: 1')],
      ['bad Request-URI', SipText.request('OPTIONS', 'sip:').add('Via', 'SIP/2.0/UDP h;branch=z9hG4bK4')],
      ['oversized Request-URI', SipText.request('OPTIONS', `sip:${'a'.repeat(70000)}@example.com`)],
      ['oversized header', base().add('X-Big', 'b'.repeat(9000))],
      ['too many headers', (() => { const t = base(); for (let i = 0; i < 300; i++) t.add('X-N', String(i)); return t; })()],
    ];
    for (const [name, t] of cases) {
      const slow = outcome(() => oldFromText(t));
      const fast = outcome(() => toRequest(t));
      if (typeof slow === 'string') expect(fast, name).to.equal(slow);
      else sameMessage(fast as SipMessage, slow);
    }
    const badStatus = SipText.response(99, 'Odd').add('Via', 'SIP/2.0/UDP h;branch=z9hG4bK5');
    expect(outcome(() => toResponse(badStatus))).to.equal(outcome(() => oldFromText(badStatus)));
  });

  it('keeps a UTF-8 body byte for byte', () => {
    const t = SipText.request('MESSAGE', 'sip:b@example.com').add('Via', 'SIP/2.0/UDP h;branch=z9hG4bK6').add('Content-Type', 'text/plain');
    t.body = 'grüße 👋';
    const fast = toRequest(t);
    sameMessage(fast, oldFromText(t));
    expect(fast.get('content-length')).to.equal(String(Buffer.byteLength(t.body)));
    expect(toText(fast).body).to.equal(t.body);
  });
});

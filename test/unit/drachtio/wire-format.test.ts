import { expect } from 'chai';
import {
  buildCdr, buildControlResponse, buildSentRequestResponse, buildSentResponseResponse, buildSipNotification, formatTime,
  parseClientMessage,
} from '../../../src/drachtio/wire-format.js';
import { SipText, tagOf, withTag, uriOf, replaceHostPort, hostPortOf } from '../../../src/drachtio/sip-text.js';

const meta = { source: 'network' as const, bytes: 10, protocol: 'udp', address: '10.0.0.1', port: 5062, time: '01:02:03.004000' };

describe('drachtio wire format', () => {
  it('splits a client message into id, type, tokens and SIP payload', () => {
    const m = parseClientMessage('id1|sip|txn|dlg\r\nBYE sip:a SIP/2.0\r\n\r\n');
    expect(m.msgId).to.equal('id1');
    expect(m.type).to.equal('sip');
    expect(m.tokens).to.deep.equal(['id1', 'sip', 'txn', 'dlg']);
    expect(m.payload).to.equal('BYE sip:a SIP/2.0\r\n\r\n');
  });

  it('rejects a message without a type', () => {
    expect(() => parseClientMessage('lonely')).to.throw(/invalid message format/);
  });

  it('formats time of day as drachtio-server does (UTC HH:MM:SS.uuuuuu)', () => {
    expect(formatTime(Date.UTC(2026, 0, 1, 13, 4, 5, 67))).to.equal('13:04:05.067000');
  });

  it('lays out sip notifications in the token positions drachtio-srf reads', () => {
    const s = buildSipNotification(meta, 'T1', 'D1', 'INVITE sip:x SIP/2.0\r\n\r\n', { address: '127.0.0.1', port: 5060 });
    const [leader, sip] = [s.slice(0, s.indexOf('\r\n')), s.slice(s.indexOf('\r\n') + 2)];
    const t = leader.split('|');
    // drachtio-agent: token[2]=source [4]=protocol [5]=address [6]=port [7]=time [8]=txn [9]=dialog [10..11]=receivedOn
    expect(t[1]).to.equal('sip');
    expect([t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11]]).to.deep.equal(
      ['network', '10', 'udp', '10.0.0.1', '5062', '01:02:03.004000', 'T1', 'D1', '127.0.0.1', '5060']);
    expect(sip).to.equal('INVITE sip:x SIP/2.0\r\n\r\n');
  });

  it('lays out API responses in the token positions drachtio-srf reads', () => {
    const r = buildSentResponseResponse('M', { ...meta, source: 'application' }, 'T', 'D', 'SIP/2.0 200 OK\r\n\r\n');
    const t = r.slice(0, r.indexOf('\r\n')).split('|');
    // meta2: [4]=source [6]=protocol [7]=address [8]=port [9]=time [10]=txn [11]=dialog; token[12] != 'continue'
    expect([t[1], t[2], t[3], t[4], t[6], t[7], t[8], t[10], t[11]]).to.deep.equal(
      ['response', 'M', 'OK', 'application', 'udp', '10.0.0.1', '5062', 'T', 'D']);
    expect(t[12]).to.not.equal('continue');
    const q = buildSentRequestResponse('M', meta, 'T', 'INVITE sip:a SIP/2.0\r\n\r\n');
    const tq = q.slice(0, q.indexOf('\r\n')).split('|').slice(3);
    // _makeRequest: token[0]=OK [1]=source [3]=protocol [4]=address [5]=port [6]=time [7]=txn
    expect([tq[0], tq[1], tq[3], tq[4], tq[5], tq[7]]).to.deep.equal(['OK', 'network', 'udp', '10.0.0.1', '5062', 'T']);
    expect(buildControlResponse('M', false, 'incorrect secret').split('|').slice(1)).to.deep.equal(['response', 'M', 'NO', 'incorrect secret']);
  });

  it('lays out CDRs: attempt without, start/stop with the trailing field', () => {
    const a = buildCdr('attempt', 'network', '01:00:00.000000', undefined, 'X').split('\r\n')[0].split('|');
    expect(a.slice(1)).to.deep.equal(['cdr:attempt', 'network', '01:00:00.000000']);
    const s = buildCdr('stop', 'application', '01:00:00.000000', 'normal-release', 'X').split('\r\n')[0].split('|');
    expect(s.slice(1)).to.deep.equal(['cdr:stop', 'application', '01:00:00.000000', 'normal-release']);
  });
});

describe('SipText (SIP as carried on the drachtio wire)', () => {
  it('parses, looks up by compact names, and recomputes Content-Length', () => {
    const m = SipText.parse('INVITE sip:bob@b.example SIP/2.0\r\nf: <sip:a@a>;tag=1\r\ni: abc\r\nl: 99\r\nSubject: a\r\n  folded\r\n\r\nv=0\r\n');
    expect(m.method).to.equal('INVITE');
    expect(m.get('From')).to.equal('<sip:a@a>;tag=1');
    expect(m.get('call-id')).to.equal('abc');
    expect(m.get('subject')).to.equal('a folded');
    expect(m.toString()).to.contain('l: 5\r\n');
  });

  it('handles tags and URIs in name-addrs', () => {
    expect(tagOf('"A" <sip:a@b;tag=no>;tag=yes')).to.equal('yes');
    expect(tagOf('<sip:a@b>')).to.equal(undefined);
    expect(withTag('<sip:a@b>', 'x')).to.equal('<sip:a@b>;tag=x');
    expect(uriOf('"A" <sip:a@b:5070;transport=tcp>;tag=1')).to.equal('sip:a@b:5070;transport=tcp');
    expect(replaceHostPort('<sip:alice@localhost>', '127.0.0.1', 5060)).to.equal('<sip:alice@127.0.0.1:5060>');
    expect(hostPortOf('sip:svc@127.0.0.1:5090;transport=tcp')).to.include({ host: '127.0.0.1', port: 5090 });
  });

  it('refuses text that is not SIP', () => {
    expect(() => SipText.parse('hello world')).to.throw(/invalid start line/);
  });

  it('takes any token as a method, even one that starts with a symbol (RFC 4475 §3.1.1.2 intmeth)', () => {
    const method = "!interesting-Method0123456789_*+`.%indeed'~";
    const t = SipText.parse(`${method} sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\r\nCSeq: 139122385 ${method}\r\n\r\n`);
    expect(t.method).to.equal(method);
    expect(t.cseq().method).to.equal(method);
  });
});

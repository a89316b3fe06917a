import { expect } from 'chai';
import { parseSdp, SdpError, DEFAULT_MAX_SDP_SIZE } from '../../../src/sdp/index.js';

const CRLF = (s: string): string => s.replace(/\r?\n/g, '\r\n');

function expectSdpError(fn: () => unknown, code: string): SdpError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'throws a typed SdpError').to.be.instanceOf(SdpError);
  expect((caught as SdpError).code).to.equal(code);
  return caught as SdpError;
}

const PHONE = CRLF(`v=0
o=- 1 1 IN IP4 198.51.100.1
s=-
c=IN IP4 198.51.100.1
t=0 0
m=audio 4000 RTP/AVP 0 8 9 18 13 101
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:30
a=maxptime:60
a=rtcp:4005
`);

describe('sdp parseSdp', () => {
  it('understands static payload types without a=rtpmap (RFC 3551 table 4)', () => {
    const p = parseSdp(PHONE);
    expect(p.media[0].codecs.map((c) => `${c.pt} ${c.name}/${c.clockRate}`)).to.deep.equal([
      '0 PCMU/8000', '8 PCMA/8000', '9 G722/8000', '18 G729/8000', '13 CN/8000', '101 telephone-event/8000',
    ]);
    expect(p.media[0].codecs[5].fmtp).to.equal('0-16');
    expect(p.media[0].ptime).to.equal(30);
    expect(p.media[0].maxptime).to.equal(60);
    expect(p.media[0].rtcpPort).to.equal(4005);
  });

  it('leaves out dynamic payload types without a=rtpmap', () => {
    const p = parseSdp(PHONE.replace('0 8 9 18 13 101', '0 96 101'));
    expect(p.media[0].codecs.map((c) => c.pt)).to.deep.equal([0, 101]);
  });

  it('takes media-level c= over session-level c=, and IPv6', () => {
    const p = parseSdp(CRLF(`v=0
o=- 1 1 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
m=audio 4000 RTP/AVP 0
m=audio 4002 RTP/AVP 0
c=IN IP4 203.0.113.9
`));
    expect(p.media[0].connection).to.deep.equal({ ipVer: 6, address: '2001:db8::1' });
    expect(p.media[1].connection).to.deep.equal({ ipVer: 4, address: '203.0.113.9' });
  });

  it('accepts LF-only line ends and a missing final line end', () => {
    const p = parseSdp(PHONE.replace(/\r\n/g, '\n').trimEnd());
    expect(p.media).to.have.length(1);
  });

  it('reads session-level direction, fingerprint and ICE credentials as defaults', () => {
    const p = parseSdp(CRLF(`v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
t=0 0
a=sendonly
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuv
a=fingerprint:sha-256 17:78:C0:C0:AB:1E:50:6B:14:FC:96:1F:BC:DE:C3:CE:14:D0:49:BF:F3:B3:F6:A9:6E:C1:28:C8:02:A2:E8:57
m=audio 9 UDP/TLS/RTP/SAVPF 111
c=IN IP4 0.0.0.0
a=rtpmap:111 opus/48000/2
`));
    const m = p.media[0];
    expect(m.direction).to.equal('sendonly');
    expect(m.iceUfrag).to.equal('abcd');
    expect(m.fingerprints[0].algorithm).to.equal('sha-256');
    expect(m.codecs[0]).to.deep.equal({ pt: 111, name: 'opus', clockRate: 48000, channels: 2 });
  });

  describe('hardening: typed errors only', () => {
    for (const [label, value] of [
      ['undefined', undefined], ['null', null], ['a number', 42], ['an object', { v: 0 }], ['an array', ['v=0']],
      ['a Buffer', Buffer.from(PHONE)], ['a boolean', true],
    ] as const) {
      it(`rejects ${label} with ERR_SDP_PARSE`, () => {
        const e = expectSdpError(() => parseSdp(value), 'ERR_SDP_PARSE');
        expect(e.sipStatus).to.equal(400);
      });
    }

    it('rejects descriptions over the size limit with ERR_SDP_TOO_LARGE', () => {
      const huge = PHONE + 'a=x-pad:'.padEnd(1000, 'x').concat('\r\n').repeat(70);
      expect(huge.length).to.be.greaterThan(DEFAULT_MAX_SDP_SIZE);
      expectSdpError(() => parseSdp(huge), 'ERR_SDP_TOO_LARGE');
      expectSdpError(() => parseSdp(PHONE, { maxSize: 50 }), 'ERR_SDP_TOO_LARGE');
    });

    it('rejects a 10 MB description fast', () => {
      const t0 = Date.now();
      expectSdpError(() => parseSdp('v=0\r\n' + 'a'.repeat(10_000_000)), 'ERR_SDP_TOO_LARGE');
      expect(Date.now() - t0).to.be.lessThan(500);
    });

    const bad: Array<[string, string]> = [
      ['empty', ''],
      ['NUL byte', PHONE.replace('s=-', 's=\u0000')],
      ['binary', '\u0001\u0002\u0003v=0'],
      ['replacement char from bad UTF-8', PHONE.replace('s=-', 's=\ufffd')],
      ['bare CR', PHONE.replace('s=-\r\n', 's=-\r')],
      ['no v=0', PHONE.replace('v=0\r\n', '')],
      ['v=1', PHONE.replace('v=0', 'v=1')],
      ['missing o=', PHONE.replace(/o=.*\r\n/, '')],
      ['bad o=', PHONE.replace(/o=.*\r\n/, 'o=- x 1 IN IP4 1.2.3.4\r\n')],
      ['line without type', PHONE + 'hello\r\n'],
      ['upper-case type', PHONE + 'A=foo\r\n'],
      ['port out of range', PHONE.replace('m=audio 4000', 'm=audio 65536')],
      ['negative port', PHONE.replace('m=audio 4000', 'm=audio -1')],
      ['non-numeric port', PHONE.replace('m=audio 4000', 'm=audio abc')],
      ['m= without formats', PHONE.replace('m=audio 4000 RTP/AVP 0 8 9 18 13 101', 'm=audio 4000 RTP/AVP')],
      ['payload type > 127', PHONE.replace('0 8 9 18 13 101', '0 128')],
      ['payload type not a number', PHONE.replace('0 8 9 18 13 101', '0 x')],
      ['missing c=', PHONE.replace(/c=.*\r\n/, '')],
      ['bad c= address', PHONE.replace('c=IN IP4 198.51.100.1', 'c=IN IP4 999.1.1.1')],
      ['bad c= format', PHONE.replace('c=IN IP4 198.51.100.1', 'c=IN IP9 x')],
      ['truncated in the m= line', PHONE.slice(0, PHONE.indexOf('m=audio') + 9)],
      ['o= in a media section', PHONE + 'o=- 1 1 IN IP4 1.2.3.4\r\n'],
      ['a 5000 character line', PHONE + `a=x:${'y'.repeat(5000)}\r\n`],
      ['too many m-lines', PHONE + 'm=audio 0 RTP/AVP 0\r\n'.repeat(70)],
      ['too many lines', PHONE + 'a=x\r\n'.repeat(5000)],
    ];
    for (const [label, text] of bad) {
      it(`rejects ${label} with ERR_SDP_PARSE`, () => {
        expectSdpError(() => parseSdp(text), 'ERR_SDP_PARSE');
      });
    }

    it('long pathological lines of every kind parse (or fail) quickly', () => {
      const long = (prefix: string, unit: string): string => `${prefix}${unit.repeat(Math.floor((4000 - prefix.length) / unit.length))}`;
      const lines = [
        long('a=candidate:', '1 '), long('a=candidate:1 1 UDP 1 ', 'a'), long('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:', 'A|'),
        long('a=rtpmap:0 ', 'P/'), long('a=fmtp:0 ', 'x=1;'), long('a=ssrc:1 ', 'cname:'), long('a=group:BUNDLE', ' 0'),
        long('a=fingerprint:sha-256 ', 'AB:'), long('a=extmap:1 ', 'u'), long('a=msid:', 'x '), long('a=rtcp:1 IN IP4 ', '1.'),
      ];
      for (const l of lines) {
        const t0 = performance.now();
        try {
          parseSdp(PHONE + l + '\r\n');
        } catch (e) {
          expect(e).to.be.instanceOf(SdpError);
        }
        expect(performance.now() - t0, l.slice(0, 30)).to.be.lessThan(500);
      }
      const t0 = performance.now();
      for (const bad of [long('c=IN IP4 ', 'a.'), long('m=audio 1 RTP/AVP', ' 0'), long('o=- 1 1 IN IP4 ', 'a.')]) {
        try {
          parseSdp(PHONE.replace(/^[cmo]=.*$/m, bad));
        } catch (e) {
          expect(e).to.be.instanceOf(SdpError);
        }
      }
      expect(performance.now() - t0).to.be.lessThan(500);
    });

    it('drops unusable rtpmap and crypto lines instead of failing', () => {
      const p = parseSdp(PHONE + 'a=rtpmap:96 /x\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\na=crypto:zz\r\n');
      expect(p.media[0].crypto).to.deep.equal([]);
    });

    it('reports an error reason without the SDP content', () => {
      const e = expectSdpError(() => parseSdp(PHONE.replace('m=audio 4000', 'm=audio 99999')), 'ERR_SDP_PARSE');
      expect(e.reason).to.match(/port out of range/);
      expect(e.reason.length).to.be.lessThan(200);
    });
  });
});

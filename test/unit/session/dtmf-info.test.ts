import { expect } from 'chai';
import {
  DEFAULT_INFO_DTMF_MS, MAX_INFO_DTMF_MS, dtmfDigitOf, dtmfEventOf, formatDtmfRelay, parseDtmfInfo,
} from '../../../src/session/dtmf-info.js';
import { SessionError } from '../../../src/session/session-errors.js';

describe('session: SIP INFO DTMF bodies (application/dtmf-relay, application/dtmf)', () => {
  it('maps digits to RFC 4733 §3.2 event codes and back', () => {
    expect([...'0123456789*#ABCD'].map(dtmfEventOf)).to.deep.equal([...Array(16).keys()]);
    expect(dtmfEventOf('d')).to.equal(15);
    expect(dtmfEventOf('E')).to.equal(-1);
    expect(dtmfEventOf('12')).to.equal(-1);
    expect(dtmfDigitOf(11)).to.equal('#');
    expect(dtmfDigitOf(16)).to.equal(null);
    expect(dtmfDigitOf(-1)).to.equal(null);
  });

  it('parses dtmf-relay with Signal and Duration (any case, spaces, LF or CRLF, parameters on the type)', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).to.deep.equal({ digit: '5', event: 5, durationMs: 160 });
    expect(parseDtmfInfo('Application/DTMF-Relay; charset=utf-8', 'signal= #\nduration = 100\n')).to.deep.equal({ digit: '#', event: 11, durationMs: 100 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=10\r\nDuration=80')).to.deep.equal({ digit: '*', event: 10, durationMs: 80 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=a')).to.deep.equal({ digit: 'A', event: 12, durationMs: DEFAULT_INFO_DTMF_MS });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=1\r\nDuration=99999')!.durationMs).to.equal(MAX_INFO_DTMF_MS);
  });

  it('parses application/dtmf (bare digit, default duration)', () => {
    expect(parseDtmfInfo('application/dtmf', '7\r\n')).to.deep.equal({ digit: '7', event: 7, durationMs: DEFAULT_INFO_DTMF_MS });
    expect(parseDtmfInfo('application/dtmf', '#')!.event).to.equal(11);
  });

  it('returns null for other content types (caller answers 415)', () => {
    expect(parseDtmfInfo('application/json', '{}')).to.equal(null);
    expect(parseDtmfInfo(undefined, '')).to.equal(null);
    expect(parseDtmfInfo('application/media_control+xml', '<x/>')).to.equal(null);
  });

  it('throws ERR_SESSION_DTMF_INFO with sipStatus 400 for unreadable DTMF bodies', () => {
    for (const [t, b] of [
      ['application/dtmf-relay', 'Duration=160'],
      ['application/dtmf-relay', 'Signal=X\r\nDuration=160'],
      ['application/dtmf-relay', 'Signal=5\r\nDuration=-3'],
      ['application/dtmf-relay', 'Signal=5\r\nDuration=abc'],
      ['application/dtmf', ''],
      ['application/dtmf', 'hello'],
    ] as const) {
      let err: unknown;
      try {
        parseDtmfInfo(t, b);
      } catch (e) {
        err = e;
      }
      expect(err, `${t} ${JSON.stringify(b)}`).to.be.instanceOf(SessionError);
      expect((err as SessionError).code).to.equal('ERR_SESSION_DTMF_INFO');
      expect((err as SessionError).sipStatus).to.equal(400);
    }
  });

  it('formats dtmf-relay bodies and round-trips every digit', () => {
    expect(formatDtmfRelay(5, 160)).to.equal('Signal=5\r\nDuration=160\r\n');
    expect(formatDtmfRelay(11, 99.6)).to.equal('Signal=#\r\nDuration=100\r\n');
    for (let e = 0; e < 16; e++) {
      expect(parseDtmfInfo('application/dtmf-relay', formatDtmfRelay(e, 120))).to.deep.equal({ digit: dtmfDigitOf(e), event: e, durationMs: 120 });
    }
    expect(() => formatDtmfRelay(16, 100)).to.throw(SessionError);
  });
});

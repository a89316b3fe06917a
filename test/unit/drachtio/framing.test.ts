import { expect } from 'chai';
import { FrameDecoder, DrachtioFramingError, encodeFrame } from '../../../src/drachtio/framing.js';

describe('drachtio framing (length#message)', () => {
  it('decodes one frame', () => {
    const d = new FrameDecoder();
    expect(d.push(Buffer.from(encodeFrame('abc|ping')))).to.deep.equal(['abc|ping']);
    expect(d.pendingBytes).to.equal(0);
  });

  it('counts the length in utf-8 bytes, not characters', () => {
    const msg = 'id|sip||\r\nINFO sip:x SIP/2.0\r\nSubject: caf\u00e9 \u{1F600}\r\n\r\n';
    const frame = encodeFrame(msg);
    expect(frame.startsWith(`${Buffer.byteLength(msg)}#`)).to.equal(true);
    expect(new FrameDecoder().push(Buffer.from(frame))).to.deep.equal([msg]);
  });

  it('reassembles a frame split at every byte boundary, including inside the length and a multi-byte char', () => {
    const msg = 'x|sip\r\nSubject: \u00e9\u00e9';
    const bytes = Buffer.from(encodeFrame(msg) + encodeFrame('y|ping'));
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new FrameDecoder();
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(out, `cut at ${cut}`).to.deep.equal([msg, 'y|ping']);
    }
  });

  it('returns several merged frames in order', () => {
    const d = new FrameDecoder();
    const all = Buffer.from(encodeFrame('a|ping') + encodeFrame('b|ping') + encodeFrame('c|ping').slice(0, 3));
    expect(d.push(all)).to.deep.equal(['a|ping', 'b|ping']);
    expect(d.push(Buffer.from(encodeFrame('c|ping').slice(3)))).to.deep.equal(['c|ping']);
  });

  for (const [label, input] of [
    ['garbage before #', 'GET / HTTP/1.1\r\n\r\n'],
    ['non-digit length', '12a#hello'],
    ['empty length', '#hello'],
    ['zero length', '0#'],
    ['absurd length digits', '12345678901234#x'],
  ] as const) {
    it(`rejects ${label}`, () => {
      expect(() => new FrameDecoder().push(Buffer.from(input))).to.throw(DrachtioFramingError);
    });
  }

  it('rejects a frame larger than maxFrameBytes before buffering it', () => {
    const d = new FrameDecoder({ maxFrameBytes: 10 });
    expect(() => d.push(Buffer.from('11#'))).to.throw(DrachtioFramingError, /too large/);
  });
});

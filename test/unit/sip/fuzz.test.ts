import { expect } from 'chai';
import {
  SipParseError, StreamFramer, errorResponseFor, parseMessage, validateMessage, type SipMessage, type SipRequest,
} from '../../../src/sip/index.js';
import { loadCorpus, mutate, rng } from './fuzz-mutate.js';

const corpus = loadCorpus();

/** Everything the stack does with an inbound message; only SipParseError may escape. */
function exercise(buf: Buffer): 'accepted' | 'rejected' {
  let msg: SipMessage;
  try {
    msg = parseMessage(buf);
    validateMessage(msg);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    const res = errorResponseFor(e);
    if (res) parseMessage(res.serialize()); // a response we build must itself parse
    return 'rejected';
  }
  // accepted: typed accessors work and the message re-serializes into something parseable
  msg.vias();
  msg.from();
  msg.to();
  msg.cseq();
  msg.contacts();
  if (msg.isRequest) (msg as SipRequest).requestUri();
  const again = parseMessage(msg.serialize());
  validateMessage(again);
  return 'accepted';
}

describe('SIP parser mutation fuzz', function () {
  this.timeout(120000);

  it('25,000 mutated messages: no throw escapes except SipParseError; accepted ones re-parse', () => {
    const r = rng(4475);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 25000; i++) {
      const seed = corpus[Math.floor(r() * corpus.length)];
      const input = mutate(seed, r);
      let outcome: 'accepted' | 'rejected';
      try {
        outcome = exercise(input);
      } catch (e) {
        expect.fail(`iteration ${i}: ${(e as Error).stack}\ninput: ${JSON.stringify(input.toString('latin1'))}`);
      }
      if (outcome === 'accepted') accepted++;
      else rejected++;
    }
    // the fuzz must exercise both paths, or it tests nothing
    expect(accepted).to.be.greaterThan(1000);
    expect(rejected).to.be.greaterThan(1000);
  });

  it('stream framer: random chunking of mutated streams only throws SipParseError', () => {
    const r = rng(5626);
    let messages = 0;
    for (let i = 0; i < 3000; i++) {
      const framer = new StreamFramer({ maxMessageSize: 16384 });
      const stream = Buffer.concat([mutate(corpus[Math.floor(r() * corpus.length)], r), Buffer.from('\r\n\r\n'), corpus[Math.floor(r() * corpus.length)]]);
      let off = 0;
      try {
        while (off < stream.length) {
          const n = 1 + Math.floor(r() * 300);
          for (const item of framer.push(stream.subarray(off, off + n))) {
            if (item.kind === 'message') {
              messages++;
              try {
                exercise(item.bytes);
              } catch (e) {
                if (!(e instanceof SipParseError)) throw e;
              }
            }
          }
          off += n;
        }
      } catch (e) {
        if (!(e instanceof SipParseError)) expect.fail(`iteration ${i}: ${(e as Error).stack}`);
      }
    }
    expect(messages).to.be.greaterThan(1000);
  });
});

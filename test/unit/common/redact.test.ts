import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/common/logger.js';
import { scrubSecrets } from '../../../src/common/redact.js';

const SDP = [
  'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 4000 RTP/SAVP 0', 'a=ice-ufrag:abcd', 'a=ice-pwd:SuperSecretIcePassword1234',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32', '',
].join('\r\n');

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
  return { stream, text: () => chunks.join('') };
}

describe('logging: secrets never reach a log line', () => {
  it('scrubSecrets removes SDES keys and ice-pwd but keeps the rest', () => {
    const out = scrubSecrets(SDP);
    expect(out).not.to.contain('SuperSecretIcePassword1234');
    expect(out).not.to.contain('WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz');
    expect(out).to.contain('a=ice-ufrag:abcd');
    expect(out).to.contain('AES_CM_128_HMAC_SHA1_80 inline:[REDACTED]');
  });

  it('digest responses and password fields are scrubbed', () => {
    const auth = 'Authorization: Digest username="alice", realm="x", nonce="n", uri="sip:x", response="6629fae49393a05397450978507c4ef1"';
    expect(scrubSecrets(auth)).not.to.contain('6629fae4');
    expect(scrubSecrets('password=hunter2 user=alice')).to.equal('password=[REDACTED] user=alice');
  });

  it('the logger redacts SDP in messages, in fields, in child bindings and secret keys', () => {
    const cap = capture();
    const log = createLogger({ level: 'info', pretty: false }, cap.stream);
    const child = log.child({ callId: 'c1', leg: 'a', password: 'childpw' });
    child.info({ sdp: SDP, user: { name: 'alice', password: 'hunter2' }, icePwd: 'p4ss' }, 'offer received');
    child.info(`raw ${SDP}`);
    const text = cap.text();
    for (const secret of ['SuperSecretIcePassword1234', 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz', 'hunter2', 'p4ss', 'childpw']) {
      expect(text, secret).not.to.contain(secret);
    }
    expect(text).to.contain('"callId":"c1"');
    expect(text).to.contain('offer received');
  });
});

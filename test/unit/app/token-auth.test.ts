import { expect } from 'chai';
import { TokenAuth } from '../../../src/app/auth/token-auth.js';

describe('app/auth: HMAC browser tokens', () => {
  let t = 1_800_000_000_000;
  const auth = new TokenAuth('a-shared-secret-of-enough-length', () => t);

  it('issues a token that verifies to its identity', () => {
    const tok = auth.issue('alice', 3600);
    const v = auth.verify(tok);
    expect(v.ok).to.equal(true);
    if (v.ok) expect(v.claims.sub).to.equal('alice');
  });

  it('rejects an expired token', () => {
    const tok = auth.issue('alice', 10);
    t += 11_000;
    expect(auth.verify(tok)).to.deep.equal({ ok: false, reason: 'expired' });
  });

  it('rejects a tampered payload, a token signed with another secret, and garbage', () => {
    const tok = auth.issue('alice', 3600);
    const [, sig] = tok.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'admin', exp: 9e9 })).toString('base64url');
    expect(auth.verify(`${forgedPayload}.${sig}`)).to.deep.equal({ ok: false, reason: 'signature' });
    const other = new TokenAuth('another-secret-of-enough-length!', () => t).issue('alice', 3600);
    expect(auth.verify(other)).to.deep.equal({ ok: false, reason: 'signature' });
    for (const g of ['', 'abc', 'a.b.c', '.', 'x'.repeat(5000), '\u0000.\u0001']) expect(auth.verify(g).ok, g).to.equal(false);
  });

  it('finds the token on the WebSocket URL or in the cookie', () => {
    expect(TokenAuth.fromUpgrade('/sip?token=abc.def', undefined)).to.equal('abc.def');
    expect(TokenAuth.fromUpgrade('/sip', 'a=1; tandem_token=xyz.uvw; b=2')).to.equal('xyz.uvw');
    expect(TokenAuth.fromUpgrade('/sip', 'a=1')).to.equal(null);
  });

  it('refuses a short secret', () => {
    expect(() => new TokenAuth('short')).to.throw(RangeError);
  });
});

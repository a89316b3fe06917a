import { expect } from 'chai';
import { DigestServer, digestHa1, digestResponse, parseDigestHeader, type DigestAlgorithm } from '../../../src/app/auth/digest-server.js';

function authHeader(alg: DigestAlgorithm, challenge: string, user: string, pass: string, method: string, uri: string, nc = '00000001', cnonce = 'abc123'): string {
  const p = parseDigestHeader(challenge)!;
  const ha1 = digestHa1(alg, user, p.realm, pass);
  const response = digestResponse(alg, ha1, method, { nonce: p.nonce, uri, qop: 'auth', nc, cnonce });
  return `Digest username="${user}", realm="${p.realm}", nonce="${p.nonce}", uri="${uri}", response="${response}", algorithm=${alg}, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
}

describe('app/auth: digest server (RFC 7616)', () => {
  let t = 1_800_000_000_000;
  const now = (): number => t;
  const users: Record<string, string> = { alice: 'wonderland' };
  const lookup = (u: string, alg: DigestAlgorithm): string | undefined => (users[u] ? digestHa1(alg, u, 'tandem.test', users[u]) : undefined);

  it('matches the RFC 2617 §3.5 worked example (MD5, qop=auth)', () => {
    const ha1 = digestHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const r = digestResponse('MD5', ha1, 'GET', { nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' });
    expect(r).to.equal('6629fae49393a05397450978507c4ef1');
  });

  it('matches the RFC 7616 §3.9.1 SHA-256 example', () => {
    const ha1 = digestHa1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    const r = digestResponse('SHA-256', ha1, 'GET', { nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' });
    expect(r).to.equal('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  for (const alg of ['SHA-256', 'MD5'] as const) {
    it(`accepts a correct ${alg} response and rejects a wrong password`, () => {
      const s = new DigestServer({ realm: 'tandem.test', now });
      const ch = s.challenges().find((c) => c.includes(`algorithm=${alg}`))!;
      expect(s.verify(authHeader(alg, ch, 'alice', 'wonderland', 'REGISTER', 'sip:tandem.test'), 'REGISTER', lookup)).to.deep.equal({ ok: true, username: 'alice' });
      const ch2 = s.challenges()[0];
      expect(s.verify(authHeader('SHA-256', ch2, 'alice', 'wrong', 'REGISTER', 'sip:tandem.test'), 'REGISTER', lookup)).to.deep.include({ ok: false, reason: 'bad-response' });
    });
  }

  it('offers SHA-256 before MD5', () => {
    const c = new DigestServer({ realm: 'r', now }).challenges();
    expect(c[0]).to.contain('algorithm=SHA-256');
    expect(c[1]).to.contain('algorithm=MD5');
  });

  it('rejects a replayed nonce-count and accepts a growing one', () => {
    const s = new DigestServer({ realm: 'tandem.test', now });
    const ch = s.challenges()[0];
    const h1 = authHeader('SHA-256', ch, 'alice', 'wonderland', 'INVITE', 'sip:bob@tandem.test', '00000001');
    expect(s.verify(h1, 'INVITE', lookup).ok).to.equal(true);
    expect(s.verify(h1, 'INVITE', lookup)).to.deep.include({ ok: false, reason: 'replay' });
    const h2 = authHeader('SHA-256', ch, 'alice', 'wonderland', 'INVITE', 'sip:bob@tandem.test', '00000002');
    expect(s.verify(h2, 'INVITE', lookup).ok).to.equal(true);
  });

  it('expires nonces (stale=true), rejects forged nonces, unknown users, other realms and bad algorithms', () => {
    const s = new DigestServer({ realm: 'tandem.test', now, nonceTtlSeconds: 60 });
    const ch = s.challenges()[0];
    const h = authHeader('SHA-256', ch, 'alice', 'wonderland', 'INVITE', 'sip:x@tandem.test');
    t += 61_000;
    expect(s.verify(h, 'INVITE', lookup)).to.deep.include({ ok: false, reason: 'stale', stale: true });
    const forged = h.replace(/nonce="[^"]+"/, `nonce="${Buffer.alloc(32, 7).toString('base64url')}"`);
    expect(s.verify(forged, 'INVITE', lookup)).to.deep.include({ ok: false, reason: 'bad-nonce' });
    const fresh = s.challenges()[0];
    expect(s.verify(authHeader('SHA-256', fresh, 'mallory', 'x', 'INVITE', 'sip:x'), 'INVITE', lookup)).to.deep.include({ ok: false, reason: 'unknown-user' });
    expect(s.verify(authHeader('SHA-256', fresh, 'alice', 'wonderland', 'INVITE', 'sip:x').replace('realm="tandem.test"', 'realm="evil"'), 'INVITE', lookup)).to.deep.include({ ok: false, reason: 'realm' });
    expect(s.verify(authHeader('SHA-256', fresh, 'alice', 'wonderland', 'INVITE', 'sip:x').replace('algorithm=SHA-256', 'algorithm=SHA-512'), 'INVITE', lookup)).to.deep.include({ ok: false, reason: 'algorithm' });
  });

  it('treats missing and malformed headers as such, without throwing', () => {
    const s = new DigestServer({ realm: 'tandem.test', now });
    expect(s.verify(undefined, 'INVITE', lookup)).to.deep.include({ reason: 'missing' });
    for (const bad of ['Basic Zm9v', 'Digest', 'Digest username="a', 'Digest username=a,,', 'Digest =x', '\u0000\u0001', 'Digest username="a", realm="tandem.test", nonce="x", uri="u", response="r", qop=auth']) {
      expect(s.verify(bad, 'INVITE', lookup).ok, bad).to.equal(false);
    }
  });

  it('parses quoted strings with escapes and commas', () => {
    expect(parseDigestHeader('Digest username="a\\"b", realm="x, y", nc=00000001')).to.deep.equal({ username: 'a"b', realm: 'x, y', nc: '00000001' });
  });

  it('keeps the replay table bounded', () => {
    const s = new DigestServer({ realm: 'tandem.test', now, maxTrackedNonces: 100 });
    for (let i = 0; i < 500; i++) {
      const ch = s.challenges()[0];
      expect(s.verify(authHeader('SHA-256', ch, 'alice', 'wonderland', 'REGISTER', 'sip:tandem.test'), 'REGISTER', lookup).ok).to.equal(true);
    }
    expect(s.trackedNonces).to.be.at.most(100);
  });
});

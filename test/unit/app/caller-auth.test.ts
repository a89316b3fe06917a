import { expect } from 'chai';
import { TandemApp } from '../../../src/app/app.js';
import { TokenAuth } from '../../../src/app/auth/token-auth.js';
import type { FlowTokenSource } from '../../../src/app/signaling/flow.js';
import { answerChallenge, FakeReq } from './fake-sip.js';
import { appConfig, REALM } from './test-config.js';

describe('app/auth: INVITE caller authentication', () => {
  let t = 1_800_000_000_000;
  const now = (): number => t;
  const tokens = new Map<string, string>();
  const flowTokens: FlowTokenSource = { tokenFor: (f) => tokens.get(f) };
  const app = new TandemApp(appConfig(), { now, flowTokens });
  const issuer = new TokenAuth('a-token-secret-of-enough-length', now);
  after(() => app.close());

  const invite = (extra: Record<string, string> = {}): FakeReq =>
    new FakeReq('INVITE', `sip:bob@${REALM}`, { From: `<sip:alice@${REALM}>;tag=a`, To: `<sip:bob@${REALM}>`, CSeq: '1 INVITE', ...extra });

  it('challenges a SIP user with 407 Proxy-Authenticate, then accepts the right password', () => {
    const v = app.auth.authenticate(invite());
    expect(v).to.deep.include({ ok: false, status: 407 });
    if (v.ok) return;
    const challenge = v.headers['Proxy-Authenticate'];
    expect(challenge).to.match(/^Digest realm="tandem.test"/);
    const ok = app.auth.authenticate(invite({ 'Proxy-Authorization': answerChallenge(challenge, { user: 'alice', password: 'wonderland', method: 'INVITE', uri: `sip:bob@${REALM}` }) }));
    expect(ok).to.deep.equal({ ok: true, caller: { kind: 'user', user: 'alice', method: 'digest', overWebSocket: false } });
  });

  it('refuses a wrong password or unknown user with 403, malformed credentials with 400, and re-challenges a stale nonce', () => {
    const v = app.auth.authenticate(invite());
    if (v.ok) throw new Error('expected a challenge');
    const ch = v.headers['Proxy-Authenticate'];
    expect(app.auth.authenticate(invite({ 'Proxy-Authorization': answerChallenge(ch, { user: 'alice', password: 'x', method: 'INVITE', uri: 'sip:bob' }) }))).to.deep.include({ ok: false, status: 403 });
    expect(app.auth.authenticate(invite({ 'Proxy-Authorization': answerChallenge(ch, { user: 'eve', password: 'x', method: 'INVITE', uri: 'sip:bob' }) }))).to.deep.include({ ok: false, status: 403 });
    expect(app.auth.authenticate(invite({ 'Proxy-Authorization': 'Digest username="alice"' }))).to.deep.include({ ok: false, status: 400 });
    const h = answerChallenge(ch, { user: 'alice', password: 'wonderland', method: 'INVITE', uri: 'sip:bob' });
    t += 400_000;
    const stale = app.auth.authenticate(invite({ 'Proxy-Authorization': h }));
    expect(stale).to.deep.include({ ok: false, status: 407 });
    if (!stale.ok) expect(stale.headers['Proxy-Authenticate']).to.contain('stale=true');
  });

  it('identifies a trunk by its source address, without digest', () => {
    const v = app.auth.authenticate(invite().from('udp', '203.0.113.2', 5099));
    expect(v.ok).to.equal(true);
    if (v.ok && v.caller.kind === 'trunk') expect(v.caller.trunk.name).to.equal('pstn');
    else throw new Error('expected a trunk');
  });

  it('never takes a WebSocket connection for a trunk, even from the trunk\'s address', () => {
    expect(app.auth.authenticate(invite().from('ws', '203.0.113.2', 5099))).to.deep.include({ ok: false, status: 407 });
    expect(app.auth.authenticate(invite().from('wss', '203.0.113.2', 5099))).to.deep.include({ ok: false, status: 407 });
  });

  it('treats an unknown source like any caller: challenged, never routed', () => {
    expect(app.auth.authenticate(invite().from('udp', '198.51.100.99', 5060))).to.deep.include({ ok: false, status: 407 });
  });

  it('accepts a browser by the token of its WebSocket flow, refuses a bad token with 403', () => {
    tokens.set('wss:198.51.100.7:50001', issuer.issue('carol', 600));
    const v = app.auth.authenticate(invite().from('wss', '198.51.100.7', 50001));
    expect(v).to.deep.equal({ ok: true, caller: { kind: 'user', user: 'carol', method: 'token', overWebSocket: true, flowId: 'wss:198.51.100.7:50001' } });
    tokens.set('wss:198.51.100.7:50002', 'garbage.token');
    expect(app.auth.authenticate(invite().from('wss', '198.51.100.7', 50002))).to.deep.include({ ok: false, status: 403 });
    tokens.set('wss:198.51.100.7:50003', issuer.issue('carol', 1));
    t += 2000;
    expect(app.auth.authenticate(invite().from('wss', '198.51.100.7', 50003))).to.deep.include({ ok: false, status: 403 });
    // a WebSocket without a token falls back to digest
    expect(app.auth.authenticate(invite().from('ws', '198.51.100.7', 50004))).to.deep.include({ ok: false, status: 407 });
  });

  it('trunk host names count once resolved', async () => {
    expect(app.trunks.fromSource('198.51.100.20')).to.equal(undefined);
    await app.trunks.refresh(async (h) => (h === 'pbx.example.net' ? ['198.51.100.20'] : []));
    expect(app.trunks.fromSource('198.51.100.20')?.name).to.equal('pbx');
    expect(app.trunks.fromSource('::ffff:203.0.113.1')?.name).to.equal('pstn');
  });
});

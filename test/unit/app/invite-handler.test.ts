import { expect } from 'chai';
import { TandemApp } from '../../../src/app/app.js';
import type { CallSessionFactory, CallSessionRequest } from '../../../src/app/calls/call-session-factory.js';
import { answerChallenge, FakeReq, FakeRes } from './fake-sip.js';
import { appConfig, REALM } from './test-config.js';

describe('app/calls: INVITE handler', () => {
  const t = 1_800_000_000_000;
  const now = (): number => t;

  function authedInvite(app: TandemApp, to: string): FakeReq {
    const mk = (extra: Record<string, string>): FakeReq =>
      new FakeReq('INVITE', `sip:${to}@${REALM}`, { From: `<sip:alice@${REALM}>;tag=a`, To: `<sip:${to}@${REALM}>`, CSeq: '1 INVITE', ...extra });
    const v = app.auth.authenticate(mk({}));
    if (v.ok) throw new Error('expected a challenge');
    return mk({ 'Proxy-Authorization': answerChallenge(v.headers['Proxy-Authenticate'], { user: 'alice', password: 'wonderland', method: 'INVITE', uri: `sip:${to}@${REALM}` }) });
  }

  it('answers 407 to an unauthenticated INVITE and never reaches the session factory', async () => {
    const created: CallSessionRequest[] = [];
    const app = new TandemApp(appConfig(), { now, sessions: { create: async (r) => { created.push(r); } } });
    const res = new FakeRes();
    const out = await app.invites.handle(new FakeReq('INVITE', `sip:bob@${REALM}`, { From: `<sip:x@${REALM}>;tag=1`, To: `<sip:bob@${REALM}>` }), res);
    expect(out).to.deep.equal({ stage: 'auth', status: 407 });
    expect(res.last.status).to.equal(407);
    expect(res.last.headers['Proxy-Authenticate']).to.match(/^Digest /);
    expect(created).to.have.length(0);
    await app.close();
  });

  it('routes an authenticated call to a registered user and hands the plan to the session factory', async () => {
    const created: CallSessionRequest[] = [];
    const sessions: CallSessionFactory = { create: async (r) => { created.push(r); r.res.send(200); } };
    const app = new TandemApp(appConfig(), { now, sessions });
    await app.store.put({ aor: app.users.aor('bob'), contact: 'sip:bob@198.51.100.9:5062', expiresAt: t + 60_000, callId: 'r', cseq: 1, source: { transport: 'udp', address: '198.51.100.9', port: 5062 } });
    const res = new FakeRes();
    const out = await app.invites.handle(authedInvite(app, 'bob'), res);
    expect(out.stage).to.equal('session');
    expect(created).to.have.length(1);
    expect(created[0].caller).to.deep.include({ kind: 'user', user: 'alice' });
    expect(created[0].plan.b[0].uri).to.equal('sip:bob@198.51.100.9:5062');
    expect(res.last.status).to.equal(200);
    await app.close();
  });

  it('a group route: every member\'s bindings are looked up; the plan rings them all with the group\'s fork mode and timeouts', async () => {
    const created: CallSessionRequest[] = [];
    const sessions: CallSessionFactory = { create: async (r) => { created.push(r); r.res.send(200); } };
    const app = new TandemApp(appConfig({
      groups: [{ name: 'sales', members: ['bob', 'lobby'], ring: 'sequential', memberTimeoutSeconds: 10, timeoutSeconds: 30 }],
    }), { now, sessions });
    await app.store.put({ aor: app.users.aor('bob'), contact: 'sip:bob@198.51.100.9:5062', expiresAt: t + 60_000, callId: 'r', cseq: 1, source: { transport: 'udp', address: '198.51.100.9', port: 5062 } });
    const out = await app.invites.handle(authedInvite(app, 'sales'), new FakeRes());
    expect(out.stage).to.equal('session');
    const plan = created[0]!.plan;
    expect(plan.b.map((l) => [l.member, l.uri])).to.deep.equal([['bob', 'sip:bob@198.51.100.9:5062'], ['lobby', 'sip:lobby@192.0.2.50:5060']]);
    expect(plan.fork).to.equal('sequential');
    expect(plan.ring).to.deep.equal({ group: 'sales', memberTimeoutMs: 10000, totalTimeoutMs: 30000 });
    await app.close();
  });

  it('without a session factory (src/session not built yet) a planned call gets 503, an unroutable one its plan status', async () => {
    const app = new TandemApp(appConfig(), { now });
    const res = new FakeRes();
    expect(await app.invites.handle(authedInvite(app, 'lobby'), res)).to.deep.include({ stage: 'no-session', status: 503 });
    expect(res.last.status).to.equal(503);
    const res2 = new FakeRes();
    expect(await app.invites.handle(authedInvite(app, 'bob'), res2)).to.deep.include({ stage: 'plan', status: 480 });
    expect(res2.last.status).to.equal(480);
    await app.close();
  });

  it('a failing session factory turns into 500, not a crash', async () => {
    const app = new TandemApp(appConfig(), { now, sessions: { create: async () => { throw new Error('boom'); } } });
    const res = new FakeRes();
    await app.invites.handle(authedInvite(app, 'lobby'), res);
    expect(res.last.status).to.equal(500);
    await app.close();
  });

  it('attach() registers the REGISTER and INVITE routes of an srf', async () => {
    const app = new TandemApp(appConfig(), { now });
    const routes: string[] = [];
    app.attach({ register: () => routes.push('register'), invite: () => routes.push('invite') });
    expect(routes).to.deep.equal(['register', 'invite']);
    await app.close();
    await app.close();
  });
});

describe('app: garbage in REGISTER / INVITE headers', () => {
  it('always answers exactly once and never throws', async () => {
    const app = new TandemApp(appConfig(), { now: () => 1_800_000_000_000 });
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = ['<', '>', '"', ';', ',', '=', '*', 'sip:', 'alice', '@', 'tandem.test', 'expires', '0', '99999999999', ' ', 'Digest ', 'q=2', '\\', '\u0000', 'tel:+1'];
    const junk = (): string => Array.from({ length: rnd(12) }, () => pieces[rnd(pieces.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const method = i % 2 ? 'REGISTER' : 'INVITE';
      const req = new FakeReq(method, i % 3 ? `sip:${junk()}@tandem.test` : junk(), {
        To: i % 4 ? `<sip:alice@tandem.test>${junk()}` : junk(), From: junk(), CSeq: i % 5 ? `${rnd(100)} ${method}` : junk(),
        Contact: junk(), Expires: junk(), Authorization: `Digest ${junk()}`, 'Proxy-Authorization': junk(), 'P-Asserted-Identity': junk(),
      }).from(['udp', 'tcp', 'ws', 'wss', ''][rnd(5)], junk(), rnd(70000));
      const res = new FakeRes();
      if (method === 'REGISTER') await app.registrar.handle(req, res);
      else await app.invites.handle(req, res);
      expect(res.sent, `${method} #${i}`).to.have.length(1);
      expect(res.last.status).to.be.within(400, 599);
    }
    await app.close();
  });
});

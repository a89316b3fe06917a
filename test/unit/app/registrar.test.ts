import { expect } from 'chai';
import { DigestServer } from '../../../src/app/auth/digest-server.js';
import { TokenAuth } from '../../../src/app/auth/token-auth.js';
import { Registrar } from '../../../src/app/registrar/registrar.js';
import { MemoryRegistrarStore } from '../../../src/app/registrar/registrar-store.js';
import type { FlowId, FlowMonitor } from '../../../src/app/signaling/flow.js';
import { UserDirectory } from '../../../src/app/users/user-directory.js';
import { answerChallenge, FakeReq, FakeRes } from './fake-sip.js';

const REALM = 'tandem.test';

class ManualFlows implements FlowMonitor {
  private listeners = new Set<(f: FlowId) => void>();
  onFlowClosed(l: (f: FlowId) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  close(f: FlowId): void {
    for (const l of this.listeners) l(f);
  }
  get count(): number {
    return this.listeners.size;
  }
}

describe('app/registrar: REGISTER handling (RFC 3261 §10.3)', () => {
  let t: number;
  let store: MemoryRegistrarStore;
  let reg: Registrar;
  let flows: ManualFlows;
  let cseq: number;
  const now = (): number => t;
  const users = new UserDirectory([
    { name: 'alice', password: 'wonderland', ha1: '', profile: '', contact: '' },
    { name: 'bob', password: 'builder', ha1: '', profile: '', contact: '' },
  ], REALM, 'MD5');

  beforeEach(() => {
    t = 1_800_000_000_000;
    cseq = 1;
    store = new MemoryRegistrarStore(now);
    flows = new ManualFlows();
    reg = new Registrar({ digest: new DigestServer({ realm: REALM, algorithms: ['MD5'], now }), users, store, now, flows, minExpires: 60, maxExpires: 3600, defaultExpires: 600 });
  });
  afterEach(() => reg.close());

  /** Sends REGISTER without credentials, answers the 401, returns the final response. */
  async function register(headers: Record<string, string>, o: { user?: string; password?: string; callId?: string; cseq?: number; proto?: [string, string, number] } = {}): Promise<FakeRes> {
    const user = o.user ?? 'alice';
    const callId = o.callId ?? 'reg-1';
    const mk = (extra: Record<string, string>): FakeReq => {
      const r = new FakeReq('REGISTER', `sip:${REALM}`, { To: `<sip:${user}@${REALM}>`, From: `<sip:${user}@${REALM}>;tag=1`, 'Call-ID': callId, CSeq: `${o.cseq ?? cseq++} REGISTER`, ...headers, ...extra }, callId);
      if (o.proto) r.from(...o.proto);
      return r;
    };
    const res1 = new FakeRes();
    await reg.handle(mk({}), res1);
    expect(res1.last.status).to.equal(401);
    const challenge = res1.last.headers['WWW-Authenticate'];
    expect(challenge).to.match(/^Digest realm="tandem.test", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
    const res2 = new FakeRes();
    const auth = answerChallenge(challenge, { user, password: o.password ?? 'wonderland', method: 'REGISTER', uri: `sip:${REALM}` });
    await reg.handle(mk({ Authorization: auth, CSeq: `${o.cseq !== undefined ? o.cseq + 1 : cseq++} REGISTER` }), res2);
    return res2;
  }

  it('challenges with 401, then binds the contact and lists it with its expiry', async () => {
    const res = await register({ Contact: '<sip:alice@192.0.2.10:5062>', Expires: '300' });
    expect(res.last.status).to.equal(200);
    expect(res.last.headers.Contact).to.equal('<sip:alice@192.0.2.10:5062>;expires=300');
    expect(res.last.headers.Date).to.be.a('string');
    const b = await store.lookup('sip:alice@tandem.test');
    expect(b).to.have.length(1);
    expect(b[0]).to.include({ contact: 'sip:alice@192.0.2.10:5062', expiresAt: t + 300_000, callId: 'reg-1' });
    expect(b[0].flowId).to.equal(undefined);
  });

  it('rejects a wrong password with 403 and an unknown user with 403; binds nothing', async () => {
    expect((await register({ Contact: '<sip:alice@h>' }, { password: 'nope' })).last.status).to.equal(403);
    expect((await register({ Contact: '<sip:mallory@h>' }, { user: 'mallory', password: 'x' })).last.status).to.equal(403);
    expect(await store.size()).to.equal(0);
  });

  it('refuses to let one user register another user\'s AOR (403)', async () => {
    const res1 = new FakeRes();
    const mk = (extra: Record<string, string>): FakeReq => new FakeReq('REGISTER', `sip:${REALM}`, { To: `<sip:bob@${REALM}>`, CSeq: '1 REGISTER', Contact: '<sip:evil@h>', ...extra });
    await reg.handle(mk({}), res1);
    const auth = answerChallenge(res1.last.headers['WWW-Authenticate'], { user: 'alice', password: 'wonderland', method: 'REGISTER', uri: `sip:${REALM}` });
    const res2 = new FakeRes();
    await reg.handle(mk({ Authorization: auth }), res2);
    expect(res2.last.status).to.equal(403);
    expect(await store.size()).to.equal(0);
  });

  it('answers 423 with Min-Expires for too brief an interval, and shortens too long ones to maxExpires', async () => {
    const r = await register({ Contact: '<sip:alice@h1>;expires=30' });
    expect(r.last.status).to.equal(423);
    expect(r.last.headers['Min-Expires']).to.equal('60');
    expect(await store.size()).to.equal(0);
    const r2 = await register({ Contact: '<sip:alice@h1>', Expires: '999999' });
    expect(r2.last.headers.Contact).to.equal('<sip:alice@h1>;expires=3600');
  });

  it('uses the default expiry when none is given and the Contact parameter over the Expires header', async () => {
    const r = await register({ Contact: '<sip:alice@h1>, <sip:alice@h2>;expires=120', Expires: '200' });
    expect(r.last.headers.Contact).to.contain('<sip:alice@h1>;expires=200').and.contain('<sip:alice@h2>;expires=120');
    const r2 = await register({ Contact: '<sip:alice@h3>' }, { callId: 'other' });
    expect(r2.last.headers.Contact).to.contain('<sip:alice@h3>;expires=600');
  });

  it('keeps several contacts per user, lists them all, and lets them expire', async () => {
    await register({ Contact: '<sip:alice@desk>;expires=100' }, { callId: 'desk' });
    await register({ Contact: '<sip:alice@soft>;expires=1000' }, { callId: 'soft' });
    expect((await store.lookup('sip:alice@tandem.test')).map((b) => b.contact).sort()).to.deep.equal(['sip:alice@desk', 'sip:alice@soft']);
    t += 101_000;
    const fetch = await register({}, { callId: 'fetch' });
    expect(fetch.last.status).to.equal(200);
    expect(fetch.last.headers.Contact).to.equal('<sip:alice@soft>;expires=899');
  });

  it('removes one contact with expires=0 and all with Contact: * / Expires: 0', async () => {
    await register({ Contact: '<sip:alice@a>, <sip:alice@b>, <sip:alice@c>' });
    const r = await register({ Contact: '<sip:alice@b>;expires=0' });
    expect(r.last.headers.Contact).to.not.contain('alice@b');
    expect(await store.size()).to.equal(2);
    const star = await register({ Contact: '*', Expires: '0' });
    expect(star.last.status).to.equal(200);
    expect(star.last.headers.Contact).to.equal(undefined);
    expect(await store.size()).to.equal(0);
  });

  it('rejects Contact: * without Expires: 0, or mixed with other contacts (400)', async () => {
    expect((await register({ Contact: '*', Expires: '60' })).last.status).to.equal(400);
    expect((await register({ Contact: '*' })).last.status).to.equal(400);
    expect((await register({ Contact: '*, <sip:alice@x>', Expires: '0' })).last.status).to.equal(400);
    expect((await register({ Contact: 'not a uri' })).last.status).to.equal(400);
  });

  it('orders by Call-ID/CSeq: an older CSeq in the same Call-ID is refused; another Call-ID replaces', async () => {
    await register({ Contact: '<sip:alice@a>', Expires: '300' }, { callId: 'c1', cseq: 10 }); // stored with CSeq 11
    const stale = await register({ Contact: '<sip:alice@a>', Expires: '900' }, { callId: 'c1', cseq: 4 }); // 5 < 11
    expect(stale.last.status).to.equal(500);
    expect((await store.lookup('sip:alice@tandem.test'))[0].expiresAt).to.equal(t + 300_000);
    const other = await register({ Contact: '<sip:alice@a>', Expires: '900' }, { callId: 'c2', cseq: 1 });
    expect(other.last.status).to.equal(200);
    const b = await store.lookup('sip:alice@tandem.test');
    expect(b).to.have.length(1);
    expect(b[0]).to.include({ callId: 'c2', expiresAt: t + 900_000 });
  });

  it('Contact: * keeps a binding whose Call-ID matches with a CSeq not higher', async () => {
    await register({ Contact: '<sip:alice@a>' }, { callId: 'same', cseq: 50 }); // stored CSeq 51
    await register({ Contact: '<sip:alice@b>' }, { callId: 'another' });
    const r = await register({ Contact: '*', Expires: '0' }, { callId: 'same', cseq: 20 }); // 21 < 51
    expect(r.last.status).to.equal(200);
    expect((await store.lookup('sip:alice@tandem.test')).map((x) => x.contact)).to.deep.equal(['sip:alice@a']);
  });

  it('records the WebSocket flow and removes those bindings when the flow closes', async () => {
    await register({ Contact: '<sip:k3j2@df7jal23ls0d.invalid;transport=ws>;+sip.instance="<urn:uuid:1>";reg-id=1' }, { proto: ['ws', '198.51.100.7', 51000] });
    await register({ Contact: '<sip:alice@desk>' }, { callId: 'desk' });
    const ws = (await store.lookup('sip:alice@tandem.test')).find((b) => b.contact.includes('.invalid'))!;
    expect(ws.flowId).to.equal('ws:198.51.100.7:51000');
    expect(ws.source).to.deep.equal({ transport: 'ws', address: '198.51.100.7', port: 51000 });
    expect(ws.instanceId).to.equal('<urn:uuid:1>');
    expect(ws.regId).to.equal(1);
    flows.close('ws:198.51.100.7:51000');
    await new Promise((r) => setImmediate(r));
    expect((await store.lookup('sip:alice@tandem.test')).map((b) => b.contact)).to.deep.equal(['sip:alice@desk']);
    reg.close();
    reg.close();
    expect(flows.count).to.equal(0);
  });

  it('re-challenges a stale nonce with stale=true', async () => {
    const res1 = new FakeRes();
    const mk = (extra: Record<string, string>): FakeReq => new FakeReq('REGISTER', `sip:${REALM}`, { To: `<sip:alice@${REALM}>`, CSeq: '1 REGISTER', Contact: '<sip:alice@h>', ...extra });
    await reg.handle(mk({}), res1);
    const auth = answerChallenge(res1.last.headers['WWW-Authenticate'], { user: 'alice', password: 'wonderland', method: 'REGISTER', uri: `sip:${REALM}` });
    t += 301_000;
    const res2 = new FakeRes();
    await reg.handle(mk({ Authorization: auth }), res2);
    expect(res2.last.status).to.equal(401);
    expect(res2.last.headers['WWW-Authenticate']).to.contain('stale=true');
  });

  it('answers 400 to a REGISTER without a usable To or CSeq, and 400 to malformed credentials', async () => {
    const r1 = new FakeRes();
    await reg.handle(new FakeReq('REGISTER', 'sip:x', { To: 'garbage', CSeq: '1 REGISTER' }), r1);
    expect(r1.last.status).to.equal(400);
    const r2 = new FakeRes();
    await reg.handle(new FakeReq('REGISTER', 'sip:x', { To: '<sip:alice@x>', CSeq: 'one REGISTER' }), r2);
    expect(r2.last.status).to.equal(400);
    const r3 = new FakeRes();
    await reg.handle(new FakeReq('REGISTER', 'sip:x', { To: '<sip:alice@x>', CSeq: '1 REGISTER', Authorization: 'Digest username="alice"' }), r3);
    expect(r3.last.status).to.equal(400);
  });

  it('limits contacts per AOR', async () => {
    const many = Array.from({ length: 11 }, (_, i) => `<sip:alice@h${i}>`).join(', ');
    expect((await register({ Contact: many })).last.status).to.equal(403);
    expect(await store.size()).to.equal(0);
  });

  it('answers 500 (and does not throw) when the store fails', async () => {
    const broken = new Registrar({ digest: new DigestServer({ realm: REALM, algorithms: ['MD5'], now }), users, now,
      store: Object.assign(new MemoryRegistrarStore(now), { lookup: async () => { throw new Error('store down'); } }) });
    const res1 = new FakeRes();
    const mk = (extra: Record<string, string>): FakeReq => new FakeReq('REGISTER', `sip:${REALM}`, { To: `<sip:alice@${REALM}>`, CSeq: '1 REGISTER', Contact: '<sip:alice@h>', ...extra });
    await broken.handle(mk({}), res1);
    const auth = answerChallenge(res1.last.headers['WWW-Authenticate'], { user: 'alice', password: 'wonderland', method: 'REGISTER', uri: `sip:${REALM}` });
    const res2 = new FakeRes();
    expect(await broken.handle(mk({ Authorization: auth }), res2)).to.deep.include({ status: 500 });
    expect(res2.last.status).to.equal(500);
  });

  it('registers a browser by the token of its WebSocket flow (no digest); a bad token gets 403', async () => {
    const tokens = new TokenAuth('a-token-secret-of-enough-length', now);
    const flowTokens = new Map([['wss:198.51.100.7:50001', tokens.issue('carol', 600)], ['wss:198.51.100.7:50002', 'bad.token']]);
    const r = new Registrar({ digest: new DigestServer({ realm: REALM, now }), users, store, now, tokens, flowTokens: { tokenFor: (f) => flowTokens.get(f) } });
    const mk = (user: string, port: number): FakeReq => new FakeReq('REGISTER', `sip:${REALM}`, { To: `<sip:${user}@${REALM}>`, CSeq: '1 REGISTER', Contact: '<sip:x@y.invalid;transport=ws>' }).from('wss', '198.51.100.7', port);
    const ok = new FakeRes();
    await r.handle(mk('carol', 50001), ok);
    expect(ok.last.status).to.equal(200);
    expect((await store.lookup('sip:carol@tandem.test'))[0].flowId).to.equal('wss:198.51.100.7:50001');
    const other = new FakeRes();
    await r.handle(mk('alice', 50001), other); // the token names carol, not alice
    expect(other.last.status).to.equal(403);
    const bad = new FakeRes();
    await r.handle(mk('carol', 50002), bad);
    expect(bad.last.status).to.equal(403);
    const none = new FakeRes();
    await r.handle(mk('carol', 50003), none); // no token on this flow: digest
    expect(none.last.status).to.equal(401);
    r.close();
  });

  it('purges expired bindings from the store on a timer, and close() stops it', async () => {
    const r = new Registrar({ digest: new DigestServer({ realm: REALM, now }), users, store, now, purgeIntervalMs: 10 });
    await store.put({ aor: 'sip:alice@tandem.test', contact: 'sip:old', expiresAt: t - 1, callId: 'c', cseq: 1 });
    await store.put({ aor: 'sip:alice@tandem.test', contact: 'sip:new', expiresAt: t + 1000, callId: 'c', cseq: 1 });
    const end = Date.now() + 2000;
    while ((await store.size()) !== 1 && Date.now() < end) await new Promise((res) => setTimeout(res, 5));
    expect(await store.size()).to.equal(1);
    r.close();
    t += 5000;
    await new Promise((res) => setTimeout(res, 40));
    expect(await store.size()).to.equal(1);
  });
});

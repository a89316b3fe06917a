import { expect } from 'chai';
import { TandemApp } from '../../../src/app/app.js';
import type { Caller } from '../../../src/app/auth/caller-auth.js';
import { decideMedia, planCall, type CallPlan, type PlanCallInput } from '../../../src/app/calls/plan-call.js';
import { BUILTIN_PROFILES, type PeerProfile } from '../../../src/app/profiles/peer-profiles.js';
import type { Binding } from '../../../src/app/registrar/registrar-store.js';
import type { GroupConfig } from '../../../src/config/schema.js';
import { appConfig, REALM } from './test-config.js';

const app = new TandemApp(appConfig());
after(() => app.close());

const alice: Caller = { kind: 'user', user: 'alice', method: 'digest', overWebSocket: false };
const aliceBrowser: Caller = { kind: 'user', user: 'alice', method: 'token', overWebSocket: true, flowId: 'wss:198.51.100.7:5000' };
const pstn: Caller = { kind: 'trunk', trunk: app.trunks.get('pstn')! };

/** Ring groups of these tests (the dial plan routes `sales` to group:sales). */
let groups: GroupConfig[] = [];
/** Bindings of group members, by user name. */
let memberBindings: Record<string, Binding[]> = {};

function plan(caller: Caller, dialed: string, bindings: Binding[] = [], presented: PlanCallInput['presented'] = {}): CallPlan {
  return planCall({
    caller, presented, route: app.dialPlan.route(dialed, caller.kind), bindings, profiles: app.profiles, domain: REALM,
    user: (n) => app.users.get(n), trunk: (n) => app.trunks.get(n),
    group: (n) => groups.find((g) => g.name === n), memberBindings: (u) => memberBindings[u] ?? [],
  });
}

const binding = (contact: string, transport: string, port: number, flowId?: string): Binding => ({
  aor: 'sip:bob@tandem.test', contact, expiresAt: 9e15, callId: 'c', cseq: 1,
  source: { transport, address: '198.51.100.9', port }, ...(flowId ? { flowId } : {}),
});

function ok(p: CallPlan): Extract<CallPlan, { ok: true }> {
  if (!p.ok) throw new Error(`expected a plan, got ${p.status} ${p.reason}`);
  return p;
}

describe('app/calls: planCall', () => {
  it('browser -> desk phone: webrtc A leg, sip B leg, passthrough on G.711', () => {
    const p = ok(plan(aliceBrowser, 'bob', [binding('sip:bob@198.51.100.9:5062', 'udp', 5062)]));
    expect(p.a.kind).to.equal('webrtc');
    expect(p.a.profile.name).to.equal('browser');
    expect(p.b).to.have.length(1);
    expect(p.b[0]).to.deep.include({ kind: 'sip', uri: 'sip:bob@198.51.100.9:5062', nextHop: { transport: 'udp', host: '198.51.100.9', port: 5062 } });
    expect(p.b[0].profile.media).to.equal('avp');
    expect(p.b[0].media).to.deep.equal({ transcode: false, codecs: ['PCMU', 'PCMA'] });
    expect(p.fork).to.equal('parallel');
    expect(p.rule).to.equal('local users');
  });

  it('forks to every registered contact; a WebSocket binding becomes a webrtc leg on its flow', () => {
    const p = ok(plan(alice, 'alice', [
      binding('sip:x@y.invalid;transport=ws', 'wss', 6000, 'wss:198.51.100.9:6000'),
      binding('sip:alice@198.51.100.9:5062', 'udp', 5062),
    ]));
    expect(p.b.map((l) => [l.kind, l.profile.name, l.flowId])).to.deep.equal([['webrtc', 'browser', 'wss:198.51.100.9:6000'], ['sip', 'deskphone', undefined]]);
    expect(p.a.kind).to.equal('sip');
  });

  it('does not ring the calling device itself', () => {
    const p = plan(aliceBrowser, 'alice', [binding('sip:x@y.invalid;transport=ws', 'wss', 5000, 'wss:198.51.100.7:5000')]);
    expect(p).to.deep.equal({ ok: false, status: 480, reason: 'Temporarily Unavailable' });
  });

  it('a user with no binding: 480, unless a static contact exists; unknown user 404', () => {
    expect(plan(alice, 'bob')).to.deep.include({ ok: false, status: 480 });
    const p = ok(plan(alice, 'lobby'));
    expect(p.b[0]).to.deep.include({ kind: 'sip', uri: 'sip:lobby@192.0.2.50:5060' });
    expect(plan(alice, 'nobody')).to.deep.include({ ok: false, status: 404 });
  });

  it('no dial plan match: 404; an invalid dialed string: 484; an unknown group: 404', () => {
    expect(plan(alice, '12')).to.deep.include({ ok: false, status: 404 });
    expect(plan(alice, 'a;b')).to.deep.include({ ok: false, status: 484 });
    groups = [];
    expect(plan(alice, 'sales')).to.deep.include({ ok: false, status: 404 });
  });

  it('outbound to a trunk: sequential failover over its addresses, E.164 number, asserted caller ID', () => {
    const p = ok(plan(alice, '02079460000'));
    expect(p.fork).to.equal('sequential');
    expect(p.b.map((l) => l.uri)).to.deep.equal(['sip:+442079460000@203.0.113.1:5060', 'sip:+442079460000@203.0.113.2']);
    // alice has no number: the trunk's default number is presented and asserted (RFC 3325)
    expect(p.callerId).to.deep.equal({ user: '+442071234500', pAssertedIdentity: '<sip:+442071234500@tandem.test>' });
  });

  it('trunk transport and profile come from the trunk (tcp, SDES)', () => {
    const p = ok(plan(alice, '7001'));
    expect(p.b[0].uri).to.equal('sip:7001@pbx.example.net;transport=tcp');
    expect(p.b[0].profile.media).to.equal('sdes');
    expect(p.b[0].media).to.deep.equal({ transcode: false, codecs: ['PCMA'] });
    expect(p.callerId).to.deep.equal({ user: 'alice' });
  });

  it('inbound from a trunk: DIDs to users and endpoints; the trusted PAI gives the calling number', () => {
    const p = ok(plan(pstn, '+442071234567', [binding('sip:a@h', 'udp', 5060)], { fromUser: 'anonymous', assertedUser: '+441234567890' }));
    expect(p.a).to.deep.include({ kind: 'sip' });
    expect(p.a.profile.name).to.equal('trunk');
    expect(p.callerId.user).to.equal('+441234567890');
    expect(ok(plan(pstn, '+442071234568')).b[0].uri).to.equal('sip:lobby@192.0.2.50:5060');
    // a trunk may not dial users or other numbers without a rule
    expect(plan(pstn, 'alice')).to.deep.include({ ok: false, status: 404 });
    expect(plan(pstn, '+15551234567')).to.deep.include({ ok: false, status: 404 });
  });

  it('an untrusted trunk presents the From user', () => {
    const pbx: Caller = { kind: 'trunk', trunk: { ...app.trunks.get('pstn')!, callerId: { assert: false, trust: false, defaultNumber: '' } } };
    expect(ok(plan(pbx, '+442071234567', [binding('sip:a@h', 'udp', 5060)], { fromUser: '+4411', assertedUser: '+4499' })).callerId.user).to.equal('+4411');
  });

  describe('ring groups', () => {
    afterEach(() => {
      groups = [];
      memberBindings = {};
    });
    const sales = (over: Partial<GroupConfig> = {}): GroupConfig => ({
      name: 'sales', members: ['bob', 'lobby', 'alice'], ring: 'parallel', memberTimeoutSeconds: 15, timeoutSeconds: 45, ...over,
    });

    it('parallel: every member\'s bindings, or its static contact, one leg each, tagged with the member; ring timeouts in ms', () => {
      groups = [sales()];
      memberBindings = {
        bob: [binding('sip:bob@198.51.100.9:5062', 'udp', 5062), binding('sip:bob@198.51.100.9:5064', 'udp', 5064)],
        alice: [binding('sip:alice@198.51.100.9:5070', 'udp', 5070)],
      };
      const p = ok(plan(pstn, 'sales'));
      expect(p.fork).to.equal('parallel');
      expect(p.ring).to.deep.equal({ group: 'sales', memberTimeoutMs: 15000, totalTimeoutMs: 45000 });
      expect(p.b.map((l) => [l.member, l.uri, l.profile.name])).to.deep.equal([
        ['bob', 'sip:bob@198.51.100.9:5062', 'deskphone'],
        ['bob', 'sip:bob@198.51.100.9:5064', 'deskphone'],
        ['lobby', 'sip:lobby@192.0.2.50:5060', 'deskphone'],
        ['alice', 'sip:alice@198.51.100.9:5070', 'deskphone'],
      ]);
      expect(p.a.kind).to.equal('sip');
    });

    it('sequential keeps the member order; a member calling its own group is not rung; members without a contact are skipped', () => {
      groups = [sales({ ring: 'sequential', timeoutSeconds: 0 })];
      memberBindings = { alice: [binding('sip:alice@198.51.100.9:5070', 'udp', 5070)] };
      const p = ok(plan(alice, 'sales'));
      expect(p.fork).to.equal('sequential');
      expect(p.ring).to.deep.equal({ group: 'sales', memberTimeoutMs: 15000, totalTimeoutMs: 0 });
      // bob has no binding and no static contact; alice is the caller
      expect(p.b.map((l) => l.member)).to.deep.equal(['lobby']);
    });

    it('a group with no reachable member: 480; members that share no codec with the caller are dropped (488 when none is left)', () => {
      groups = [sales({ members: ['bob'] })];
      expect(plan(pstn, 'sales')).to.deep.equal({ ok: false, status: 480, reason: 'Temporarily Unavailable' });
      groups = [sales({ members: ['vault', 'lobby'] })];
      expect(ok(plan(pstn, 'sales')).b.map((l) => l.member)).to.deep.equal(['lobby']);
      groups = [sales({ members: ['vault'] })];
      expect(plan(pstn, 'sales')).to.deep.include({ ok: false, status: 488 });
    });

    it('a browser member\'s WebSocket binding becomes a webrtc leg', () => {
      groups = [sales({ members: ['alice', 'lobby'] })];
      memberBindings = { alice: [binding('sip:x@y.invalid;transport=ws', 'wss', 6000, 'wss:198.51.100.9:6000')] };
      const p = ok(plan(pstn, 'sales'));
      expect(p.b.map((l) => [l.member, l.kind])).to.deep.equal([['alice', 'webrtc'], ['lobby', 'sip']]);
    });
  });

  it('no codec in common and no Opus/G.711 pair: 488', () => {
    expect(plan(alice, 'vault')).to.deep.include({ ok: false, status: 488 });
  });
});

describe('app/calls: decideMedia', () => {
  const p = (over: Partial<PeerProfile>): PeerProfile => ({ ...BUILTIN_PROFILES.deskphone, ...over });
  it('passes through shared codecs in A\'s preference order', () => {
    expect(decideMedia(p({ codecs: { allow: ['PCMU', 'PCMA'], prefer: ['PCMA'] } }), p({}))).to.deep.equal({ transcode: false, codecs: ['PCMA', 'PCMU'] });
    expect(decideMedia(BUILTIN_PROFILES.browser, BUILTIN_PROFILES.browser)).to.deep.equal({ transcode: false, codecs: ['opus', 'PCMU', 'PCMA'] });
  });
  it('transcodes Opus <-> G.711 only when the legs share nothing', () => {
    const opusOnly = p({ media: 'webrtc', codecs: { allow: ['opus'], prefer: [] } });
    expect(decideMedia(opusOnly, BUILTIN_PROFILES.deskphone)).to.deep.equal({ transcode: true, a: 'opus', b: 'PCMU' });
    expect(decideMedia(BUILTIN_PROFILES.trunk, opusOnly)).to.deep.equal({ transcode: true, a: 'PCMU', b: 'opus' });
    expect(decideMedia(p({ codecs: { allow: ['G722'], prefer: [] } }), opusOnly)).to.equal(null);
  });
  it('prefer-opus keeps Opus on the browser leg and transcodes', () => {
    const b = { ...BUILTIN_PROFILES.browser, transcoding: 'prefer-opus' as const };
    expect(decideMedia(b, BUILTIN_PROFILES.deskphone)).to.deep.equal({ transcode: true, a: 'opus', b: 'PCMU' });
    expect(decideMedia(BUILTIN_PROFILES.deskphone, b)).to.deep.equal({ transcode: true, a: 'PCMU', b: 'opus' });
  });
});

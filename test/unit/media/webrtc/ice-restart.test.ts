// ICE restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1) in the IceAgent, on a manual clock: the remote
// peer is simulated here with the STUN codec (its checks, its responses to ours).
import { expect } from 'chai';
import { IceAgent } from '../../../../src/media/webrtc/ice-agent.js';
import {
  ATTR_ICE_CONTROLLED, ATTR_ICE_CONTROLLING, ATTR_USE_CANDIDATE, ATTR_USERNAME, STUN_BINDING_ERROR, STUN_BINDING_REQUEST,
  STUN_BINDING_SUCCESS, decodeStun, encodeStun, newTransactionId, verifyIntegrity, type StunAttr, type StunMessage,
} from '../../../../src/media/webrtc/stun.js';
import type { IceCandidateParams, IceState } from '../../../../src/media/webrtc/types.js';
import { ManualClock } from '../../../helpers/manual-clock.js';

interface Sent { buf: Buffer; port: number; address: string }

const PWD1 = 'remotepassword-one-remotepass';
const PWD2 = 'remotepassword-two-remotepass';
const host = (port: number): IceCandidateParams => ({ foundation: '1', component: 1, transport: 'udp', priority: 1, address: '127.0.0.1', port, type: 'host' });

function setup(opts: { lite: boolean; controlling: boolean }) {
  const clock = new ManualClock();
  const sent: Sent[] = [];
  const states: IceState[] = [];
  const selected: string[] = [];
  const agent = new IceAgent({
    ...opts, clock,
    send: (buf, port, address) => sent.push({ buf, port, address }),
    onStateChange: (s) => states.push(s),
    onSelected: (a, p) => selected.push(`${a}:${p}`),
  });
  return { clock, sent, states, selected, agent };
}

/** A check from the remote (controlling) agent, with our ufrag/pwd as the remote knows them. */
function check(local: { ufrag: string; pwd: string }, remoteUfrag: string, opts: { useCandidate?: boolean } = {}): Buffer {
  const attrs: StunAttr[] = [
    { type: ATTR_USERNAME, value: Buffer.from(`${local.ufrag}:${remoteUfrag}`) },
    { type: ATTR_ICE_CONTROLLING, value: Buffer.alloc(8, 1) },
  ];
  if (opts.useCandidate) attrs.push({ type: ATTR_USE_CANDIDATE, value: Buffer.alloc(0) });
  return encodeStun(STUN_BINDING_REQUEST, newTransactionId(), attrs, local.pwd);
}

const creds = (a: IceAgent): { ufrag: string; pwd: string } => ({ ufrag: a.localUfrag, pwd: a.localPwd });
const decoded = (s: Sent): StunMessage => decodeStun(s.buf)!;
/** Our outgoing Binding requests toward `port`. */
const requestsTo = (sent: Sent[], port: number): StunMessage[] => sent.filter((s) => s.port === port).map(decoded).filter((m) => m.type === STUN_BINDING_REQUEST);
/** The remote answers our request `m` (signed with the remote password it was sent with). */
const answer = (m: StunMessage, pwd: string): Buffer => encodeStun(STUN_BINDING_SUCCESS, m.transactionId, [], pwd);

/** Full, controlled agent (Tandem answering a browser) connected to 127.0.0.1:6000 with remote creds R1/PWD1. */
function connectedControlled() {
  const t = setup({ lite: false, controlling: false });
  t.agent.setRemote('R1', PWD1, [host(6000)]);
  t.clock.advance(0);
  const first = requestsTo(t.sent, 6000)[0];
  expect(first.attributes.has(ATTR_ICE_CONTROLLED)).to.equal(true);
  expect(t.agent.handleStun(check(creds(t.agent), 'R1', { useCandidate: true }), '127.0.0.1', 6000)).to.equal(true);
  expect(t.agent.handleStun(answer(first, PWD1), '127.0.0.1', 6000)).to.equal(true);
  expect(t.selected).to.deep.equal(['127.0.0.1:6000']);
  expect(t.agent.state).to.equal('connected');
  return t;
}

describe('IceAgent ICE restart (RFC 8445 §9)', () => {
  it('browser-initiated restart, full controlled agent: new credentials, checks on the new ones, the pair moves to the new port, old-session checks only keep consent', () => {
    const { agent, sent, selected, states, clock } = connectedControlled();
    const old = creds(agent);
    const fresh = agent.restartLocal();
    expect(fresh.ufrag).to.not.equal(old.ufrag);
    expect(fresh.pwd).to.not.equal(old.pwd);
    expect(agent.restarting).to.equal(true);

    // The browser keeps its consent checks on the old session until it has our answer: answered with the old password, no selection change.
    let n = sent.length;
    expect(agent.handleStun(check(old, 'R1', { useCandidate: true }), '127.0.0.1', 6000)).to.equal(true);
    const consentResp = decoded(sent[n]);
    expect(consentResp.type).to.equal(STUN_BINDING_SUCCESS);
    expect(verifyIntegrity(consentResp, old.pwd)).to.equal(true);

    // The browser's new credentials and its new candidate (another port): checks start over on them.
    agent.setRemote('R2', PWD2, [host(6100)]);
    expect(agent.stats.restarts).to.equal(1);
    clock.advance(0);
    const newCheck = requestsTo(sent, 6100)[0];
    expect(newCheck.attributes.get(ATTR_USERNAME)?.toString()).to.equal(`R2:${fresh.ufrag}`);
    expect(verifyIntegrity(newCheck, PWD2)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:6000']);

    // The browser checks the new pair (no nomination yet): it may send media there already.
    expect(agent.isAuthenticatedSource('127.0.0.1', 6100)).to.equal(false);
    expect(agent.handleStun(check(fresh, 'R2'), '127.0.0.1', 6100)).to.equal(true);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6100)).to.equal(true);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6999)).to.equal(false);
    expect(selected).to.deep.equal(['127.0.0.1:6000']);
    // Our check on it succeeds, then the browser nominates it: selected.
    expect(agent.handleStun(answer(newCheck, PWD2), '127.0.0.1', 6100)).to.equal(true);
    expect(selected, 'selected only once nominated (controlled)').to.deep.equal(['127.0.0.1:6000']);
    expect(agent.handleStun(check(fresh, 'R2', { useCandidate: true }), '127.0.0.1', 6100)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:6000', '127.0.0.1:6100']);
    expect(agent.restarting).to.equal(false);
    expect(states, 'ICE stays connected through the restart').to.deep.equal(['checking', 'connected']);
    // Our selection moved, the browser's may not have yet: until its own checklist selects the new
    // pair, its selected pair is still the previous one and it keeps sending there (RFC 8445 §9,
    // §12.1). So the previous pair stays an accepted media source until the browser is seen on
    // the new pair (SRTP keys do not change on a restart: its packets are still authenticated).
    expect(agent.isAuthenticatedSource('127.0.0.1', 6000), 'previous pair accepted right after the switch').to.equal(true);
    expect(agent.previousPairAccepted).to.equal(true);

    // A late check of the old session (old remote ufrag) is answered but moves nothing.
    n = sent.length;
    expect(agent.handleStun(check(old, 'R1', { useCandidate: true }), '127.0.0.1', 6000)).to.equal(true);
    expect(decoded(sent[n]).type).to.equal(STUN_BINDING_SUCCESS);
    expect(sent.length, 'no triggered check for an old-session request').to.equal(n + 1);
    expect(selected).to.deep.equal(['127.0.0.1:6000', '127.0.0.1:6100']);
    // Authenticated media on the new pair: the browser has moved; the previous pair is a source
    // only while the move settles (5 s), then no longer.
    agent.noteSelectedMedia();
    expect(agent.isAuthenticatedSource('127.0.0.1', 6000), 'still accepted while the move settles').to.equal(true);
    clock.advance(5000);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6000), 'previous pair refused 5 s after media came on the new one').to.equal(false);
    expect(agent.previousPairAccepted).to.equal(false);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6999), 'never validated: never accepted').to.equal(false);
    // Credentials that were never ours: 401.
    n = sent.length;
    expect(agent.handleStun(check({ ufrag: 'nope', pwd: 'nopenopenopenopenopenope' }, 'R2'), '127.0.0.1', 6000)).to.equal(false);
    expect(decoded(sent[n]).type).to.equal(STUN_BINDING_ERROR);

    // Consent freshness continues on the new pair, with the new credentials (RFC 7675).
    n = sent.length;
    clock.advance(6500);
    const consent = sent.slice(n).map(decoded).filter((m) => m.type === STUN_BINDING_REQUEST);
    expect(consent.length).to.be.at.least(1);
    expect(sent.slice(n).every((s) => s.port === 6100)).to.equal(true);
    expect(consent[0].attributes.get(ATTR_USERNAME)?.toString()).to.equal(`R2:${fresh.ufrag}`);
    expect(verifyIntegrity(consent[0], PWD2)).to.equal(true);
    for (const c of consent) agent.handleStun(answer(c, PWD2), '127.0.0.1', 6100);
    clock.advance(20000);
    expect(agent.state).to.equal('connected');
    // ...and still expires when the new pair goes silent.
    clock.advance(40000);
    expect(agent.state).to.equal('failed');
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('a restart that is never answered keeps the old session: old credentials keep working, no failure', () => {
    const { agent, sent, selected, clock } = connectedControlled();
    const old = creds(agent);
    agent.restartLocal();
    agent.restartLocal(); // a second restart before the first completed: the peer still uses the oldest credentials
    for (let i = 0; i < 10; i++) {
      clock.advance(4000);
      const n = sent.length;
      expect(agent.handleStun(check(old, 'R1'), '127.0.0.1', 6000)).to.equal(true);
      expect(verifyIntegrity(decoded(sent[n]), old.pwd)).to.equal(true);
    }
    expect(agent.state).to.equal('connected');
    expect(selected).to.deep.equal(['127.0.0.1:6000']);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('ICE-lite restart: answers old checks without re-selecting, selects the pair nominated with the new credentials', () => {
    const { agent, sent, selected, clock } = setup({ lite: true, controlling: false });
    agent.setRemote('R1', PWD1, []);
    expect(agent.handleStun(check(creds(agent), 'R1', { useCandidate: true }), '127.0.0.1', 5000)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:5000']);
    const old = creds(agent);
    const fresh = agent.restartLocal();
    // A nomination naming a remote ufrag we do not know yet (the answer is not applied) never moves the pair.
    expect(agent.handleStun(check(old, 'R2', { useCandidate: true }), '127.0.0.1', 5002)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:5000']);
    agent.setRemote('R2', PWD2, [host(5002)]);
    clock.advance(5000);
    expect(sent.filter((s) => decoded(s).type === STUN_BINDING_REQUEST), 'lite sends no checks').to.have.length(0);
    expect(agent.handleStun(check(fresh, 'R2', { useCandidate: true }), '127.0.0.1', 5002)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:5000', '127.0.0.1:5002']);
    expect(agent.restarting).to.equal(false);
    // A late old-session nomination does not move the pair back.
    expect(agent.handleStun(check(old, 'R1', { useCandidate: true }), '127.0.0.1', 5000)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:5000', '127.0.0.1:5002']);
    expect(agent.stats.restarts).to.equal(1);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('we restart as the controlling agent: nominates the new pair on its first success; a late consent response of the old session still counts', () => {
    const { agent, sent, selected, clock } = setup({ lite: false, controlling: true });
    agent.setRemote('R1', PWD1, [host(7000)]);
    clock.advance(0);
    agent.handleStun(answer(requestsTo(sent, 7000)[0], PWD1), '127.0.0.1', 7000);
    expect(selected).to.deep.equal(['127.0.0.1:7000']);
    // A consent request goes out on the old session...
    clock.advance(6500);
    const consent = requestsTo(sent, 7000).slice(1);
    expect(consent.length).to.be.at.least(1);
    const fresh = agent.restartLocal();
    agent.setRemote('R2', PWD2, [host(7002)]);
    // ...and its response (signed with the old remote password) arrives after the answer: not a drop.
    expect(agent.handleStun(answer(consent[0], PWD1), '127.0.0.1', 7000)).to.equal(true);
    clock.advance(0);
    const c = requestsTo(sent, 7002)[0];
    expect(c.attributes.has(ATTR_USE_CANDIDATE)).to.equal(true);
    expect(c.attributes.get(ATTR_USERNAME)?.toString()).to.equal(`R2:${fresh.ufrag}`);
    expect(agent.handleStun(answer(c, PWD2), '127.0.0.1', 7002)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:7000', '127.0.0.1:7002']);
    expect(agent.state).to.equal('connected');
    // A response signed with neither password is a drop.
    expect(agent.handleStun(answer(consent[0], 'neither-password-of-the-peer'), '127.0.0.1', 7000)).to.equal(false);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('a restart while ICE had failed (the browser changed networks) connects again on the new pair', () => {
    const { agent, sent, states, selected, clock } = connectedControlled();
    clock.advance(40000);
    expect(agent.state).to.equal('failed');
    const fresh = agent.restartLocal();
    agent.setRemote('R2', PWD2, []);
    // Peer-reflexive: the browser's new address is only known from its check (triggered check).
    expect(agent.handleStun(check(fresh, 'R2', { useCandidate: true }), '127.0.0.1', 6200)).to.equal(true);
    const triggered = requestsTo(sent, 6200)[0];
    expect(triggered.attributes.get(ATTR_USERNAME)?.toString()).to.equal(`R2:${fresh.ufrag}`);
    expect(selected).to.deep.equal(['127.0.0.1:6000']);
    expect(agent.handleStun(answer(triggered, PWD2), '127.0.0.1', 6200)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:6000', '127.0.0.1:6200']);
    expect(states).to.deep.equal(['checking', 'connected', 'failed', 'connected']);
    // The pair we left had lost consent (RFC 7675 §5.1): no grace for it.
    expect(agent.isAuthenticatedSource('127.0.0.1', 6000), 'a failed previous pair is not accepted').to.equal(false);
    expect(agent.previousPairAccepted).to.equal(false);
    // Consent runs again, on the new pair.
    const n = sent.length;
    clock.advance(6500);
    expect(requestsTo(sent.slice(n), 6200).length).to.be.at.least(1);
    agent.close();
    expect(states[states.length - 1]).to.equal('closed');
    expect(clock.pending).to.equal(0);
  });

  it('Chromium-style restart: the new candidate\'s early checks use our previous ufrag; after the answer they name the new remote ufrag and select the new pair, and our checks there use the ufrag it used', () => {
    const { agent, sent, selected, clock } = connectedControlled();
    const old = creds(agent);
    const fresh = agent.restartLocal();
    // Before our answer reaches it, the browser's new candidate checks with our old credentials and its new ufrag.
    let n = sent.length;
    expect(agent.handleStun(check(old, 'R2', { useCandidate: true }), '127.0.0.1', 6100)).to.equal(true);
    expect(verifyIntegrity(decoded(sent[n]), old.pwd)).to.equal(true);
    expect(sent.length, 'R2 is not known yet: answered only').to.equal(n + 1);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6100)).to.equal(false);
    agent.setRemote('R2', PWD2, [host(6100)]);
    clock.advance(0);
    expect(requestsTo(sent, 6100)[0].attributes.get(ATTR_USERNAME)?.toString()).to.equal(`R2:${fresh.ufrag}`);
    // It keeps our old ufrag on that pair (its connection was made with it) and nominates it.
    expect(agent.handleStun(check(old, 'R2', { useCandidate: true }), '127.0.0.1', 6100)).to.equal(true);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6100)).to.equal(true);
    // Our retransmission now names the ufrag it uses with us there; its success selects the pair.
    n = sent.length;
    clock.advance(150);
    const retry = requestsTo(sent.slice(n), 6100)[0];
    expect(retry.attributes.get(ATTR_USERNAME)?.toString()).to.equal(`R2:${old.ufrag}`);
    expect(verifyIntegrity(retry, PWD2)).to.equal(true);
    expect(agent.handleStun(answer(retry, PWD2), '127.0.0.1', 6100)).to.equal(true);
    expect(selected).to.deep.equal(['127.0.0.1:6000', '127.0.0.1:6100']);
    expect(agent.restarting).to.equal(false);
    // Consent on the new pair uses the same ufrag.
    n = sent.length;
    clock.advance(6500);
    const consent = requestsTo(sent.slice(n), 6100);
    expect(consent.length).to.be.at.least(1);
    expect(consent[0].attributes.get(ATTR_USERNAME)?.toString()).to.equal(`R2:${old.ufrag}`);
    // Three more restarts later, the first credentials are forgotten.
    agent.restartLocal();
    agent.restartLocal();
    agent.restartLocal();
    n = sent.length;
    expect(agent.handleStun(check(old, 'R2'), '127.0.0.1', 6100)).to.equal(false);
    expect(decoded(sent[n]).type).to.equal(STUN_BINDING_ERROR);
    agent.close();
    expect(clock.pending).to.equal(0);
  });
});

/** A check from a remote that is (now) the controlled agent: no role conflict with a controlling agent. */
function controlledCheck(local: { ufrag: string; pwd: string }, remoteUfrag: string): Buffer {
  return encodeStun(STUN_BINDING_REQUEST, newTransactionId(), [
    { type: ATTR_USERNAME, value: Buffer.from(`${local.ufrag}:${remoteUfrag}`) },
    { type: ATTR_ICE_CONTROLLED, value: Buffer.alloc(8, 1) },
  ], local.pwd);
}

// Why the previously selected pair stays a media source for a while (a refinement of the rule
// "media only from the selected pair or from a pair authenticated in the current ICE session",
// with an RFC reason, not a loosening): our selection and the peer's do not move at the same
// instant. During a restart the peer "can continue to send data using existing data sessions"
// (RFC 8445 §9), its selected pair is the previous one while its checklist runs (§12.1), and it may
// send there as long as it holds consent on it (RFC 7675 §5.1, which requires consent freshness on
// the previously validated pair during a restart). Chromium, controlled, moves only when its own
// check on the pair we nominated succeeds, which on a loaded machine is hundreds of ms after we
// switched: dropping its media meanwhile gave one-way audio in the Chromium e2e test. The grace
// ends at the first authenticated media on the new pair, or when the previous pair's consent
// would have lapsed (consentTimeoutMs after the switch or after the last check we answered
// from it). SRTP authentication still protects these packets (no re-keying on a restart).
describe('IceAgent: the previously selected pair after a switch (RFC 8445 §9, §12.1; RFC 7675 §5.1)', () => {
  /** Full controlling agent (Tandem offered) connected to 7000; the peer then restarts and offers 7002. */
  function controllingSwitched() {
    const t = setup({ lite: false, controlling: true });
    t.agent.setRemote('R1', PWD1, [host(7000)]);
    t.clock.advance(0);
    expect(t.agent.handleStun(answer(requestsTo(t.sent, 7000)[0], PWD1), '127.0.0.1', 7000)).to.equal(true);
    expect(t.selected).to.deep.equal(['127.0.0.1:7000']);
    expect(t.agent.previousPairAccepted, 'nothing was selected before: no previous pair').to.equal(false);
    const old = creds(t.agent);
    // The peer's restart (its re-offer, our answer): we stay controlling and nominate the new pair.
    const fresh = t.agent.restartLocal();
    t.agent.setRemote('R2', PWD2, [host(7002)]);
    t.clock.advance(0);
    // Until we select the new pair we keep sending on the old one (RFC 8445 §12.1).
    expect(t.agent.selectedPort, 'still sending on the previous pair while the new checks run').to.equal(7000);
    const nomination = requestsTo(t.sent, 7002)[0];
    expect(nomination.attributes.has(ATTR_USE_CANDIDATE)).to.equal(true);
    expect(t.agent.handleStun(answer(nomination, PWD2), '127.0.0.1', 7002)).to.equal(true);
    expect(t.selected).to.deep.equal(['127.0.0.1:7000', '127.0.0.1:7002']);
    expect(t.agent.selectedPort, 'we send on the new pair once selected').to.equal(7002);
    return { ...t, old, fresh };
  }

  it('controlling: after we nominate the new pair the peer keeps sending on the old one; accepted until 5 s after its media shows up on the new pair', () => {
    const { agent, clock, old } = controllingSwitched();
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000), 'previous pair accepted right after the switch').to.equal(true);
    clock.advance(10000);
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000), 'still within the consent window').to.equal(true);
    // The peer keeps consent on its old pair (checks of the previous session): the grace follows it.
    for (let i = 0; i < 8; i++) {
      clock.advance(5000);
      expect(agent.handleStun(controlledCheck(old, 'R1'), '127.0.0.1', 7000)).to.equal(true);
    }
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000), '50 s after the switch, consent kept by its checks').to.equal(true);
    // Never validated, or validated only by someone else: never accepted.
    expect(agent.isAuthenticatedSource('127.0.0.1', 7001)).to.equal(false);
    expect(agent.isAuthenticatedSource('127.0.0.2', 7000)).to.equal(false);
    // The peer's first authenticated media on the new pair cuts the grace to 5 s (a peer may flap
    // back for a moment: Chromium does until that pair's 2.5 s receiving timeout); checks from
    // the old pair no longer extend it.
    agent.noteSelectedMedia();
    clock.advance(3000);
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000), 'accepted while the move settles').to.equal(true);
    expect(agent.handleStun(controlledCheck(old, 'R1'), '127.0.0.1', 7000)).to.equal(true);
    clock.advance(1999);
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000)).to.equal(true);
    clock.advance(1);
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000), 'refused 5 s after the peer was seen on the new pair').to.equal(false);
    expect(agent.previousPairAccepted).to.equal(false);
    // A later check from the old pair does not bring it back.
    expect(agent.handleStun(controlledCheck(old, 'R1'), '127.0.0.1', 7000)).to.equal(true);
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000)).to.equal(false);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('controlling: without media on the new pair the grace ends when the previous pair\'s consent would lapse (consentTimeoutMs after its last check)', () => {
    const { agent, clock, old, sent } = controllingSwitched();
    const n = sent.length;
    clock.advance(29999);
    expect(requestsTo(sent.slice(n), 7002).filter((m) => m.attributes.has(ATTR_USE_CANDIDATE)), 'repeated nominations are bounded').to.have.length(20);
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000)).to.equal(true);
    clock.advance(1);
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000), 'no check from it for 30 s: consent lapsed').to.equal(false);
    expect(agent.previousPairAccepted).to.equal(false);
    // Consent checks after the end do not revive it (RFC 7675 §5.1: lost consent is not regained on the same credentials).
    expect(agent.handleStun(controlledCheck(old, 'R1'), '127.0.0.1', 7000)).to.equal(true);
    expect(agent.isAuthenticatedSource('127.0.0.1', 7000)).to.equal(false);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('controlling: the nomination of the new pair is repeated until the peer\'s media shows up there (a peer that ignored it during a role conflict takes it then)', () => {
    const { agent, clock, sent } = controllingSwitched();
    const nominations = (from: number): StunMessage[] => requestsTo(sent.slice(from), 7002).filter((m) => m.attributes.has(ATTR_USE_CANDIDATE));
    let n = sent.length;
    clock.advance(1600);
    const again = nominations(n);
    expect(again, 'USE-CANDIDATE on the selected pair every 500 ms').to.have.length(3);
    expect(again[0].attributes.has(ATTR_ICE_CONTROLLING)).to.equal(true);
    expect(verifyIntegrity(again[0], PWD2)).to.equal(true);
    expect(requestsTo(sent.slice(n), 7000), 'nothing toward the previous pair').to.have.length(0);
    // Their responses count as consent on the new pair, not as a drop.
    expect(agent.handleStun(answer(again[0], PWD2), '127.0.0.1', 7002)).to.equal(true);
    agent.noteSelectedMedia();
    n = sent.length;
    clock.advance(3000);
    expect(nominations(n), 'no more once the peer is seen on the new pair').to.have.length(0);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('controlled: the same after the peer nominates the new pair; a pair authenticated only in the previous session is not carried over', () => {
    const { agent, clock, sent } = connectedControlled();
    // In the first session the browser also checked from 6050 (authenticated there, never selected).
    expect(agent.handleStun(check(creds(agent), 'R1'), '127.0.0.1', 6050)).to.equal(true);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6050)).to.equal(true);
    const fresh = agent.restartLocal();
    agent.setRemote('R2', PWD2, [host(6100)]);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6050), 'authentication does not survive the restart').to.equal(false);
    clock.advance(0);
    agent.handleStun(answer(requestsTo(sent, 6100)[0], PWD2), '127.0.0.1', 6100);
    agent.handleStun(check(fresh, 'R2', { useCandidate: true }), '127.0.0.1', 6100);
    expect(agent.selectedPort).to.equal(6100);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6000), 'previous selected pair: accepted').to.equal(true);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6050), 'never selected: not accepted').to.equal(false);
    const n = sent.length;
    clock.advance(2000);
    expect(requestsTo(sent.slice(n), 6100).filter((m) => m.attributes.has(ATTR_USE_CANDIDATE)), 'controlled: we never nominate').to.have.length(0);
    clock.advance(28000);
    expect(agent.isAuthenticatedSource('127.0.0.1', 6000), 'grace over').to.equal(false);
    agent.close();
    expect(clock.pending).to.equal(0);
  });
});

describe('IceAgent role conflict (RFC 8445 §7.3.1.1, §7.2.5.1)', () => {
  /** A request from the peer claiming `role` with tie-breaker `tb`. */
  function roleCheck(local: { ufrag: string; pwd: string }, role: 'controlling' | 'controlled', tb: number, useCandidate = false): Buffer {
    const attrs: StunAttr[] = [
      { type: ATTR_USERNAME, value: Buffer.from(`${local.ufrag}:R1`) },
      { type: role === 'controlling' ? ATTR_ICE_CONTROLLING : ATTR_ICE_CONTROLLED, value: Buffer.alloc(8, tb) },
    ];
    if (useCandidate) attrs.push({ type: ATTR_USE_CANDIDATE, value: Buffer.alloc(0) });
    return encodeStun(STUN_BINDING_REQUEST, newTransactionId(), attrs, local.pwd);
  }
  const errorCode = (m: StunMessage): number => { const v = m.attributes.get(0x0009)!; return (v[2] & 7) * 100 + v[3]; };

  it('both controlling: the larger tie-breaker keeps the role (487 to the peer); the smaller one switches to controlled and follows the peer\'s nomination', () => {
    for (const [peerTb, weSwitch] of [[0x00, false], [0xff, true]] as const) {
      const { agent, sent, selected, clock } = setup({ lite: false, controlling: true });
      agent.setRemote('R1', PWD1, []);
      const n = sent.length;
      expect(agent.handleStun(roleCheck(creds(agent), 'controlling', peerTb, true), '127.0.0.1', 6000)).to.equal(true);
      const resp = decoded(sent[n]);
      if (!weSwitch) {
        expect(resp.type).to.equal(STUN_BINDING_ERROR);
        expect(errorCode(resp)).to.equal(487);
        expect(verifyIntegrity(resp, agent.localPwd)).to.equal(true);
        expect(agent.controlling).to.equal(true);
        expect(selected).to.deep.equal([]);
      } else {
        expect(resp.type).to.equal(STUN_BINDING_SUCCESS);
        expect(agent.controlling).to.equal(false);
        expect(agent.stats.roleSwitches).to.equal(1);
        // Triggered check as controlled (no USE-CANDIDATE); its success selects the pair the peer nominated.
        const trig = decoded(sent[n + 1]);
        expect(trig.attributes.has(ATTR_ICE_CONTROLLED)).to.equal(true);
        expect(trig.attributes.has(ATTR_USE_CANDIDATE)).to.equal(false);
        agent.handleStun(answer(trig, PWD1), '127.0.0.1', 6000);
        expect(selected).to.deep.equal(['127.0.0.1:6000']);
      }
      agent.close();
      expect(clock.pending).to.equal(0);
    }
  });

  it('both controlled: the larger tie-breaker becomes controlling; the smaller answers 487', () => {
    const a = setup({ lite: false, controlling: false });
    a.agent.setRemote('R1', PWD1, []);
    a.agent.handleStun(roleCheck(creds(a.agent), 'controlled', 0x00), '127.0.0.1', 6000);
    expect(a.agent.controlling).to.equal(true);
    const trig = decoded(a.sent[a.sent.length - 1]);
    expect(trig.attributes.has(ATTR_ICE_CONTROLLING)).to.equal(true);
    expect(trig.attributes.has(ATTR_USE_CANDIDATE)).to.equal(true);
    a.agent.handleStun(answer(trig, PWD1), '127.0.0.1', 6000);
    expect(a.selected).to.deep.equal(['127.0.0.1:6000']);
    a.agent.close();
    const b = setup({ lite: false, controlling: false });
    b.agent.setRemote('R1', PWD1, []);
    b.agent.handleStun(roleCheck(creds(b.agent), 'controlled', 0xff), '127.0.0.1', 6000);
    expect(errorCode(decoded(b.sent[b.sent.length - 1]))).to.equal(487);
    expect(b.agent.controlling).to.equal(false);
    b.agent.close();
    expect(a.clock.pending + b.clock.pending).to.equal(0);
  });

  it('a 487 response to our check: switch role and check the pair again at once', () => {
    const { agent, sent, selected, clock } = setup({ lite: false, controlling: true });
    agent.setRemote('R1', PWD1, [host(7000)]);
    clock.advance(0);
    const first = requestsTo(sent, 7000)[0];
    expect(first.attributes.has(ATTR_ICE_CONTROLLING)).to.equal(true);
    const err487 = encodeStun(STUN_BINDING_ERROR, first.transactionId, [{ type: 0x0009, value: Buffer.from([0, 0, 4, 87]) }], PWD1);
    expect(agent.handleStun(err487, '127.0.0.1', 7000)).to.equal(true);
    expect(agent.controlling).to.equal(false);
    const again = requestsTo(sent, 7000)[1];
    expect(again.attributes.has(ATTR_ICE_CONTROLLED)).to.equal(true);
    expect(again.transactionId.equals(first.transactionId)).to.equal(false);
    // Controlled now (a controlled agent uses its first valid pair until the peer nominates one).
    agent.handleStun(answer(again, PWD1), '127.0.0.1', 7000);
    expect(selected).to.deep.equal(['127.0.0.1:7000']);
    expect(agent.stats.roleSwitches).to.equal(1);
    // A 487 without integrity is a drop.
    const bad = encodeStun(STUN_BINDING_ERROR, again.transactionId, [{ type: 0x0009, value: Buffer.from([0, 0, 4, 87]) }]);
    expect(agent.handleStun(bad, '127.0.0.1', 7000)).to.equal(false);
    agent.close();
    expect(clock.pending).to.equal(0);
  });
});

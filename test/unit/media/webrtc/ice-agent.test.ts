import { expect } from 'chai';
import { IceAgent } from '../../../../src/media/webrtc/ice-agent.js';
import {
  ATTR_ICE_CONTROLLED, ATTR_ICE_CONTROLLING, ATTR_USE_CANDIDATE, ATTR_USERNAME, ATTR_XOR_MAPPED_ADDRESS,
  STUN_BINDING_ERROR, STUN_BINDING_REQUEST, STUN_BINDING_SUCCESS, decodeStun, decodeXorMappedAddress, encodeStun,
  newTransactionId, verifyIntegrity, type StunAttr,
} from '../../../../src/media/webrtc/stun.js';
import type { IceState } from '../../../../src/media/webrtc/types.js';
import { ManualClock } from '../../../helpers/manual-clock.js';

interface Sent { buf: Buffer; port: number; address: string }

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

/** A check from the remote agent (remote ufrag 'R', remote pwd 'remotepassword...'). */
function remoteCheck(agent: IceAgent, opts: { useCandidate?: boolean; pwd?: string } = {}): Buffer {
  const attrs: StunAttr[] = [
    { type: ATTR_USERNAME, value: Buffer.from(`${agent.localUfrag}:R`) },
    { type: ATTR_ICE_CONTROLLING, value: Buffer.alloc(8, 1) },
  ];
  if (opts.useCandidate) attrs.push({ type: ATTR_USE_CANDIDATE, value: Buffer.alloc(0) });
  return encodeStun(STUN_BINDING_REQUEST, newTransactionId(), attrs, opts.pwd ?? agent.localPwd);
}

const REMOTE_PWD = 'remotepasswordremotepassword';

describe('IceAgent (RFC 8445)', () => {
  it('lite: answers a valid check with XOR-MAPPED-ADDRESS, selects the nominated pair, sends no checks', () => {
    const { agent, sent, states, selected, clock } = setup({ lite: true, controlling: true });
    expect(agent.controlling).to.equal(false);
    agent.setRemote('R', REMOTE_PWD, [{ foundation: '1', component: 1, transport: 'udp', priority: 1, address: '127.0.0.1', port: 9999, type: 'host' }]);
    clock.advance(5000);
    expect(sent).to.have.length(0);
    expect(agent.handleStun(remoteCheck(agent, { useCandidate: true }), '127.0.0.1', 5555)).to.equal(true);
    expect(sent).to.have.length(1);
    const resp = decodeStun(sent[0].buf)!;
    expect(resp.type).to.equal(STUN_BINDING_SUCCESS);
    expect(verifyIntegrity(resp, agent.localPwd)).to.equal(true);
    expect(decodeXorMappedAddress(resp.attributes.get(ATTR_XOR_MAPPED_ADDRESS)!)).to.deep.equal({ address: '127.0.0.1', port: 5555 });
    expect(selected).to.deep.equal(['127.0.0.1:5555']);
    expect(states).to.deep.equal(['checking', 'connected']);
    clock.advance(60000);
    expect(sent).to.have.length(1);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('rejects a check with the wrong password (401) and does not select', () => {
    const { agent, sent, selected } = setup({ lite: true, controlling: false });
    agent.setRemote('R', REMOTE_PWD, []);
    expect(agent.handleStun(remoteCheck(agent, { pwd: 'nottherightpassword' }), '127.0.0.1', 5555)).to.equal(false);
    expect(decodeStun(sent[0].buf)?.type).to.equal(STUN_BINDING_ERROR);
    expect(selected).to.deep.equal([]);
    expect(agent.stats.requestsBadAuth).to.equal(1);
    expect(agent.handleStun(Buffer.from('garbage-not-stun-at-all'), '127.0.0.1', 1)).to.equal(false);
  });

  it('full controlled: triggered check on an incoming request, selects after success + nomination', () => {
    const { agent, sent, selected, clock } = setup({ lite: false, controlling: false });
    agent.setRemote('R', REMOTE_PWD, []);
    agent.handleStun(remoteCheck(agent, { useCandidate: true }), '127.0.0.1', 6000);
    // response + triggered check
    expect(sent).to.have.length(2);
    const check = decodeStun(sent[1].buf)!;
    expect(check.type).to.equal(STUN_BINDING_REQUEST);
    expect(check.attributes.get(ATTR_USERNAME)?.toString()).to.equal(`R:${agent.localUfrag}`);
    expect(check.attributes.has(ATTR_ICE_CONTROLLED)).to.equal(true);
    expect(verifyIntegrity(check, REMOTE_PWD)).to.equal(true);
    expect(selected).to.deep.equal([]);
    const ok = encodeStun(STUN_BINDING_SUCCESS, check.transactionId,
      [{ type: ATTR_XOR_MAPPED_ADDRESS, value: Buffer.alloc(8) }], REMOTE_PWD);
    agent.handleStun(ok, '127.0.0.1', 6000);
    expect(selected).to.deep.equal(['127.0.0.1:6000']);
    expect(agent.state).to.equal('connected');
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('full controlling: checks remote candidates with USE-CANDIDATE, retransmits, fails after the last try', () => {
    const { agent, sent, states, clock } = setup({ lite: false, controlling: true });
    agent.setRemote('R', REMOTE_PWD, [
      { foundation: '1', component: 1, transport: 'udp', priority: 1, address: '127.0.0.1', port: 7000, type: 'host' },
      { foundation: '2', component: 1, transport: 'udp', priority: 1, address: 'abc.local', port: 7001, type: 'host' },
    ]);
    clock.advance(0);
    expect(sent).to.have.length(1);
    const first = decodeStun(sent[0].buf)!;
    expect(first.attributes.has(ATTR_USE_CANDIDATE)).to.equal(true);
    expect(first.attributes.has(ATTR_ICE_CONTROLLING)).to.equal(true);
    clock.advance(10000);
    expect(sent.length).to.equal(7);
    expect(states).to.deep.equal(['checking', 'failed']);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('consent freshness (RFC 7675): a silent peer fails the agent after 30 s', () => {
    const { agent, sent, clock, states } = setup({ lite: false, controlling: true });
    agent.setRemote('R', REMOTE_PWD, [{ foundation: '1', component: 1, transport: 'udp', priority: 1, address: '127.0.0.1', port: 7000, type: 'host' }]);
    clock.advance(0);
    const check = decodeStun(sent[0].buf)!;
    agent.handleStun(encodeStun(STUN_BINDING_SUCCESS, check.transactionId, [], REMOTE_PWD), '127.0.0.1', 7000);
    expect(agent.state).to.equal('connected');
    clock.advance(20000);
    expect(agent.state).to.equal('connected');
    expect(sent.length).to.be.greaterThan(2);
    clock.advance(20000);
    expect(states[states.length - 1]).to.equal('failed');
    agent.close();
  });

  it('ICE restart: new local credentials; old ones still answered, refused once three more restarts pushed them out', () => {
    const { agent, sent } = setup({ lite: true, controlling: false });
    agent.setRemote('R', REMOTE_PWD, []);
    expect(agent.handleStun(remoteCheck(agent, { useCandidate: true }), '127.0.0.1', 5000)).to.equal(true);
    const oldCheck = remoteCheck(agent, { useCandidate: true });
    const old = { ufrag: agent.localUfrag, pwd: agent.localPwd };
    const fresh = agent.restartLocal();
    expect(fresh.ufrag).to.not.equal(old.ufrag);
    expect(fresh.pwd).to.not.equal(old.pwd);
    expect(agent.handleStun(oldCheck, '127.0.0.1', 5000)).to.equal(true);
    expect(verifyIntegrity(decodeStun(sent[sent.length - 1].buf)!, old.pwd)).to.equal(true);
    agent.setRemote('R2', REMOTE_PWD, []);
    expect(agent.handleStun(remoteCheck(agent, { useCandidate: true }), '127.0.0.1', 5000)).to.equal(true);
    expect(decodeStun(sent[sent.length - 1].buf)?.type).to.equal(STUN_BINDING_SUCCESS);
    expect(agent.handleStun(oldCheck, '127.0.0.1', 5000)).to.equal(true);
    agent.restartLocal();
    agent.restartLocal();
    agent.restartLocal();
    expect(agent.handleStun(oldCheck, '127.0.0.1', 5000)).to.equal(false);
    expect(decodeStun(sent[sent.length - 1].buf)?.type).to.equal(STUN_BINDING_ERROR);
  });

  it('re-offer with an extra candidate (same credentials) checks only the new one', () => {
    const { agent, sent, clock } = setup({ lite: false, controlling: true });
    const c1 = { foundation: '1', component: 1, transport: 'udp' as const, priority: 1, address: '127.0.0.1', port: 7000, type: 'host' as const };
    agent.setRemote('R', REMOTE_PWD, [c1]);
    clock.advance(0);
    expect(sent.map((x) => x.port)).to.deep.equal([7000]);
    agent.addRemoteCandidates([c1, { ...c1, port: 7002 }]);
    expect(sent.map((x) => x.port)).to.deep.equal([7000, 7002]);
    agent.close();
    expect(clock.pending).to.equal(0);
  });

  it('host candidates carry the announced addresses and the bound port', () => {
    const c = IceAgent.hostCandidates(['203.0.113.5', '127.0.0.1'], 40002);
    expect(c.map((x) => `${x.address}:${x.port}`)).to.deep.equal(['203.0.113.5:40002', '127.0.0.1:40002']);
    expect(c[0].priority).to.be.greaterThan(c[1].priority);
    expect(c[0].type).to.equal('host');
  });
});

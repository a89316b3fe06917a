// Phone → phone through the whole Gateway (embedded SIP + drachtio, TandemApp, SessionFactory,
// media engine with bridge 'rtp-rtp'), no browser: two baresip desk phones (static endpoints; each
// plays a tone and records what it hears) and a SIPp trunk caller.
//  - the plain RTP/AVP desk phone (440 Hz) calls the SDES one (mediaenc=srtp-mand, 1000 Hz): SRTP
//    on one leg, plain RTP on the other; tones both ways (Goertzel on both recordings); the caller
//    hangs up;
//  - the SDES phone calls the plain one; hold/resume from the callee (re-INVITE a=sendonly relayed
//    to the caller) and then from the caller; tones after the resume; the callee hangs up;
//  - a trunk DID (SIPp UAC from the trunk's address 127.0.0.2) to the plain desk phone: baresip
//    hears SIPp's 1000 Hz, the trunk caller hangs up;
//  - a PCMA desk phone (20 ms) calls a SIPp UAS answering PCMA at 30 ms with RTP echo (repacketized
//    both ways: the phone hears its own tone back); the callee (SIPp) hangs up;
//  - early media: a SIPp UAS answers 183 with SDP and echoes RTP before its 200: the caller hears
//    its tone back before the answer;
//  - CANCEL: the caller hangs up while a SIPp UAS rings; SIPp gets CANCEL (487).
// After each call the engine and the session hold no call.
import { expect } from 'chai';
import { startBaresip, stopAllBaresip, type BaresipInstance } from '../../helpers/baresip.js';
import path from 'node:path';
import { repoRoot } from '../../helpers/paths.js';
import { startSipp, stopAllSipp, type SippInstance } from '../../helpers/sipp.js';
import { toneDominates } from '../../helpers/tone.js';
import { startGateway, type GatewayHarness } from './gateway-harness.js';
import { engineCalls, sleep, waitCallReleased, waitFor } from './page-steps.js';

const SIPP_DIR = path.join(repoRoot, 'test', 'e2e', 'session', 'sipp');
const count = (p: BaresipInstance, type: string): number => p.events.filter((e) => e.type === type).length;

/** How much `hz` (against `other`) the newest "heard" recording of `phone` holds, over its last `lastMs` (all when absent). */
function heard(phone: BaresipInstance, hz: number, other: number, lastMs?: number): ReturnType<typeof toneDominates> {
  const rec = phone.readRecording('dec');
  const skipMs = lastMs === undefined ? 1000 : Math.max(0, rec.durationS * 1000 - lastMs);
  return toneDominates(rec.samples, rec.rate, hz, { candidates: [other], skipMs });
}

async function mediaStats(h: GatewayHarness): Promise<Awaited<ReturnType<NonNullable<GatewayHarness['gw']['media']>['stats']>>> {
  const ids = h.gw.calls?.mediaIds() ?? [];
  expect(ids, 'one call in the session layer').to.have.length(1);
  const st = await h.gw.media?.stats(ids[0]!);
  if (!st) throw new Error('no media stats');
  return st;
}

describe('e2e session: phone ↔ Tandem ↔ phone (baresip, SIPp trunk; no browser)', function () {
  this.timeout(60000);
  let h: GatewayHarness;
  let plain: BaresipInstance;
  let sdes: BaresipInstance;
  let pcma: BaresipInstance;
  let byer: SippInstance;
  let early: SippInstance;
  let ring: SippInstance;

  before(async () => {
    plain = await startBaresip({ user: 'deskphone', toneHz: 440, codecs: 'PCMU', answerMode: 'auto', accountParams: ['auth_user=deskphone', 'auth_pass=deskphone-pw'], timeoutMs: 200000 });
    sdes = await startBaresip({
      user: 'srtpphone', toneHz: 1000, codecs: 'PCMU', answerMode: 'auto', mediaenc: 'srtp-mand', verbose: true,
      accountParams: ['auth_user=srtpphone', 'auth_pass=srtpphone-pw'], timeoutMs: 200000,
    });
    pcma = await startBaresip({ user: 'pcmaphone', toneHz: 440, codecs: 'PCMA', answerMode: 'auto', accountParams: ['auth_user=pcmaphone', 'auth_pass=pcmaphone-pw'], timeoutMs: 200000 });
    byer = await startSipp({ scenario: path.join(SIPP_DIR, 'uas_pcma30_echo_bye.xml'), rtpEcho: true, timeoutMs: 200000 });
    early = await startSipp({ scenario: path.join(SIPP_DIR, 'uas_early_echo.xml'), rtpEcho: true, timeoutMs: 200000 });
    ring = await startSipp({ scenario: path.join(SIPP_DIR, 'uas_cancel.xml'), timeoutMs: 200000 });
    h = await startGateway([
      { name: 'deskphone', contact: `sip:deskphone@127.0.0.1:${plain.sipPort}`, profile: 'deskphone' },
      { name: 'srtpphone', contact: `sip:srtpphone@127.0.0.1:${sdes.sipPort}`, profile: 'srtpphone' },
      { name: 'pcmaphone', contact: `sip:pcmaphone@127.0.0.1:${pcma.sipPort}`, profile: 'deskphone' },
      { name: 'byephone', contact: `sip:bye@${byer.address}`, profile: 'pcma30' },
      { name: 'earlyphone', contact: `sip:early@${early.address}`, profile: 'deskphone' },
      { name: 'ringphone', contact: `sip:ring@${ring.address}`, profile: 'deskphone' },
    ], {
      trunks: [{ name: 'carrier', addresses: ['127.0.0.2'], transport: 'udp', profile: 'trunk' }],
      rules: [{ name: 'DID desk', from: ['trunk'], match: '\\+15550100', to: 'endpoint:deskphone' }],
    });
  });
  afterEach(async () => {
    for (const p of [plain, sdes, pcma]) await p.hangup().catch(() => undefined);
  });
  after(async () => {
    await stopAllSipp();
    await stopAllBaresip();
    await h?.stop();
  });

  it('plain RTP desk phone calls the SDES desk phone: SRTP on one leg only, tones both ways, the caller hangs up', async () => {
    const estA = count(plain, 'CALL_ESTABLISHED');
    const estB = count(sdes, 'CALL_ESTABLISHED');
    await plain.dial(`sip:srtpphone@127.0.0.1:${h.sipUdpPort}`);
    await waitFor('both phones established', () => count(plain, 'CALL_ESTABLISHED') > estA && count(sdes, 'CALL_ESTABLISHED') > estB, 15000);
    expect(engineCalls(h)).to.equal(1);
    await sleep(3500);
    const st = await mediaStats(h);
    expect(st.rtpB, 'second RTP leg (rtp-rtp bridge)').to.not.equal(undefined);
    expect(st.rtpB?.srtpAuthFailures, 'SRTP from the SDES phone authenticates').to.equal(0);
    expect(st.bridge?.webrtcToRtp.mode).to.equal('passthrough');
    expect(st.bridge?.rtpToWebrtc.mode).to.equal('passthrough');
    expect(sdes.srtpEnabled(), 'baresip srtpphone uses SRTP').to.equal(true);
    const closed = count(sdes, 'CALL_CLOSED');
    await plain.hangup();
    await waitFor('callee CALL_CLOSED', () => count(sdes, 'CALL_CLOSED') > closed, 10000);
    await waitCallReleased(h);
    const atCallee = heard(sdes, 440, 1000);
    const atCaller = heard(plain, 1000, 440);
    expect(atCallee.fraction, `the SDES phone heard 440 Hz: ${JSON.stringify(atCallee)}`).to.be.above(0.7);
    expect(atCaller.fraction, `the plain phone heard 1000 Hz: ${JSON.stringify(atCaller)}`).to.be.above(0.7);
  });

  it('SDES desk phone calls the plain one: hold/resume from the callee and from the caller, tones after resume, the callee hangs up', async () => {
    const estA = count(sdes, 'CALL_ESTABLISHED');
    const estB = count(plain, 'CALL_ESTABLISHED');
    await sdes.dial(`sip:deskphone@127.0.0.1:${h.sipUdpPort}`);
    await waitFor('both phones established', () => count(sdes, 'CALL_ESTABLISHED') > estA && count(plain, 'CALL_ESTABLISHED') > estB, 15000);
    await sleep(1500);
    for (const [who, phone] of [['callee', plain], ['caller', sdes]] as const) {
      const held = await phone.command('hold');
      expect(held.ok, `${who} hold: ${JSON.stringify(held)}`).to.equal(true);
      await sleep(1200);
      const resumed = await phone.command('resume');
      expect(resumed.ok, `${who} resume: ${JSON.stringify(resumed)}`).to.equal(true);
      await sleep(1200);
    }
    await sleep(2500);
    const st = await mediaStats(h);
    expect(st.rtp?.srtpAuthFailures, 'SRTP from the SDES caller authenticates').to.equal(0);
    const closed = count(sdes, 'CALL_CLOSED');
    await plain.hangup();
    await waitFor('caller CALL_CLOSED', () => count(sdes, 'CALL_CLOSED') > closed, 10000);
    await waitCallReleased(h);
    const atCaller = heard(sdes, 440, 1000, 2000);
    const atCallee = heard(plain, 1000, 440, 2000);
    expect(atCaller.fraction, `the SDES caller heard 440 Hz after the last resume: ${JSON.stringify(atCaller)}`).to.be.above(0.7);
    expect(atCallee.fraction, `the plain callee heard 1000 Hz after the last resume: ${JSON.stringify(atCallee)}`).to.be.above(0.7);
  });

  it('a trunk DID (SIPp from the trunk address) reaches the desk phone: the phone hears the trunk caller, the trunk hangs up', async () => {
    const est = count(plain, 'CALL_ESTABLISHED');
    const closed = count(plain, 'CALL_CLOSED');
    const uac = await startSipp({ scenario: 'uac_pcmu_play.xml', localIp: '127.0.0.2', remote: `127.0.0.1:${h.sipUdpPort}`, service: '+15550100', toneHz: 1000, timeoutMs: 30000 });
    await waitFor('the desk phone answered', () => count(plain, 'CALL_ESTABLISHED') > est, 10000);
    expect(engineCalls(h)).to.equal(1);
    await sleep(2000);
    const st = await mediaStats(h);
    expect(st.bridge?.rtpToWebrtc.packetsOut, 'the desk phone\'s audio is relayed toward the trunk').to.be.above(50);
    const r = await uac.wait();
    expect(r.code, `SIPp UAC call succeeded: ${r.errors}`).to.equal(0);
    expect(r.stats['SuccessfulCall(C)']).to.equal('1');
    await waitFor('desk phone CALL_CLOSED', () => count(plain, 'CALL_CLOSED') > closed, 10000);
    await waitCallReleased(h);
    const atPhone = heard(plain, 1000, 440);
    expect(atPhone.fraction, `the desk phone heard the trunk's 1000 Hz: ${JSON.stringify(atPhone)}`).to.be.above(0.6);
  });

  it('PCMA desk phone (20 ms) calls a PCMA 30 ms echo phone (SIPp): repacketized both ways, the phone hears its tone back, the callee hangs up', async () => {
    const est = count(pcma, 'CALL_ESTABLISHED');
    const closed = count(pcma, 'CALL_CLOSED');
    await pcma.dial(`sip:byephone@127.0.0.1:${h.sipUdpPort}`);
    await waitFor('established', () => count(pcma, 'CALL_ESTABLISHED') > est, 10000);
    await sleep(2500);
    const st = await mediaStats(h);
    expect(st.bridge?.webrtcToRtp.mode, 'A (20 ms) → B (30 ms) repacketized').to.equal('transcode');
    expect(st.bridge?.rtpToWebrtc.mode, 'B (30 ms) → A (20 ms) repacketized').to.equal('transcode');
    await waitFor('SIPp hangs up (BYE) → the phone\'s call closes', () => count(pcma, 'CALL_CLOSED') > closed, 10000);
    await waitCallReleased(h);
    expect(pcma.audioCodecs()).to.deep.equal({ encoder: 'PCMA', decoder: 'PCMA' });
    const echo = heard(pcma, 440, 1000);
    expect(echo.fraction, `the PCMA phone heard its 440 Hz echoed: ${JSON.stringify(echo)}`).to.be.above(0.6);
    const r = await byer.wait();
    expect(r.code, `SIPp UAS: ${r.errors}`).to.equal(0);
  });

  it('early media: the callee answers 183 with SDP and echoes; the caller hears its tone before the 200; the caller hangs up', async () => {
    const est = count(plain, 'CALL_ESTABLISHED');
    const closed = count(plain, 'CALL_CLOSED');
    await plain.dial(`sip:earlyphone@127.0.0.1:${h.sipUdpPort}`);
    await waitFor('early media flowing (engine call up, not yet established)', () => engineCalls(h) === 1, 5000);
    await sleep(2000);
    expect(count(plain, 'CALL_ESTABLISHED'), 'still in early media').to.equal(est);
    const st = await mediaStats(h);
    expect(st.bridge?.rtpToWebrtc.packetsOut, 'early media relayed toward the caller').to.be.above(40);
    await waitFor('answered', () => count(plain, 'CALL_ESTABLISHED') > est, 10000);
    await sleep(1500);
    await plain.hangup();
    await waitFor('caller CALL_CLOSED', () => count(plain, 'CALL_CLOSED') > closed, 10000);
    await waitCallReleased(h);
    const r = await early.wait();
    expect(r.code, `SIPp UAS (183, 200, BYE): ${r.errors}`).to.equal(0);
    const echo = heard(plain, 440, 1000);
    expect(echo.fraction, `the caller heard its 440 Hz echoed: ${JSON.stringify(echo)}`).to.be.above(0.6);
  });

  it('CANCEL: the caller hangs up while the callee rings; the callee gets CANCEL; nothing is left', async () => {
    const closed = count(plain, 'CALL_CLOSED');
    await plain.dial(`sip:ringphone@127.0.0.1:${h.sipUdpPort}`);
    await waitFor('ringing (media allocated)', () => engineCalls(h) === 1, 5000);
    await sleep(800);
    await plain.hangup();
    await waitFor('caller CALL_CLOSED', () => count(plain, 'CALL_CLOSED') > closed, 10000);
    await waitCallReleased(h);
    const r = await ring.wait();
    expect(r.code, `SIPp UAS got CANCEL and answered 487: ${r.errors}`).to.equal(0);
    expect(r.stats['SuccessfulCall(C)']).to.equal('1');
  });
});

import { expect } from 'chai';
import { startBaresip, stopAllBaresip } from '../../helpers/baresip.js';
import { liveProcessCount, stopAllProcesses } from '../../helpers/proc.js';
import { runSipp, startSipp, stopAllSipp } from '../../helpers/sipp.js';
import { toneDominates } from '../../helpers/tone.js';

// Proves the peer harness: real baresip and SIPp on loopback, audio checked by Goertzel.
describe('harness: SIPp and baresip peers', function () {
  this.timeout(40000);

  afterEach(async () => {
    await stopAllBaresip();
    await stopAllSipp();
    await stopAllProcesses();
    expect(liveProcessCount()).to.equal(0);
  });

  it('SIPp UAC calls SIPp UAS (rtp_echo): both succeed, traces and stats are collected', async () => {
    const uas = await startSipp({ scenario: 'uas_pcmu_echo.xml', rtpEcho: true, timeoutMs: 20000 });
    const uac = await runSipp({ scenario: 'uac_pcmu_play.xml', remote: uas.address, timeoutMs: 20000 });
    const uasRes = await uas.wait();
    await uas.cleanup();
    expect(uac.code, uac.stderr).to.equal(0);
    expect(uac.stats['SuccessfulCall(C)']).to.equal('1');
    expect(uac.stats['FailedCall(C)']).to.equal('0');
    expect(uac.messages).to.contain('INVITE sip:service@');
    expect(uac.messages).to.contain('SIP/2.0 200 OK');
    expect(uasRes.code).to.equal(0);
    expect(uasRes.stats['SuccessfulCall(C)']).to.equal('1');
  });

  it('SIPp UAC to a port where nobody answers fails with a non-zero exit code', async () => {
    const res = await runSipp({ scenario: 'uac_pcmu_play.xml', remote: '127.0.0.1:9', timeoutMs: 3000 });
    expect(res.code).to.not.equal(0);
    expect(res.code).to.not.equal(null);
  });

  it('two baresip phones call each other and each hears the other tone (1000 Hz / 440 Hz)', async () => {
    const alice = await startBaresip({ user: 'alice', toneHz: 1000 });
    const bob = await startBaresip({ user: 'bob', toneHz: 440 });
    await alice.dial(bob.uri);
    await alice.waitForEvent('CALL_ESTABLISHED');
    await bob.waitForEvent('CALL_ESTABLISHED');
    await new Promise((r) => setTimeout(r, 2500));
    await alice.hangup();
    await bob.waitForEvent('CALL_CLOSED');
    await alice.stop();
    await bob.stop();

    const heardByAlice = alice.readRecording('dec');
    const heardByBob = bob.readRecording('dec');
    expect(heardByAlice.rate).to.equal(8000);
    expect(heardByAlice.durationS).to.be.above(1.5);
    const a = toneDominates(heardByAlice.samples, heardByAlice.rate, 440, { candidates: [1000] });
    const b = toneDominates(heardByBob.samples, heardByBob.rate, 1000, { candidates: [440] });
    expect(a.fraction, JSON.stringify(a)).to.be.above(0.8);
    expect(b.fraction, JSON.stringify(b)).to.be.above(0.8);
    // What each sent is its own tone (and not the other one).
    const sentByAlice = alice.readRecording('enc');
    expect(toneDominates(sentByAlice.samples, 8000, 1000, { candidates: [440] }).fraction).to.be.above(0.8);
    expect(toneDominates(sentByAlice.samples, 8000, 440, { candidates: [1000] }).fraction).to.equal(0);
    expect(alice.audioCodecs()).to.deep.equal({ encoder: 'PCMU', decoder: 'PCMU' });
    expect(alice.srtpEnabled()).to.equal(false);
  });

  it('baresip phones negotiate Opus over SDES-SRTP and hear each other', async () => {
    const alice = await startBaresip({ user: 'alice', toneHz: 1000, codecs: 'opus', mediaenc: 'srtp-mand' });
    const bob = await startBaresip({ user: 'bob', toneHz: 440, codecs: 'opus', mediaenc: 'srtp-mand' });
    await alice.dial(bob.uri);
    await bob.waitForEvent('CALL_ESTABLISHED');
    await new Promise((r) => setTimeout(r, 2500));
    await alice.hangup();
    await bob.waitForEvent('CALL_CLOSED');
    await alice.stop();
    await bob.stop();
    expect(alice.audioCodecs()).to.deep.equal({ encoder: 'opus', decoder: 'opus' });
    expect(alice.srtpEnabled()).to.equal(true);
    expect(bob.srtpEnabled()).to.equal(true);
    const heardByBob = bob.readRecording('dec');
    expect(heardByBob.rate).to.equal(48000); // sndfile records at the codec rate
    expect(toneDominates(heardByBob.samples, heardByBob.rate, 1000, { candidates: [440] }).fraction).to.be.above(0.8);
    const heardByAlice = alice.readRecording('dec');
    expect(toneDominates(heardByAlice.samples, heardByAlice.rate, 440, { candidates: [1000] }).fraction).to.be.above(0.8);
  });

  it('baresip calls SIPp UAS with rtp_echo and hears its own tone back', async () => {
    const uas = await startSipp({ scenario: 'uas_pcmu_echo.xml', rtpEcho: true, timeoutMs: 20000 });
    const phone = await startBaresip({ user: 'carol', toneHz: 1000 });
    await phone.dial(`sip:service@${uas.address}`);
    await phone.waitForEvent('CALL_ESTABLISHED');
    await new Promise((r) => setTimeout(r, 2500));
    await phone.hangup();
    const sippRes = await uas.wait();
    await phone.stop();
    expect(sippRes.code).to.equal(0);
    const heard = phone.readRecording('dec');
    const r = toneDominates(heard.samples, heard.rate, 1000, { candidates: [440] });
    expect(r.fraction, JSON.stringify(r)).to.be.above(0.7);
  });

  it('SIPp UAC streams a 1 kHz PCMU tone to baresip, which hears it', async () => {
    const phone = await startBaresip({ user: 'dave', toneHz: 440 });
    const uac = await runSipp({ scenario: 'uac_pcmu_play.xml', remote: `${phone.ip}:${phone.sipPort}`, service: 'dave', toneHz: 1000, timeoutMs: 20000 });
    await phone.waitForEvent('CALL_CLOSED');
    await phone.stop();
    expect(uac.code, uac.messages.slice(-2000)).to.equal(0);
    const heard = phone.readRecording('dec');
    const r = toneDominates(heard.samples, heard.rate, 1000, { candidates: [440] });
    expect(r.fraction, JSON.stringify(r)).to.be.above(0.7);
  });
});

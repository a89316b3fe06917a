// Real SIP peers (baresip 1.0, SIPp 3.6) accept the SIP descriptions Tandem writes:
// they answer Tandem's offers with 200 OK + SDP, and accept Tandem's answers.
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  createLegState, makeCryptoAttribute, parseSdp, sipAnswerToWebrtc, sipOfferToWebrtc, webrtcAnswerToSip, webrtcOfferToSip,
  type CallSdpLegs, type SipLocalMedia, type SipProfile,
} from '../../../src/sdp/index.js';
import { PLACEHOLDER_WEBRTC_MEDIA } from '../../../src/cli/sdp.js';
import { fixturesDir } from '../../helpers/paths.js';
import { startBaresip, stopAllBaresip, type BaresipInstance } from '../../helpers/baresip.js';
import { startSipp, stopAllSipp } from '../../helpers/sipp.js';
import { RawSipUa } from './raw-sip.js';

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');
const golden = (c: string, f: string): string => crlf(fs.readFileSync(path.join(fixturesDir, 'sdp', c, f), 'utf8'));
const chromeOffer = crlf(fs.readFileSync(path.join(fixturesDir, 'sdp', 'capture', 'out', 'chromium-audio-offer.sdp'), 'utf8'));
const legs = (): CallSdpLegs => ({ webrtc: createLegState({ sessionId: '3000' }), sip: createLegState({ sessionId: '4000' }) });
const key = (b: number): string => Buffer.alloc(30, b).toString('base64');

describe('sdp interop: SIP peers accept what Tandem writes', function () {
  this.timeout(40000);
  let ua: RawSipUa;
  let rtp: dgram.Socket;
  let local: SipLocalMedia;

  beforeEach(async () => {
    ua = await RawSipUa.open();
    // a real RTP port for the offer (nothing is sent; peers may send to it)
    rtp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    rtp.on('message', () => undefined);
    local = {
      address: '127.0.0.1',
      port: rtp.address().port,
      crypto: [
        makeCryptoAttribute({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keySalt: key(1) }),
        makeCryptoAttribute({ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', keySalt: key(2) }),
      ],
    };
  });

  afterEach(async () => {
    ua.close();
    rtp.close();
    await stopAllBaresip();
    await stopAllSipp();
  });

  async function offerTo(target: string, profile: SipProfile, browserOffer = chromeOffer) {
    const o = webrtcOfferToSip(browserOffer, { profile, local, legs: legs() });
    const call = await ua.invite(target, o.sdp);
    return { o, call };
  }

  it('SIPp UAS (uas_pcmu_echo.xml) answers Tandem\'s RTP/AVP offer with 200 OK and PCMU', async () => {
    const sipp = await startSipp({ scenario: 'uas_pcmu_echo.xml' });
    const { o, call } = await offerTo(`sip:service@127.0.0.1:${sipp.port}`, 'avp');
    expect(call.final.status).to.equal(200);
    const a = sipAnswerToWebrtc(crlf(call.final.body), { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs });
    expect(a.plan.mode).to.equal('passthrough');
    expect(a.plan.sip.name).to.equal('PCMU');
    expect(a.remote.port).to.equal(sipp.mediaPort);
    const bye = await call.bye();
    expect(bye.status).to.equal(200);
    const res = await sipp.wait();
    expect(res.code, res.errors).to.equal(0);
  });

  for (const codecs of ['PCMU', 'PCMA']) {
    it(`baresip (${codecs} only) answers Tandem's RTP/AVP offer and picks ${codecs}`, async () => {
      const bs = await startBaresip({ codecs });
      const { o, call } = await offerTo(bs.uri, 'avp');
      expect(call.final.status, call.final.raw).to.equal(200);
      const answer = parseSdp(crlf(call.final.body));
      expect(answer.media[0].proto).to.equal('RTP/AVP');
      const a = sipAnswerToWebrtc(crlf(call.final.body), { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs });
      expect(a.plan.sip.name).to.equal(codecs);
      expect(a.plan.webrtc.name).to.equal(codecs);
      expect(a.plan.sipDtmf?.clockRate).to.equal(8000);
      await bs.waitForEvent('CALL_ESTABLISHED');
      expect(bs.audioCodecs().encoder).to.equal(codecs);
      expect((await call.bye()).status).to.equal(200);
    });
  }

  it('baresip answers a transcoding offer (Opus-only browser → PCMU/PCMA offer)', async () => {
    const bs = await startBaresip({ codecs: 'PCMA' });
    const ndc = golden('w2s-offer-ndc-opus-only', 'input.sdp');
    const { o, call } = await offerTo(bs.uri, 'avp', ndc);
    expect(call.final.status).to.equal(200);
    const a = sipAnswerToWebrtc(crlf(call.final.body), { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs });
    expect(a.plan.mode).to.equal('transcode');
    expect(a.plan.webrtc.name).to.equal('opus');
    expect(a.plan.sip.name).to.equal('PCMA');
    await call.bye();
  });

  it('baresip mediaenc=srtp-mand answers Tandem\'s RTP/SAVP (sdes) offer with a matching a=crypto', async () => {
    const bs = await startBaresip({ codecs: 'PCMU', mediaenc: 'srtp-mand' });
    const { o, call } = await offerTo(bs.uri, 'sdes');
    expect(call.final.status, call.final.raw).to.equal(200);
    expect(parseSdp(crlf(call.final.body)).media[0].proto).to.equal('RTP/SAVP');
    const a = sipAnswerToWebrtc(crlf(call.final.body), { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs });
    expect(a.srtp, 'SDES keys negotiated').to.not.equal(undefined);
    expect(a.srtp?.local.tag).to.equal(a.srtp?.remote.tag);
    expect(a.srtp?.remote.suite).to.match(/^AES_CM_128_HMAC_SHA1_(80|32)$/);
    expect(a.srtp?.remote.keyParams[0].keySalt).to.not.equal(key(1));
    await bs.waitForEvent('CALL_ESTABLISHED');
    await call.bye();
  });

  it('baresip mediaenc=srtp-mand refuses a plain RTP/AVP offer (negative control: the peer does check)', async () => {
    const bs = await startBaresip({ codecs: 'PCMU', mediaenc: 'srtp-mand' });
    const { call } = await offerTo(bs.uri, 'avp');
    expect(call.final.status).to.be.at.least(400);
  });

  for (const [mediaenc, srtp] of [['srtp', true], [undefined, false]] as const) {
    it(`baresip (${mediaenc ?? 'plain'}) answers Tandem's sdes-optional offer (RTP/AVP + a=crypto): SRTP ${srtp ? 'on' : 'off'}`, async () => {
      const bs = await startBaresip({ codecs: 'PCMU', ...(mediaenc ? { mediaenc } : {}) });
      const { o, call } = await offerTo(bs.uri, 'sdes-optional');
      expect(call.final.status, call.final.raw).to.equal(200);
      const a = sipAnswerToWebrtc(crlf(call.final.body), { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs });
      expect(a.srtp !== undefined).to.equal(srtp);
      await call.bye();
    });
  }

  async function baresipCallsTandem(bs: BaresipInstance): Promise<{ offer: string; answerSdp: string }> {
    const done = ua.answerInvite((offer) => {
      const o = sipOfferToWebrtc(crlf(offer), { local: PLACEHOLDER_WEBRTC_MEDIA, legs: legs() });
      // the browser's answer: Chromium's real answer to the same kind of offer (PCMU first)
      const browserAnswer = golden('w2s-answer-baresip-sdes', 'input.sdp');
      const a = webrtcAnswerToSip(browserAnswer, { pending: o.pending, local, legs: o.legs });
      expect(a.plan.mode).to.equal('passthrough');
      return a.sdp;
    });
    await bs.dial(`sip:tandem@127.0.0.1:${ua.port}`);
    const r = await done;
    return { offer: r.offer, answerSdp: r.answerSdp };
  }

  it('baresip calling Tandem accepts Tandem\'s RTP/AVP answer (call established)', async () => {
    const bs = await startBaresip({ codecs: 'PCMU,PCMA' });
    const r = await baresipCallsTandem(bs);
    expect(r.answerSdp).to.contain('m=audio');
    await bs.waitForEvent('CALL_ESTABLISHED');
    expect(bs.audioCodecs().encoder).to.equal('PCMU');
  });

  it('baresip (srtp-mand) calling Tandem accepts Tandem\'s RTP/SAVP answer with our key', async () => {
    const bs = await startBaresip({ codecs: 'PCMU', mediaenc: 'srtp-mand' });
    const r = await baresipCallsTandem(bs);
    expect(r.answerSdp).to.match(/m=audio \d+ RTP\/SAVP 0 101/);
    expect(r.answerSdp).to.contain(`inline:${key(1)}`);
    await bs.waitForEvent('CALL_ESTABLISHED');
  });

  it('baresip (mediaenc=srtp, best-effort) calling Tandem accepts Tandem\'s RTP/AVP answer with a=crypto', async () => {
    const bs = await startBaresip({ codecs: 'PCMU', mediaenc: 'srtp' });
    const r = await baresipCallsTandem(bs);
    expect(r.offer).to.match(/m=audio \d+ RTP\/AVP/);
    expect(r.offer).to.contain('a=crypto:');
    expect(r.answerSdp).to.match(/m=audio \d+ RTP\/AVP 0 101/);
    expect(r.answerSdp).to.contain(`inline:${key(1)}`);
    await bs.waitForEvent('CALL_ESTABLISHED');
  });
});

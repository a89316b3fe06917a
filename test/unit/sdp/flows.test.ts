// Whole call flows through the public API: both directions, re-offers, leg state, options.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  constrainAnswerDirection, createLegState, parseSdp, SdpError, sipAnswerToWebrtc, sipOfferToWebrtc, webrtcAnswerToSip,
  webrtcOfferToSip, type CallSdpLegs,
} from '../../../src/sdp/index.js';
import { PLACEHOLDER_SIP_MEDIA, PLACEHOLDER_WEBRTC_MEDIA } from '../../../src/cli/sdp.js';
import { goldenDir, toCrlf } from './golden-cases.js';

const capture = (n: string): string => toCrlf(fs.readFileSync(path.join(goldenDir, 'capture', 'out', `${n}.sdp`), 'utf8'));
const legs0 = (): CallSdpLegs => ({ webrtc: createLegState({ sessionId: '11' }), sip: createLegState({ sessionId: '22' }) });
const origin = (sdp: string): string => /^o=(.*)$/m.exec(sdp)?.[1].trim() ?? '';
const SIP_ANSWER = toCrlf(`v=0
o=- 5 5 IN IP4 198.51.100.9
s=-
c=IN IP4 198.51.100.9
t=0 0
m=audio 30000 RTP/AVP 0 126
a=rtpmap:126 telephone-event/8000
a=sendrecv
`);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(SdpError);
    return (e as SdpError).code;
  }
  return 'no error';
}

describe('sdp call flows', () => {
  it('browser → phone: offer, answer, hold, resume; o= session id stable, version +1 per new description', () => {
    const chrome = capture('chromium-audio-offer');
    let legs = legs0();
    const o1 = webrtcOfferToSip(chrome, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs });
    expect(origin(o1.sdp)).to.equal('tandem 22 1 IN IP4 127.0.0.1');
    expect(o1.pending.passthrough).to.deep.equal(['PCMU', 'PCMA']);
    expect(o1.remote.ice?.ufrag).to.equal('4VQ7');
    expect(o1.remote.ssrcs).to.deep.equal([4052082201]);
    const a1 = sipAnswerToWebrtc(SIP_ANSWER, { pending: o1.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o1.legs });
    expect(origin(a1.sdp)).to.equal('tandem 11 1 IN IP4 127.0.0.1');
    expect(a1.plan.mode).to.equal('passthrough');
    expect(a1.remote).to.include({ address: '198.51.100.9', port: 30000, rtcpPort: 30001, rtcpMux: false, hold: false });
    legs = a1.legs;

    const o2 = webrtcOfferToSip(chrome.replace('a=sendrecv', 'a=sendonly'), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs });
    expect(origin(o2.sdp)).to.equal('tandem 22 2 IN IP4 127.0.0.1');
    expect(o2.sdp).to.contain('a=sendonly\r\n');
    expect(o2.remote.hold).to.equal(true);
    const a2 = sipAnswerToWebrtc(SIP_ANSWER.replace('a=sendrecv', 'a=recvonly'), { pending: o2.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o2.legs });
    expect(origin(a2.sdp)).to.equal('tandem 11 2 IN IP4 127.0.0.1');
    expect(a2.direction).to.equal('recvonly');
    // Hold answer (we are recvonly): our SSRC is still declared, msid only while we send.
    expect(a2.sdp).to.contain(`a=ssrc:${PLACEHOLDER_WEBRTC_MEDIA.ssrc} cname:${PLACEHOLDER_WEBRTC_MEDIA.cname}\r\n`);
    expect(a2.sdp).to.not.contain('a=msid:');

    const o3 = webrtcOfferToSip(chrome, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: a2.legs });
    expect(origin(o3.sdp)).to.equal('tandem 22 3 IN IP4 127.0.0.1');
    expect(o3.sdp).to.contain('a=sendrecv\r\n');
  });

  it('phone → browser: offer, Chromium answer, then a phone re-offer keeps mids and slots', () => {
    const legs = legs0();
    const phone = toCrlf(fs.readFileSync(path.join(goldenDir, 's2w-offer-audio-video', 'input.sdp'), 'utf8'));
    const o1 = sipOfferToWebrtc(phone, { local: PLACEHOLDER_WEBRTC_MEDIA, legs });
    const answer = toCrlf(fs.readFileSync(path.join(goldenDir, 'w2s-answer-audio-video', 'input.sdp'), 'utf8'));
    const a1 = webrtcAnswerToSip(answer, { pending: o1.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o1.legs });
    expect(a1.plan.mode).to.equal('passthrough');
    expect(a1.remote.ice?.ufrag).to.be.a('string');
    expect(a1.legs.webrtc.slots.map((s) => s.mid)).to.deep.equal(['0', '1']);
    // The phone re-offers audio only (illegal per RFC 3264 §8, seen in the wild): the WebRTC re-offer keeps 2 m-lines.
    const audioOnly = phone.slice(0, phone.indexOf('m=video'));
    const o2 = sipOfferToWebrtc(audioOnly, { local: PLACEHOLDER_WEBRTC_MEDIA, legs: a1.legs });
    const p = parseSdp(o2.sdp);
    expect(p.media.map((m) => `${m.kind}:${m.port}:${m.mid}`)).to.deep.equal(['audio:40002:0', 'video:0:1']);
    expect(origin(o2.sdp)).to.equal('tandem 11 2 IN IP4 127.0.0.1');
  });

  it('a browser re-offer with fewer m-lines still gives a SIP re-offer with every earlier slot (RFC 3264 §8)', () => {
    const av = capture('chromium-audio-video-offer');
    const o1 = webrtcOfferToSip(av, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0() });
    const audioOnly = av.slice(0, av.indexOf('m=video')).replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0');
    const o2 = webrtcOfferToSip(audioOnly, { profile: 'sdes', local: PLACEHOLDER_SIP_MEDIA, legs: o1.legs });
    expect(parseSdp(o2.sdp).media.map((m) => `${m.kind} ${m.port} ${m.proto} ${m.fmts.join(',')}`)).to.deep.equal([
      'audio 40000 RTP/SAVP 0,8,126', 'video 0 RTP/SAVP 34',
    ]);
    expect(o2.legs.sip.slots.map((x) => x.kind)).to.deep.equal(['audio', 'video']);
  });

  it('g711Order sets the order of the transcoding targets', () => {
    const ndc = capture('ndc-audio-offer');
    const o = webrtcOfferToSip(ndc, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0(), g711Order: ['PCMA', 'PCMU'] });
    expect(o.sdp).to.contain('m=audio 40000 RTP/AVP 8 0\r\n');
    const onlyA = webrtcOfferToSip(ndc, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0(), g711Order: ['PCMA'] });
    expect(onlyA.sdp).to.contain('m=audio 40000 RTP/AVP 8\r\n');
    expect(code(() => webrtcOfferToSip(ndc, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0(), allowTranscode: false }))).to.equal('ERR_SDP_NO_COMMON_CODEC');
  });

  it('detects an ICE restart in a browser re-offer and in a browser answer', () => {
    const chrome = capture('chromium-audio-offer');
    const o1 = webrtcOfferToSip(chrome, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0() });
    expect(o1.iceRestart).to.equal(false);
    const restarted = chrome.replace('a=ice-ufrag:4VQ7', 'a=ice-ufrag:ZZZZ').replace('a=ice-pwd:3jPqBMtyfnMgup3gTrwItaBA', 'a=ice-pwd:0123456789abcdefghijklmn');
    const o2 = webrtcOfferToSip(restarted, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: o1.legs });
    expect(o2.iceRestart).to.equal(true);
    expect(o2.changed).to.equal(false);
    expect(o2.remote.ice?.ufrag).to.equal('ZZZZ');
  });

  it('SDES: offers our keys, reports both keys from the answer, refuses an answer without crypto', () => {
    const chrome = capture('chromium-audio-offer');
    const o = webrtcOfferToSip(chrome, { profile: 'sdes', local: PLACEHOLDER_SIP_MEDIA, legs: legs0() });
    const key = Buffer.alloc(30, 1).toString('base64');
    const ans = SIP_ANSWER.replace('RTP/AVP', 'RTP/SAVP') + `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${key}\r\n`;
    const a = sipAnswerToWebrtc(ans, { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs });
    expect(a.srtp?.local.suite).to.equal('AES_CM_128_HMAC_SHA1_32');
    expect(a.srtp?.local.keyParams[0].keySalt).to.equal('PLACEHOLDERSRTPKEY32PLACEHOLDERSRTPKEY32');
    expect(a.srtp?.remote.keyParams[0].keySalt).to.equal(key);
    // tag/suite mismatch
    const wrongTag = SIP_ANSWER.replace('RTP/AVP', 'RTP/SAVP') + `a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${key}\r\n`;
    expect(code(() => sipAnswerToWebrtc(wrongTag, { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs }))).to.equal('ERR_SDP_NO_CRYPTO');
  });

  it('answers must keep the offer m-line count (RFC 3264 §6)', () => {
    const o = webrtcOfferToSip(capture('chromium-audio-video-offer'), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0() });
    expect(code(() => sipAnswerToWebrtc(SIP_ANSWER, { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs }))).to.equal('ERR_SDP_ANSWER_MISMATCH');
  });

  it('a SIP answer choosing a codec we did not offer is refused', () => {
    const o = webrtcOfferToSip(capture('chromium-audio-offer'), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0() });
    const g729 = SIP_ANSWER.replace('RTP/AVP 0 126', 'RTP/AVP 18');
    expect(code(() => sipAnswerToWebrtc(g729, { pending: o.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs }))).to.equal('ERR_SDP_NO_COMMON_CODEC');
  });

  it('a WebRTC answer without ICE or fingerprint, or with setup:actpass, is refused', () => {
    const o = sipOfferToWebrtc(capture('sipp-uac-offer'), { local: PLACEHOLDER_WEBRTC_MEDIA, legs: legs0() });
    const ans = toCrlf(fs.readFileSync(path.join(goldenDir, 'w2s-answer-sipp-pcmu', 'input.sdp'), 'utf8'));
    const noIce = ans.split('\r\n').filter((l) => !l.startsWith('a=ice-')).join('\r\n');
    const noFp = ans.split('\r\n').filter((l) => !l.startsWith('a=fingerprint')).join('\r\n');
    expect(code(() => webrtcAnswerToSip(noIce, { pending: o.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o.legs }))).to.equal('ERR_SDP_MISSING_ICE');
    expect(code(() => webrtcAnswerToSip(noFp, { pending: o.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o.legs }))).to.equal('ERR_SDP_MISSING_FINGERPRINT');
    const actpass = ans.replace(/a=setup:\w+/, 'a=setup:actpass');
    expect(code(() => webrtcAnswerToSip(actpass, { pending: o.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o.legs }))).to.equal('ERR_SDP_ANSWER_MISMATCH');
    expect(webrtcAnswerToSip(ans, { pending: o.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o.legs }).remote.setup).to.equal('active');
  });

  it('answer direction is clamped to what the offer allows (RFC 3264 §6.1)', () => {
    expect(constrainAnswerDirection('sendonly', 'sendrecv')).to.equal('recvonly');
    expect(constrainAnswerDirection('sendonly', 'sendonly')).to.equal('inactive');
    expect(constrainAnswerDirection('recvonly', 'sendrecv')).to.equal('sendonly');
    expect(constrainAnswerDirection('inactive', 'sendrecv')).to.equal('inactive');
    expect(constrainAnswerDirection('sendrecv', 'recvonly')).to.equal('recvonly');
    expect(constrainAnswerDirection('sendrecv', 'sendrecv')).to.equal('sendrecv');
  });

  it('refuses bad local parameters with ERR_SDP_INVALID_OPTIONS (sipStatus 500)', () => {
    const chrome = capture('chromium-audio-offer');
    const legs = legs0();
    const bad: Array<() => unknown> = [
      () => webrtcOfferToSip(chrome, { profile: 'avp', local: { ...PLACEHOLDER_SIP_MEDIA, port: 0 }, legs }),
      () => webrtcOfferToSip(chrome, { profile: 'avp', local: { ...PLACEHOLDER_SIP_MEDIA, address: 'not an address' }, legs }),
      () => webrtcOfferToSip(chrome, { profile: 'sdes', local: { address: '127.0.0.1', port: 4000 }, legs }),
      () => webrtcOfferToSip(chrome, { profile: 'zrtp' as 'avp', local: PLACEHOLDER_SIP_MEDIA, legs }),
      () => webrtcOfferToSip(chrome, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs, ptime: 7 }),
      () => sipOfferToWebrtc(capture('sipp-uac-offer'), { local: { ...PLACEHOLDER_WEBRTC_MEDIA, ice: { ufrag: 'a', pwd: 'b', candidates: [] } }, legs }),
      () => sipOfferToWebrtc(capture('sipp-uac-offer'), { local: { ...PLACEHOLDER_WEBRTC_MEDIA, fingerprint: { algorithm: 'sha-256', value: 'zz' } }, legs }),
      () => sipOfferToWebrtc(capture('sipp-uac-offer'), { local: { ...PLACEHOLDER_WEBRTC_MEDIA, ssrc: -1 }, legs }),
      () => createLegState({ sessionId: 'abc' }),
    ];
    for (const fn of bad) {
      let e: unknown;
      try {
        fn();
      } catch (err) {
        e = err;
      }
      expect(e).to.be.instanceOf(SdpError);
      expect((e as SdpError).code).to.equal('ERR_SDP_INVALID_OPTIONS');
      expect((e as SdpError).sipStatus).to.equal(500);
    }
  });

  it('pending from the wrong direction is refused', () => {
    const o = sipOfferToWebrtc(capture('sipp-uac-offer'), { local: PLACEHOLDER_WEBRTC_MEDIA, legs: legs0() });
    expect(code(() => sipAnswerToWebrtc(SIP_ANSWER, {
      pending: o.pending as unknown as Parameters<typeof sipAnswerToWebrtc>[1]['pending'], local: PLACEHOLDER_WEBRTC_MEDIA, legs: o.legs,
    }))).to.equal('ERR_SDP_INVALID_OPTIONS');
  });

  it('is pure: same inputs give the same output and inputs are not modified', () => {
    const chrome = capture('chromium-audio-offer');
    const legs = legs0();
    const frozen = JSON.stringify(legs);
    const a = webrtcOfferToSip(chrome, { profile: 'sdes', local: PLACEHOLDER_SIP_MEDIA, legs });
    const b = webrtcOfferToSip(chrome, { profile: 'sdes', local: PLACEHOLDER_SIP_MEDIA, legs });
    expect(a.sdp).to.equal(b.sdp);
    expect(JSON.stringify(legs)).to.equal(frozen);
  });
});

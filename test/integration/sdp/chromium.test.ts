// Chromium's setRemoteDescription accepts the WebRTC descriptions Tandem writes,
// and negotiates the codec Tandem decided.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  createLegState, sipAnswerToWebrtc, sipOfferToWebrtc, webrtcAnswerToSip, webrtcOfferToSip,
  type CallSdpLegs, type WebRtcLocalMedia,
} from '../../../src/sdp/index.js';
import { PLACEHOLDER_SIP_MEDIA } from '../../../src/cli/sdp.js';
import { fixturesDir } from '../../helpers/paths.js';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection'];

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');
const golden = (c: string, f: string): string => crlf(fs.readFileSync(path.join(fixturesDir, 'sdp', c, f), 'utf8'));
const legs = (): CallSdpLegs => ({ webrtc: createLegState({ sessionId: '5000' }), sip: createLegState({ sessionId: '6000' }) });

/** Real-looking WebRTC media parameters: random ICE credentials and a sha-256 fingerprint. */
function webrtcLocal(): WebRtcLocalMedia {
  const b64 = (n: number): string => randomBytes(n).toString('base64').replace(/=+$/, '');
  return {
    address: '127.0.0.1',
    port: 45000,
    ice: {
      ufrag: b64(6).replace(/[+/]/g, 'x'),
      pwd: b64(18).replace(/[+/]/g, 'y'),
      candidates: [{ foundation: '1', component: 1, transport: 'UDP', priority: 2130706431, address: '127.0.0.1', port: 45000, type: 'host' }],
    },
    fingerprint: { algorithm: 'sha-256', value: [...randomBytes(32)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':') },
    ssrc: randomBytes(4).readUInt32BE(0),
    cname: 'tandem-it',
  };
}

const SIP_ANSWER = crlf(`v=0
o=- 77 77 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 16000 RTP/AVP 0 126
a=rtpmap:0 PCMU/8000
a=rtpmap:126 telephone-event/8000
a=fmtp:126 0-16
a=ptime:20
a=sendrecv
`);

/** In-page helpers (plain JS: the test's TypeScript has no DOM types). */
const PAGE_HELPERS = `
(() => {
  const pcs = new Map();
  const w = globalThis;
  const pickAudio = (pc) => pc.getTransceivers().find((x) => x.receiver.track.kind === 'audio' && x.currentDirection !== 'stopped' && x.direction !== 'stopped');
  const addTone = async (t) => {
    // like a softphone page: send a track (WebAudio tone; about:blank has no getUserMedia)
    const ac = new AudioContext();
    const osc = ac.createOscillator();
    const dst = ac.createMediaStreamDestination();
    osc.connect(dst);
    osc.start();
    await t.sender.replaceTrack(dst.stream.getAudioTracks()[0]);
  };
  w.__offer = async (id, kinds, opusOnly) => {
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: kinds.includes('data') ? 'max-bundle' : 'balanced' });
    pcs.set(id, pc);
    for (const k of kinds) {
      if (k === 'data') {
        pc.createDataChannel('chat');
        continue;
      }
      const t = pc.addTransceiver(k, { direction: 'sendrecv' });
      if (opusOnly && k === 'audio') {
        const caps = RTCRtpReceiver.getCapabilities('audio').codecs;
        t.setCodecPreferences(caps.filter((c) => /opus|telephone-event/i.test(c.mimeType)));
      }
    }
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return o.sdp;
  };
  w.__reoffer = async (id, opts) => {
    const pc = pcs.get(id);
    if (opts.direction) pc.getTransceivers()[0].direction = opts.direction;
    const o = await pc.createOffer({ iceRestart: opts.iceRestart === true });
    await pc.setLocalDescription(o);
    return o.sdp;
  };
  w.__setAnswer = async (id, sdp) => {
    const pc = pcs.get(id);
    await pc.setRemoteDescription({ type: 'answer', sdp });
    return pc.getTransceivers().map((x) => ({
      mid: x.mid, currentDirection: x.currentDirection, codecs: x.sender.getParameters().codecs.map((c) => c.mimeType + '/' + c.clockRate),
    }));
  };
  w.__answer = async (id, sdp, preferOpus) => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pcs.set(id, pc);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const t = pickAudio(pc);
    if (preferOpus) {
      const caps = RTCRtpReceiver.getCapabilities('audio').codecs;
      t.setCodecPreferences([...caps.filter((c) => /opus/i.test(c.mimeType)), ...caps.filter((c) => !/opus/i.test(c.mimeType))]);
    }
    await addTone(t);
    t.direction = 'sendrecv';
    const a = await pc.createAnswer();
    await pc.setLocalDescription(a);
    return a.sdp;
  };
  w.__reofferIn = async (id, sdp) => {
    const pc = pcs.get(id);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const a = await pc.createAnswer();
    await pc.setLocalDescription(a);
    return a.sdp;
  };
  w.__close = () => {
    for (const pc of pcs.values()) pc.close();
    pcs.clear();
  };
})();
`;

describe('sdp interop: Chromium accepts what Tandem writes', function () {
  this.timeout(60000);
  let ctx: BrowserContext;
  let page: Page;
  let udd: string;

  before(async () => {
    udd = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-sdp-udd-'));
    ctx = await chromium.launchPersistentContext(udd, { executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.evaluate(PAGE_HELPERS);
  });

  after(async () => {
    await ctx?.close();
    if (udd) fs.rmSync(udd, { recursive: true, force: true });
  });

  afterEach(async () => {
    await page.evaluate(() => (globalThis as unknown as { __close: () => void }).__close());
  });

  type Tx = { mid: string | null; currentDirection: string | null; codecs: string[] };
  const offer = (id: string, kinds: string[], opusOnly = false): Promise<string> =>
    page.evaluate(([i, k, o]) => (globalThis as unknown as { __offer: (a: string, b: string[], c: boolean) => Promise<string> }).__offer(i, k, o), [id, kinds, opusOnly] as const);
  const setAnswer = (id: string, sdp: string): Promise<Tx[]> =>
    page.evaluate(([i, s]) => (globalThis as unknown as { __setAnswer: (a: string, b: string) => Promise<Tx[]> }).__setAnswer(i, s), [id, sdp] as const);
  const answer = (id: string, sdp: string, preferOpus = false): Promise<string> =>
    page.evaluate(([i, s, p]) => (globalThis as unknown as { __answer: (a: string, b: string, c: boolean) => Promise<string> }).__answer(i, s, p), [id, sdp, preferOpus] as const);
  const reoffer = (id: string, o: { direction?: string; iceRestart?: boolean }): Promise<string> =>
    page.evaluate(([i, x]) => (globalThis as unknown as { __reoffer: (a: string, b: unknown) => Promise<string> }).__reoffer(i, x), [id, o] as const);
  const reofferIn = (id: string, sdp: string): Promise<string> =>
    page.evaluate(([i, s]) => (globalThis as unknown as { __reofferIn: (a: string, b: string) => Promise<string> }).__reofferIn(i, s), [id, sdp] as const);

  it('browser → phone: Tandem\'s WebRTC answer (PCMU passthrough) is accepted and PCMU is negotiated', async () => {
    const o = webrtcOfferToSip(await offer('a', ['audio']), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs() });
    const a = sipAnswerToWebrtc(SIP_ANSWER, { pending: o.pending, local: webrtcLocal(), legs: o.legs });
    const tx = await setAnswer('a', a.sdp);
    expect(tx[0].currentDirection).to.equal('sendrecv');
    expect(tx[0].codecs[0]).to.equal('audio/PCMU/8000');
    expect(tx[0].codecs).to.include('audio/telephone-event/8000');
  });

  it('browser → phone with setup:active is accepted', async () => {
    const o = webrtcOfferToSip(await offer('a', ['audio']), { profile: 'sdes', local: PLACEHOLDER_SIP_MEDIA, legs: legs() });
    const ans = SIP_ANSWER.replace('RTP/AVP', 'RTP/SAVP') + `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 9).toString('base64')}\r\n`;
    const a = sipAnswerToWebrtc(ans, { pending: o.pending, local: webrtcLocal(), legs: o.legs, setup: 'active' });
    expect(a.srtp).to.not.equal(undefined);
    const tx = await setAnswer('a', a.sdp);
    expect(tx[0].currentDirection).to.equal('sendrecv');
  });

  it('transcoding answer (Opus with minptime=10;useinbandfec=1, telephone-event/48000) is accepted', async () => {
    const o = webrtcOfferToSip(await offer('t', ['audio'], true), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs() });
    expect(o.pending.passthrough).to.deep.equal([]);
    const a = sipAnswerToWebrtc(SIP_ANSWER.replace(/126/g, '101'), { pending: o.pending, local: webrtcLocal(), legs: o.legs });
    expect(a.plan.mode).to.equal('transcode');
    const tx = await setAnswer('t', a.sdp);
    expect(tx[0].codecs[0]).to.equal('audio/opus/48000');
    expect(tx[0].codecs).to.include('audio/telephone-event/48000');
  });

  it('audio + video offer: the answer rejecting video with port 0 is accepted, video stopped', async () => {
    const o = webrtcOfferToSip(await offer('v', ['audio', 'video']), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs() });
    const sipAns = SIP_ANSWER + 'm=video 0 RTP/AVP 34\r\n';
    const a = sipAnswerToWebrtc(sipAns, { pending: o.pending, local: webrtcLocal(), legs: o.legs });
    const tx = await setAnswer('v', a.sdp);
    expect(tx[0]).to.include({ mid: '0', currentDirection: 'sendrecv' });
    // Chromium drops (or stops) the transceiver of a rejected m-line
    expect(tx.filter((t) => t.mid === '1' && t.currentDirection !== 'stopped')).to.deep.equal([]);
  });

  it('data channel + audio (max-bundle): the answer rejecting the data channel is accepted', async () => {
    const browserOffer = await offer('d', ['data', 'audio']);
    expect(browserOffer).to.contain('m=application');
    const o = webrtcOfferToSip(browserOffer, { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs() });
    // the phone answers audio (PCMA) and rejects the data channel slot, in the order of Tandem's SIP offer
    const mLines = o.sdp.split('\r\n').filter((l) => l.startsWith('m='));
    const sipAns = ['v=0', 'o=- 77 77 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      ...mLines.flatMap((m) => (m.startsWith('m=audio 40000') ? ['m=audio 16000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000'] : [m])), ''].join('\r\n');
    const a = sipAnswerToWebrtc(sipAns, { pending: o.pending, local: webrtcLocal(), legs: o.legs });
    const audioMid = o.pending.webrtcOffer.media[o.pending.audioIndex].mid;
    expect(a.sdp).to.contain(`a=group:BUNDLE ${audioMid}\r\n`);
    const tx = await setAnswer('d', a.sdp);
    expect(tx.find((t) => t.mid === audioMid)?.codecs[0]).to.equal('audio/PCMA/8000');
  });

  it('hold and ICE restart re-offers from the browser: Tandem\'s answers are accepted', async () => {
    const local1 = webrtcLocal();
    const o1 = webrtcOfferToSip(await offer('h', ['audio']), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs() });
    const a1 = sipAnswerToWebrtc(SIP_ANSWER, { pending: o1.pending, local: local1, legs: o1.legs });
    await setAnswer('h', a1.sdp);
    // hold
    const o2 = webrtcOfferToSip(await reoffer('h', { direction: 'sendonly' }), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: a1.legs });
    expect(o2.remote.hold).to.equal(true);
    expect(o2.sdp).to.contain('a=sendonly');
    const a2 = sipAnswerToWebrtc(SIP_ANSWER.replace('a=sendrecv', 'a=recvonly'), { pending: o2.pending, local: local1, legs: o2.legs });
    expect((await setAnswer('h', a2.sdp))[0].currentDirection).to.equal('sendonly');
    // resume with an ICE restart: new credentials on our side too
    const o3 = webrtcOfferToSip(await reoffer('h', { direction: 'sendrecv', iceRestart: true }), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: a2.legs });
    expect(o3.iceRestart).to.equal(true);
    const a3 = sipAnswerToWebrtc(SIP_ANSWER, { pending: o3.pending, local: webrtcLocal(), legs: o3.legs });
    expect(/^o=\S+ 5000 3 /m.test(a3.sdp)).to.equal(true);
    expect((await setAnswer('h', a3.sdp))[0].currentDirection).to.equal('sendrecv');
  });

  const sipOffers = ['s2w-offer-sipp-uac', 's2w-offer-baresip-srtp-mand', 's2w-offer-freeswitch-sdes', 's2w-offer-polycom', 's2w-offer-cisco-static-pt',
    's2w-offer-audio-video', 's2w-offer-ipv6-opus', 's2w-offer-two-audio', 's2w-offer-port0-first', 's2w-offer-no-transcode', 's2w-offer-prefer-opus'];
  for (const c of sipOffers) {
    it(`phone → browser (${c}): Chromium accepts Tandem's WebRTC offer and its answer translates back`, async () => {
      const o = sipOfferToWebrtc(golden(c, 'input.sdp'), { local: webrtcLocal(), legs: legs(), preferOpus: c.endsWith('prefer-opus'), allowTranscode: !c.endsWith('no-transcode') });
      const browserAnswer = await answer(c, o.sdp);
      const a = webrtcAnswerToSip(browserAnswer, { pending: o.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o.legs });
      expect(a.plan.mode).to.equal(c.endsWith('prefer-opus') ? 'transcode' : 'passthrough');
      expect(a.remote.ice?.ufrag).to.be.a('string');
      expect(a.sdp.split('\r\n').filter((l) => l.startsWith('m=')).length).to.equal(golden(c, 'input.sdp').split('\r\n').filter((l) => l.startsWith('m=')).length);
    });
  }

  it('phone → browser: the browser preferring Opus gives a transcoding SIP answer', async () => {
    const o = sipOfferToWebrtc(golden('s2w-offer-asterisk', 'input.sdp'), { local: webrtcLocal(), legs: legs() });
    const a = webrtcAnswerToSip(await answer('o', o.sdp, true), { pending: o.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o.legs });
    expect(a.plan.mode).to.equal('transcode');
    expect(a.plan.sip.name).to.equal('PCMU');
    expect(a.plan.webrtcDtmf?.clockRate).to.equal(48000);
  });

  it('phone → browser: hold (legacy c=0.0.0.0) and resume re-offers are accepted by Chromium', async () => {
    const local = webrtcLocal();
    const o1 = sipOfferToWebrtc(golden('s2w-offer-legacy-hold', 'previous.sdp'), { local, legs: legs() });
    const a1 = webrtcAnswerToSip(await answer('r', o1.sdp), { pending: o1.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o1.legs });
    const o2 = sipOfferToWebrtc(golden('s2w-offer-legacy-hold', 'input.sdp'), { local, legs: a1.legs });
    expect(o2.sdp).to.contain('a=sendonly');
    const ans2 = await reofferIn('r', o2.sdp);
    const a2 = webrtcAnswerToSip(ans2, { pending: o2.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o2.legs });
    expect(a2.direction).to.equal('recvonly');
    const o3 = sipOfferToWebrtc(golden('s2w-offer-resume', 'input.sdp'), { local, legs: a2.legs });
    const a3 = webrtcAnswerToSip(await reofferIn('r', o3.sdp), { pending: o3.pending, local: PLACEHOLDER_SIP_MEDIA, legs: o3.legs });
    expect(a3.direction).to.equal('sendrecv');
    expect(/^o=\S+ 4000 3 /m.test(a3.sdp) || /^o=\S+ 6000 3 /m.test(a3.sdp)).to.equal(true);
  });
});

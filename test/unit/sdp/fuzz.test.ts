// Malformed input never escapes as an untyped throw, and never hangs.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  createLegState, parseSdp, SdpError, sipAnswerToWebrtc, sipOfferToWebrtc, webrtcAnswerToSip, webrtcOfferToSip, type CallSdpLegs,
} from '../../../src/sdp/index.js';
import { PLACEHOLDER_SIP_MEDIA, PLACEHOLDER_WEBRTC_MEDIA } from '../../../src/cli/sdp.js';
import { goldenDir, listCases, loadCase, toCrlf } from './golden-cases.js';
import { seededRandom as rng } from '../../helpers/seeded-random.js';

const legs = (): CallSdpLegs => ({ webrtc: createLegState({ sessionId: '1' }), sip: createLegState({ sessionId: '2' }) });
const corpus = listCases().flatMap((c) => {
  const { dir, input } = loadCase(c);
  const extra = ['offer.sdp', 'previous.sdp'].filter((f) => fs.existsSync(path.join(dir, f))).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
  return [input, ...extra].map(toCrlf);
});
const chromeOffer = toCrlf(fs.readFileSync(path.join(goldenDir, 'capture', 'out', 'chromium-audio-offer.sdp'), 'utf8'));
const phoneOffer = toCrlf(fs.readFileSync(path.join(goldenDir, 'capture', 'out', 'baresip-plain-offer.sdp'), 'utf8'));
const w2s = webrtcOfferToSip(chromeOffer, { profile: 'sdes-optional', local: PLACEHOLDER_SIP_MEDIA, legs: legs() });
const s2w = sipOfferToWebrtc(phoneOffer, { local: PLACEHOLDER_WEBRTC_MEDIA, legs: legs() });

const translators: Array<(s: string) => unknown> = [
  (s) => parseSdp(s),
  (s) => webrtcOfferToSip(s, { profile: 'sdes', local: PLACEHOLDER_SIP_MEDIA, legs: legs() }),
  (s) => sipOfferToWebrtc(s, { local: PLACEHOLDER_WEBRTC_MEDIA, legs: legs() }),
  (s) => sipAnswerToWebrtc(s, { pending: w2s.pending, local: PLACEHOLDER_WEBRTC_MEDIA, legs: w2s.legs }),
  (s) => webrtcAnswerToSip(s, { pending: s2w.pending, local: PLACEHOLDER_SIP_MEDIA, legs: s2w.legs }),
];

let worstMs = 0;
function check(input: string, label: string): { ok: number; typed: number } {
  let ok = 0;
  let typed = 0;
  for (const t of translators) {
    const t0 = performance.now();
    try {
      const r = t(input);
      expect(r).to.be.an('object');
      ok++;
    } catch (e) {
      if (!(e instanceof SdpError)) {
        throw new Error(`untyped throw for ${label}: ${String(e)}\n--- input ---\n${JSON.stringify(input).slice(0, 2000)}`);
      }
      expect(e.sipStatus).to.be.oneOf([400, 488]);
      typed++;
    }
    worstMs = Math.max(worstMs, performance.now() - t0);
  }
  return { ok, typed };
}

const LINE_POOL = [
  'm=audio 1 RTP/AVP 0', 'm=video 0 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'c=IN IP6 ::', 'a=rtpmap:0', 'a=rtpmap:96 opus/48000/2',
  'a=fmtp:101', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:', 'a=candidate:1 1 UDP x 1.2.3.4 1 typ host', 'a=ssrc:x cname:y',
  'a=group:BUNDLE', 'a=mid:', 'a=rtcp:abc', 'a=ptime:0', 'a=setup:bogus', 'a=fingerprint:sha-256 zz', 'o=- 1 1 IN IP4 1.1.1.1',
  'm=audio 70000 RTP/AVP 0', 'a=sendonly', 'a=inactive', 'b=AS:x', 'a=ice-ufrag:', 'a=bundle-only', 't=0 0', 'v=0', 'm=audio 9 RTP/SAVP 0',
  'a=rtpmap:0 PCMU/0', 'a=rtpmap:127 telephone-event/48000', 'a=extmap:1', 'a=msid:', 'a=rtcp-mux', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
];

function mutate(text: string, r: () => number): string {
  const lines = text.split('\r\n');
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * lines.length);
    switch (Math.floor(r() * 9)) {
      case 0: lines.splice(i, 1); break; // drop a line
      case 1: lines.splice(i, 0, LINE_POOL[Math.floor(r() * LINE_POOL.length)]); break;
      case 2: lines[i] = lines[i].slice(0, Math.floor(r() * lines[i].length)); break; // truncate a line
      case 3: { // flip a character
        const s = lines[i];
        const j = Math.floor(r() * Math.max(1, s.length));
        lines[i] = s.slice(0, j) + String.fromCharCode(32 + Math.floor(r() * 95)) + s.slice(j + 1);
        break;
      }
      case 4: lines[i] = lines[i].replace(/\d+/, String(Math.floor(r() * 1e6))); break; // number change
      case 5: return lines.join('\r\n').slice(0, Math.floor(r() * text.length)); // truncate whole text
      case 6: lines.splice(i, 0, lines[Math.floor(r() * lines.length)]); break; // duplicate a line
      case 7: lines[i] = lines[i].replace(/ /g, r() < 0.5 ? '  ' : ''); break;
      default: lines[i] = lines[i].toUpperCase();
    }
  }
  return lines.join(r() < 0.1 ? '\n' : '\r\n');
}

describe('sdp fuzz: malformed descriptions give typed errors', function () {
  this.timeout(60_000);

  it('random bytes (2000 cases)', () => {
    const r = rng(0x5d9);
    let typed = 0;
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(r() * 400);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = Math.floor(r() * 256);
      const prefix = r() < 0.5 ? 'v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\n' : '';
      typed += check(prefix + bytes.toString(r() < 0.5 ? 'latin1' : 'utf8'), `random #${i}`).typed;
    }
    expect(typed).to.be.greaterThan(0);
  });

  it('random printable SDP-like lines (1000 cases)', () => {
    const r = rng(0xbeef);
    for (let i = 0; i < 1000; i++) {
      const lines = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0'];
      const n = Math.floor(r() * 20);
      for (let k = 0; k < n; k++) lines.push(LINE_POOL[Math.floor(r() * LINE_POOL.length)]);
      check(lines.join('\r\n') + '\r\n', `lines #${i}`);
    }
  });

  it(`mutations of the ${corpus.length} golden inputs (4000 cases)`, () => {
    const r = rng(42);
    let ok = 0;
    for (let i = 0; i < 4000; i++) {
      const base = corpus[Math.floor(r() * corpus.length)];
      ok += check(mutate(base, r), `mutation #${i}`).ok;
    }
    // the mutations are not all fatal: a good share still translates
    expect(ok).to.be.greaterThan(400);
  });

  it('never took long on any input', () => {
    // a super-linear (ReDoS-like) path would take seconds on these inputs; the bound leaves room for a loaded CI machine
    expect(worstMs).to.be.lessThan(1000);
  });
});

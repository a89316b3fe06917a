// Our SSRC in WebRTC descriptions (RFC 5576 §4.1): declared in every active audio m-section
// whatever the direction, so Chromium keeps its receive stream across hold/resume.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  createLegState, sipAnswerToWebrtc, sipOfferToWebrtc, webrtcOfferToSip, type CallSdpLegs, type CodecSpec, type MediaDirection, type WebRtcLocalMedia,
} from '../../../src/sdp/index.js';
import { webrtcAudioSection } from '../../../src/sdp/sections.js';
import { PLACEHOLDER_SIP_MEDIA, PLACEHOLDER_WEBRTC_MEDIA } from '../../../src/cli/sdp.js';
import { goldenDir, toCrlf } from './golden-cases.js';

const LOCAL: WebRtcLocalMedia = { ...PLACEHOLDER_WEBRTC_MEDIA, ssrc: 3735928559, cname: 'c-name_1' };
const PCMU: CodecSpec = { pt: 0, name: 'PCMU', clockRate: 8000, channels: 1 };
const legs0 = (): CallSdpLegs => ({ webrtc: createLegState({ sessionId: '11' }), sip: createLegState({ sessionId: '22' }) });
const capture = (n: string): string => toCrlf(fs.readFileSync(path.join(goldenDir, 'capture', 'out', `${n}.sdp`), 'utf8'));
const sipAnswer = (direction: MediaDirection): string => toCrlf(`v=0
o=- 5 5 IN IP4 198.51.100.9
s=-
c=IN IP4 198.51.100.9
t=0 0
m=audio 30000 RTP/AVP 0 126
a=rtpmap:126 telephone-event/8000
a=${direction}
`);
const sipOffer = (direction: MediaDirection): string => toCrlf(`v=0
o=- 7 7 IN IP4 198.51.100.9
s=-
c=IN IP4 198.51.100.9
t=0 0
m=audio 30000 RTP/AVP 0 8 101
a=rtpmap:101 telephone-event/8000
a=${direction}
`);

/** The lines of each m-section (m= line first). */
function sections(sdp: string): string[][] {
  const out: string[][] = [];
  for (const l of sdp.split('\r\n')) {
    if (l.startsWith('m=')) out.push([l]);
    else if (out.length > 0 && l !== '') out[out.length - 1].push(l);
  }
  return out;
}

function audio(sdp: string): string[] {
  const s = sections(sdp).filter((x) => x[0].startsWith('m=audio '));
  expect(s, 'one audio section').to.have.length(1);
  return s[0];
}

const ssrcLines = (lines: string[]): string[] => lines.filter((l) => l.startsWith('a=ssrc:'));

describe('sdp WebRTC audio section: our SSRC whatever the direction', () => {
  for (const direction of ['recvonly', 'inactive'] as const) {
    it(`a ${direction} WebRTC answer (phone answers ${direction}) still declares a=ssrc with our SSRC, without msid`, () => {
      const o = webrtcOfferToSip(capture('chromium-audio-offer'), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0() });
      const a = sipAnswerToWebrtc(sipAnswer(direction), { pending: o.pending, local: LOCAL, legs: o.legs });
      expect(a.direction).to.equal(direction);
      const m = audio(a.sdp);
      expect(m[0]).to.match(/^m=audio [1-9]\d* UDP\/TLS\/RTP\/SAVPF /);
      expect(m).to.include(`a=${direction}`);
      expect(ssrcLines(m)).to.deep.equal(['a=ssrc:3735928559 cname:c-name_1']);
      expect(m.filter((l) => l.startsWith('a=msid:'))).to.deep.equal([]);
    });
  }

  it('a sendrecv WebRTC answer declares the SSRC with cname and msid (unchanged)', () => {
    const o = webrtcOfferToSip(capture('chromium-audio-offer'), { profile: 'avp', local: PLACEHOLDER_SIP_MEDIA, legs: legs0() });
    const a = sipAnswerToWebrtc(sipAnswer('sendrecv'), { pending: o.pending, local: LOCAL, legs: o.legs });
    const m = audio(a.sdp);
    expect(ssrcLines(m)).to.deep.equal(['a=ssrc:3735928559 cname:c-name_1', 'a=ssrc:3735928559 msid:tandem tandem-audio']);
    expect(m).to.include('a=msid:tandem tandem-audio');
  });

  for (const direction of ['recvonly', 'inactive'] as const) {
    it(`a ${direction} WebRTC offer (phone re-offers ${direction}) declares a=ssrc with our SSRC`, () => {
      const o = sipOfferToWebrtc(sipOffer(direction), { local: LOCAL, legs: legs0() });
      const m = audio(o.sdp);
      expect(m).to.include(`a=${direction}`);
      expect(ssrcLines(m)).to.deep.equal(['a=ssrc:3735928559 cname:c-name_1']);
    });
  }

  it('a rejected audio section (port 0) carries no a=ssrc, the active one does (phone re-offers inactive)', () => {
    const phone = toCrlf(fs.readFileSync(path.join(goldenDir, 's2w-offer-port0-first', 'input.sdp'), 'utf8')).replace('a=fmtp:101 0-15\r\n', 'a=fmtp:101 0-15\r\na=inactive\r\n');
    const o = sipOfferToWebrtc(phone, { local: LOCAL, legs: legs0() });
    const m = sections(o.sdp);
    expect(m.map((x) => x[0].split(' ').slice(0, 2).join(' '))).to.deep.equal(['m=audio 0', `m=audio ${LOCAL.port}`]);
    expect(ssrcLines(m[0])).to.deep.equal([]);
    expect(m[1]).to.include('a=inactive');
    expect(ssrcLines(m[1])).to.deep.equal(['a=ssrc:3735928559 cname:c-name_1']);
  });

  it('webrtcAudioSection writes no a=ssrc on a port-0 m-line, whatever the direction', () => {
    for (const direction of ['recvonly', 'inactive'] as const) {
      const lines = webrtcAudioSection({ port: 0, mid: '0', codecs: [PCMU], local: LOCAL, setup: 'actpass', direction });
      expect(ssrcLines(lines)).to.deep.equal([]);
      const active = webrtcAudioSection({ port: 9, mid: '0', codecs: [PCMU], local: LOCAL, setup: 'actpass', direction });
      expect(ssrcLines(active)).to.deep.equal(['a=ssrc:3735928559 cname:c-name_1']);
    }
  });
});

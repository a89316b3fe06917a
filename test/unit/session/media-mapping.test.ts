import { expect } from 'chai';
import { bridgeParams } from '../../../src/session/media-mapping.js';
import type { CodecPlan } from '../../../src/sdp/index.js';

const id = { ssrc: 3735928559, cname: 'c-name_1' };

describe('session media-mapping: our SSRC toward the browser', () => {
  it('bridgeParams carries the identity SSRC as webrtcSsrc', () => {
    const plan = { webrtc: { pt: 111 }, sip: { pt: 0 }, sipPtime: 20 } as unknown as CodecPlan;
    expect(bridgeParams(plan, id)).to.deep.equal({ webrtcSendPt: 111, rtpSendPt: 0, rtpPtimeMs: 20, webrtcSsrc: 3735928559 });
  });
});

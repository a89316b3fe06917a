import { expect } from 'chai';
import { bridgeParams, withSsrcDeclared } from '../../../src/session/media-mapping.js';
import type { CodecPlan } from '../../../src/sdp/index.js';

const id = { ssrc: 3735928559, cname: 'c-name_1' };

describe('session media-mapping: our SSRC toward the browser', () => {
  it('bridgeParams carries the identity SSRC as webrtcSsrc', () => {
    const plan = { webrtc: { pt: 111 }, sip: { pt: 0 }, sipPtime: 20 } as unknown as CodecPlan;
    expect(bridgeParams(plan, id)).to.deep.equal({ webrtcSendPt: 111, rtpSendPt: 0, rtpPtimeMs: 20, webrtcSsrc: 3735928559 });
  });

  it('withSsrcDeclared adds a=ssrc cname to an active audio section without one (hold answer), before the final CRLF', () => {
    const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 40000 UDP/TLS/RTP/SAVPF 0', 'a=mid:0', 'a=recvonly', 'a=rtcp-mux', ''].join('\r\n');
    const out = withSsrcDeclared(sdp, id);
    expect(out.split('\r\n')).to.deep.equal([
      'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 40000 UDP/TLS/RTP/SAVPF 0', 'a=mid:0', 'a=recvonly', 'a=rtcp-mux',
      'a=ssrc:3735928559 cname:c-name_1', '',
    ]);
  });

  it('withSsrcDeclared leaves sections that declare an SSRC, rejected sections and non-audio sections alone', () => {
    const sending = ['v=0', 's=-', 'm=audio 40000 UDP/TLS/RTP/SAVPF 0', 'a=sendrecv', 'a=ssrc:3735928559 cname:c-name_1', ''].join('\r\n');
    expect(withSsrcDeclared(sending, id)).to.equal(sending);
    const rejected = ['v=0', 's=-', 'm=audio 0 UDP/TLS/RTP/SAVPF 0', 'a=inactive', 'm=video 0 UDP/TLS/RTP/SAVPF 96', ''].join('\r\n');
    expect(withSsrcDeclared(rejected, id)).to.equal(rejected);
    const two = ['v=0', 's=-', 'm=audio 40000 UDP/TLS/RTP/SAVPF 0', 'a=inactive', 'm=video 0 UDP/TLS/RTP/SAVPF 96', ''].join('\r\n');
    expect(withSsrcDeclared(two, id).split('\r\n')).to.deep.equal(['v=0', 's=-', 'm=audio 40000 UDP/TLS/RTP/SAVPF 0', 'a=inactive', 'a=ssrc:3735928559 cname:c-name_1', 'm=video 0 UDP/TLS/RTP/SAVPF 96', '']);
  });
});

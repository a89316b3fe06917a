import { expect } from 'chai';
import { MediaBridge } from '../../../src/media/bridge/media-bridge.js';
import { PortPool } from '../../../src/media/net/port-pool.js';
import { RtpLeg } from '../../../src/media/rtp-leg/rtp-leg.js';
import { decodeSdesKey, encodeSdesKey, generateSrtpKey } from '../../../src/media/srtp/srtp-suite.js';
import { startBaresip, stopAllBaresip } from '../../helpers/baresip.js';
import { MiniUac } from '../../helpers/mini-uac.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { toneDominates } from '../../helpers/tone.js';
import { formatsFor, sleep } from './call-fixture.js';

describe('integration media: RtpLeg with SDES-SRTP against baresip (mediaenc=srtp-mand)', function () {
  this.timeout(40000);
  after(() => stopAllBaresip());

  it('tones cross both ways through SRTP (baresip) ↔ RtpLeg ↔ bridge ↔ RtpLeg ↔ plain RTP peer', async () => {
    const phone = await startBaresip({ codecs: 'PCMU', mediaenc: 'srtp-mand', toneHz: 1000, timeoutMs: 35000 });
    const pool = new PortPool({ min: 46000, max: 46999 });
    const formats = formatsFor('PCMU', 20);
    const ours = generateSrtpKey('AES_CM_128_HMAC_SHA1_80');
    const peer = await RtpPeer.create({ codec: 'PCMU', freq: 440 });
    const legA = await RtpLeg.create({ localAddress: '127.0.0.1', pool, formats, remote: { address: '127.0.0.1', port: peer.port } });
    const legB = await RtpLeg.create({ localAddress: '127.0.0.1', pool, formats, remote: null });
    const uac = await MiniUac.create({ host: phone.ip, port: phone.sipPort });
    let bridge: MediaBridge | null = null;
    try {
      const offer = [
        'v=0', `o=tandem 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
        `m=audio ${legB.localRtpPort} RTP/SAVP 0 101`,
        'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20',
        `a=rtcp:${legB.localRtcpPort}`,
        `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${encodeSdesKey(ours)}`,
        'a=sendrecv', '',
      ].join('\r\n');
      const answer = await uac.invite(phone.uri, offer);
      const port = Number(/m=audio (\d+)/.exec(answer)?.[1]);
      const addr = /c=IN IP4 (\S+)/.exec(answer)?.[1] ?? '127.0.0.1';
      const crypto = /a=crypto:\d+ (AES_CM_128_HMAC_SHA1_(?:80|32)) inline:([A-Za-z0-9+/=]+)/.exec(answer);
      expect(crypto, `answer has a=crypto:\n${answer}`).to.not.equal(null);
      if (!crypto) return;
      const suite = crypto[1] as 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
      legB.update({
        remote: { address: addr, port },
        srtp: { local: { ...ours, suite }, remote: decodeSdesKey(suite, crypto[2]) },
      });
      bridge = new MediaBridge({ a: { leg: legA, formats }, b: { leg: legB, formats } });
      peer.start({ address: '127.0.0.1', port: legA.localRtpPort });
      await sleep(4000);
      peer.stop();
      await sleep(300);
      expect(legB.counters.srtpAuthFailures, JSON.stringify(legB.counters)).to.equal(0);
      expect(legB.counters.rxPackets).to.be.greaterThan(100);
      // baresip's SRTCP (its first RTCP is a lone APP 'PINGPONG', later SR/RR) authenticates and parses.
      expect(legB.rtcpCounters.rtcpAuthFailures, JSON.stringify(legB.rtcpCounters)).to.equal(0);
      expect(legB.rtcpCounters.rtcpRx, JSON.stringify(legB.rtcpCounters)).to.be.at.least(1);
      const atPeer = toneDominates(peer.received, 8000, 1000, { candidates: [440], skipMs: 500 });
      expect(atPeer.fraction, `baresip's 1000 Hz at our peer ${JSON.stringify(atPeer)}`).to.be.above(0.7);
      await uac.bye();
      await sleep(300);
      await phone.stop();
      expect(phone.srtpEnabled()).to.equal(true);
      const heard = phone.readRecording('dec');
      const atPhone = toneDominates(heard.samples, heard.rate, 440, { candidates: [1000], skipMs: 1000 });
      expect(atPhone.fraction, `our 440 Hz at baresip ${JSON.stringify(atPhone)}`).to.be.above(0.5);
    } finally {
      bridge?.close();
      legA.close();
      legB.close();
      uac.close();
      await peer.close();
      await phone.cleanup();
    }
  });
});

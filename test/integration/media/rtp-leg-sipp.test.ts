import { expect } from 'chai';
import { MediaBridge } from '../../../src/media/bridge/media-bridge.js';
import { PortPool } from '../../../src/media/net/port-pool.js';
import { RtpLeg } from '../../../src/media/rtp-leg/rtp-leg.js';
import { startSipp, stopAllSipp } from '../../helpers/sipp.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { toneDominates } from '../../helpers/tone.js';
import { formatsFor, sleep } from './call-fixture.js';

/**
 * A real, independent RTP stack on the far side: SIPp's `-rtp_echo` returns
 * every RTP packet it gets on its media port to the sender. Our tone goes
 * peer → legA → bridge → legB → SIPp → legB → bridge → legA → peer.
 */
describe('integration media: RtpLeg against SIPp -rtp_echo', function () {
  this.timeout(30000);
  after(() => stopAllSipp());

  it('PCMU through two legs and the bridge comes back from SIPp with the tone intact', async () => {
    const sipp = await startSipp({ scenario: 'uas_pcmu_echo.xml', rtpEcho: true, timeoutMs: 20000 });
    const pool = new PortPool({ min: 45000, max: 45999 });
    const formats = formatsFor('PCMU', 20);
    const peer = await RtpPeer.create({ codec: 'PCMU', freq: 1000 });
    const legA = await RtpLeg.create({ localAddress: '127.0.0.1', pool, formats, remote: { address: '127.0.0.1', port: peer.port } });
    const legB = await RtpLeg.create({ localAddress: '127.0.0.1', pool, formats, remote: { address: '127.0.0.1', port: sipp.mediaPort } });
    const bridge = new MediaBridge({ a: { leg: legA, formats }, b: { leg: legB, formats } });
    try {
      peer.start({ address: '127.0.0.1', port: legA.localRtpPort });
      await sleep(2500);
      peer.stop();
      await sleep(300);
      expect(legB.counters.rxPackets, 'SIPp echoed RTP back').to.be.greaterThan(50);
      expect(legB.rtpDestination?.port).to.equal(sipp.mediaPort);
      const heard = toneDominates(peer.received, 8000, 1000, { candidates: [440], skipMs: 300 });
      expect(heard.fraction, JSON.stringify(heard)).to.be.above(0.8);
    } finally {
      bridge.close();
      legA.close();
      legB.close();
      await peer.close();
      await sipp.cleanup();
    }
  });
});

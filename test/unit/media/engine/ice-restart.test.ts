// The engine's control protocol for an ICE restart (RFC 8445 §9) answered in one `update`:
// new local credentials returned, the remote's applied, DTLS parameters unchanged.
import { expect } from 'chai';
import { silentLogger } from '../../../../src/common/logger.js';
import type { WorkerConfig, WorkerMessage } from '../../../../src/media/engine/protocol.js';
import { WorkerRuntime } from '../../../../src/media/engine/worker-runtime.js';
import type { WebRtcLocalParams, WebRtcRemoteParams } from '../../../../src/media/webrtc/types.js';
import type { CallStats } from '../../../../src/media/engine/index.js';

const cfg: WorkerConfig = {
  index: 0, bindAddress: '127.0.0.1', announcedAddresses: ['127.0.0.1'], portMin: 46200, portMax: 46299,
  iceLite: false, rtpTimeoutMs: 0, srtpProfiles: ['AES_CM_128_HMAC_SHA1_80'], opusComplexity: 5, logLevel: 'silent',
};

const remote = (ufrag: string, pwd: string): WebRtcRemoteParams => ({
  iceUfrag: ufrag, icePwd: pwd, iceLite: false, candidates: [],
  fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') }], setup: 'actpass',
  formats: [{ pt: 111, name: 'opus', clockRate: 48000, channels: 2 }], direction: 'sendrecv',
});

describe('WorkerRuntime: ICE restart answered in one update', () => {
  it('update { restartIce, webrtc } returns new ufrag/pwd with the same fingerprint and setup; stats count the restart', async () => {
    const out: WorkerMessage[] = [];
    const rt = new WorkerRuntime(cfg, (m) => out.push(m), silentLogger());
    const result = <T>(): T => {
      const m = out.pop();
      if (m?.type !== 'response' || !m.ok) throw new Error(`request failed: ${JSON.stringify(m)}`);
      return m.result as T;
    };
    try {
      await rt.init();
      await rt.handle({ type: 'allocate', id: 1, callId: 'c', req: { offerer: false, bridge: 'echo' } });
      result<unknown>();
      await rt.handle({ type: 'apply', id: 2, callId: 'c', req: { webrtc: remote('R1', 'remotepassword-one-remotepass') } });
      const first = result<WebRtcLocalParams>();
      expect(first.setup).to.equal('active');
      await rt.handle({ type: 'update', id: 3, callId: 'c', req: { restartIce: true, webrtc: remote('R2', 'remotepassword-two-remotepass') } });
      const second = result<WebRtcLocalParams>();
      expect(second.iceUfrag).to.not.equal(first.iceUfrag);
      expect(second.icePwd).to.not.equal(first.icePwd);
      expect(second.fingerprint).to.deep.equal(first.fingerprint);
      expect(second.setup).to.equal('active');
      expect(second.candidates).to.deep.equal(first.candidates);
      await rt.handle({ type: 'stats', id: 4, callId: 'c' });
      const st = result<CallStats>();
      expect(st.webrtc.ice.restarts).to.equal(1);
      expect(st.webrtc.ice.restarting, 'no pair selected by the new ICE session yet').to.equal(true);
      // A re-offer without a restart (same remote credentials) keeps ours.
      await rt.handle({ type: 'update', id: 5, callId: 'c', req: { webrtc: remote('R2', 'remotepassword-two-remotepass') } });
      expect(result<WebRtcLocalParams>().iceUfrag).to.equal(second.iceUfrag);
      await rt.handle({ type: 'close', id: 6, callId: 'c' });
      expect(rt.callCount).to.equal(0);
    } finally {
      rt.shutdown();
    }
  });
});

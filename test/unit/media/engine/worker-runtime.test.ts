import { expect } from 'chai';
import { silentLogger } from '../../../../src/common/logger.js';
import type { WorkerConfig, WorkerMessage } from '../../../../src/media/engine/protocol.js';
import { WorkerRuntime } from '../../../../src/media/engine/worker-runtime.js';

const cfg: WorkerConfig = {
  index: 0, bindAddress: '127.0.0.1', announcedAddresses: ['198.51.100.7'], portMin: 46000, portMax: 46099,
  iceLite: true, rtpTimeoutMs: 0, srtpProfiles: ['AES_CM_128_HMAC_SHA1_80'], opusComplexity: 5, logLevel: 'silent',
};

describe('WorkerRuntime (the worker side of the control protocol, in-thread)', () => {
  it('allocate → apply → stats → close; announced address in candidates; typed errors', async () => {
    const out: WorkerMessage[] = [];
    const rt = new WorkerRuntime(cfg, (m) => out.push(m), silentLogger());
    try {
      const fp = await rt.init();
      expect(fp).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      await rt.handle({ type: 'allocate', id: 1, callId: 'c1', req: { offerer: false, bridge: 'echo' } });
      const r1 = out.pop();
      const firstUfrag = (r1 as { result: { webrtc: { iceUfrag: string } } }).result.webrtc.iceUfrag;
      expect(r1?.type === 'response' && r1.ok).to.equal(true);
      const result = (r1 as { result: { webrtc: { candidates: Array<{ address: string; port: number }>; iceLite: boolean; fingerprint: { value: string } } } }).result;
      expect(result.webrtc.candidates[0].address).to.equal('198.51.100.7');
      expect(result.webrtc.candidates[0].port).to.be.within(46000, 46099);
      expect(result.webrtc.iceLite).to.equal(true);
      expect(result.webrtc.fingerprint.value).to.equal(fp);
      expect(rt.callCount).to.equal(1);

      await rt.handle({ type: 'allocate', id: 2, callId: 'c1', req: { offerer: false, bridge: 'echo' } });
      const dup = out.pop();
      expect(dup?.type === 'response' && !dup.ok && dup.error.code).to.equal('ERR_MEDIA_DUPLICATE_CALL');

      await rt.handle({ type: 'stats', id: 3, callId: 'nope' });
      const unk = out.pop();
      expect(unk?.type === 'response' && !unk.ok && unk.error.code).to.equal('ERR_MEDIA_UNKNOWN_CALL');

      await rt.handle({ type: 'stats', id: 4, callId: 'c1' });
      const st = out.pop();
      expect(st?.type === 'response' && st.ok).to.equal(true);

      await rt.handle({ type: 'update', id: 7, callId: 'c1', req: { restartIce: true, direction: 'inactive' } });
      const up = out.pop();
      expect(up?.type === 'response' && up.ok).to.equal(true);
      const newUfrag = (up as { result: { iceUfrag: string } }).result.iceUfrag;
      expect(newUfrag).to.be.a('string').and.not.equal(firstUfrag);
      const st2 = (st as { result: { webrtc: { localPort: number } } }).result;
      expect(st2.webrtc.localPort).to.equal(result.webrtc.candidates[0].port);

      await rt.handle({ type: 'close', id: 5, callId: 'c1' });
      await rt.handle({ type: 'close', id: 6, callId: 'c1' });
      expect(rt.callCount).to.equal(0);
    } finally {
      rt.shutdown();
    }
  });
});

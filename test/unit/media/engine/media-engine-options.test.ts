import { expect } from 'chai';
import { MediaEngine } from '../../../../src/media/engine/media-engine.js';

describe('MediaEngine options validation (no worker is started)', () => {
  for (const bad of [-1, 11, 2.5]) {
    it(`refuses opusComplexity ${bad} with ERR_MEDIA_OPUS_COMPLEXITY`, async () => {
      const err = await MediaEngine.start({ workers: 1, opusComplexity: bad }).then(() => null, (e: unknown) => e);
      expect(err).to.have.property('code', 'ERR_MEDIA_OPUS_COMPLEXITY');
    });
  }

  it('refuses an unknown workerKind with ERR_MEDIA_WORKER_KIND', async () => {
    const err = await MediaEngine.start({ workers: 1, workerKind: 'fiber' as unknown as 'thread' }).then(() => null, (e: unknown) => e);
    expect(err).to.have.property('code', 'ERR_MEDIA_WORKER_KIND');
  });
});

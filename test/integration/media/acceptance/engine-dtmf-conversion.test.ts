// RFC 4733 ↔ per-digit conversion through the engine (for `dtmf: info` phones), real sockets inside a
// network namespace: node-datachannel browser ↔ MediaEngine worker ↔ raw RTP phone.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { MediaEngine, type CallEvent } from '../../../../src/media/engine/index.js';
import { inNetns, runMochaInNetns } from '../../../helpers/netns.js';
import { ndcShutdown } from '../webrtc/ndc-browser.js';
import { setupCall, sleep, type TestCall } from './support.js';

const thisFile = fileURLToPath(import.meta.url);

if (!inNetns()) {
  describe('engine DTMF conversion (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(120000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 110000, mochaArgs: ['--timeout', '40000'] });
      if (r.code !== 0 || process.env.ACCEPTANCE_VERBOSE) console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\b3 passing\b/);
      expect(r.stdout).to.not.match(/\d+ failing/);
    });
  });
} else {
  describe('engine DTMF conversion: RFC 4733 from the browser → dtmf events; sendDtmf → RFC 4733 to the browser (netns)', () => {
    let engine: MediaEngine;
    const events: Array<{ callId: string; ev: CallEvent }> = [];
    const open: TestCall[] = [];

    before(async () => {
      engine = await MediaEngine.start({ workers: 1, portMin: 43000, portMax: 43199, onEvent: (callId, ev) => events.push({ callId, ev }) });
    });
    afterEach(async () => {
      for (const c of open.splice(0)) {
        await c.close();
        await engine.closeCall(c.callId);
      }
    });
    after(async function () {
      this.timeout(20000);
      await engine.close();
      await ndcShutdown();
    });

    for (const browserCodec of ['opus', 'PCMU'] as const) {
      it(`${browserCodec} browser, webrtcDtmf 'event': digits 1 and 5 become engine events, no telephone-event reaches the phone; sendDtmf 9/160 ms reaches the browser as RFC 4733 at 48 kHz`, async () => {
        const callId = `dtmfconv-${browserCodec}`;
        const c = await setupCall(engine, { callId, browserCodec, sipCodec: 'PCMU' });
        open.push(c);
        await engine.update(callId, { bridge: { webrtcDtmf: 'event' } });
        await sleep(300);
        c.tx.sendDigits([{ key: 1, ms: 120 }, { key: 5, ms: 80 }]);
        const t0 = Date.now();
        while (!c.tx.dtmfIdle && Date.now() - t0 < 3000) await sleep(20);
        await sleep(300);
        const digits = events.filter((e) => e.callId === callId && e.ev.kind === 'dtmf').map((e) => e.ev);
        expect(digits).to.deep.equal([
          { kind: 'dtmf', from: 'webrtc', digit: '1', durationMs: 120 },
          { kind: 'dtmf', from: 'webrtc', digit: '5', durationMs: 80 },
        ]);
        expect(c.phone.dtmf, 'telephone-event packets at the phone').to.have.length(0);
        const st = await engine.stats(callId);
        expect(st.bridge?.webrtcToRtp.dtmfForwarded).to.equal(0);

        // Phone INFO → RFC 4733 toward the browser (the browser negotiated telephone-event/48000).
        await engine.sendDtmf(callId, { toward: 'webrtc', digit: '9', durationMs: 160 });
        const t1 = Date.now();
        while (c.rx.keys.length === 0 && Date.now() - t1 < 2000) await sleep(20);
        await sleep(200);
        expect(c.rx.keys.map((k) => [k.key, k.durationMs])).to.deep.equal([['9', 160]]);
      });
    }

    it('sendDtmf for an unknown call rejects with a typed ERR_MEDIA_ error', async () => {
      let err: unknown = null;
      await engine.sendDtmf('no-such-call', { toward: 'webrtc', digit: '1', durationMs: 100 }).catch((e: unknown) => { err = e; });
      expect(err).to.be.instanceOf(Error);
      expect((err as { code?: unknown }).code).to.match(/^ERR_MEDIA_/);
    });
  });
}

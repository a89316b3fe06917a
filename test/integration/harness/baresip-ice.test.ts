import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNetns } from '../../helpers/netns.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('harness: baresip with ICE + DTLS-SRTP + Opus inside a network namespace (veth)', function () {
  this.timeout(60000);

  it('two phones connect over ICE on 127.0.0.2 and each hears the other tone', async () => {
    const res = await runInNetns(path.join(here, 'baresip-ice.scenario.js'), [], { veth: true, timeoutMs: 45000 });
    expect(res.code, res.stderr.slice(-2000)).to.equal(0);
    const r = res.result as {
      error?: string; inNetns: boolean; iceConnected: boolean; dtls: boolean;
      codecs: Array<{ encoder: string; decoder: string }>; alice440: number; bob1000: number;
    };
    expect(r.error, r.error).to.equal(undefined);
    expect(r.inNetns).to.equal(true);
    expect(r.iceConnected).to.equal(true);
    expect(r.dtls).to.equal(true);
    expect(r.codecs).to.deep.equal([{ encoder: 'opus', decoder: 'opus' }, { encoder: 'opus', decoder: 'opus' }]);
    expect(r.alice440).to.be.above(0.8);
    expect(r.bob1000).to.be.above(0.8);
  });
});

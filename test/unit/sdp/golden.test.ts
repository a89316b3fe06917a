// Golden SDP tests: test/fixtures/sdp/<case>/{case.json,input.sdp,expected.sdp[,offer.sdp,previous.sdp]}.
// UPDATE_GOLDEN=1 rewrites expected.sdp files; review every diff by eye before keeping it.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SdpError } from '../../../src/sdp/index.js';
import { goldenDir, listCases, loadCase, runCase, toLf, type CaseResult } from './golden-cases.js';

const update = process.env.UPDATE_GOLDEN === '1';
const codecText = (c: { name: string; clockRate: number; pt: number } | undefined): string | undefined =>
  c === undefined ? undefined : `${c.name}/${c.clockRate}/${c.pt}`;

describe('sdp golden cases', () => {
  const cases = listCases();

  it('has at least 30 translation cases plus error cases', () => {
    const ok = cases.filter((c) => loadCase(c).spec.expect?.error === undefined);
    expect(ok.length).to.be.at.least(30);
  });

  for (const name of cases) {
    it(name, () => {
      const { spec, dir } = loadCase(name);
      const want = spec.expect ?? {};
      if (want.error !== undefined) {
        let caught: unknown;
        try {
          runCase(name);
        } catch (e) {
          caught = e;
        }
        expect(caught, 'expected a typed SdpError').to.be.instanceOf(SdpError);
        expect((caught as SdpError).code).to.equal(want.error);
        if (want.sipStatus !== undefined) expect((caught as SdpError).sipStatus).to.equal(want.sipStatus);
        expect(fs.existsSync(path.join(dir, 'expected.sdp')), 'error cases have no expected.sdp').to.equal(false);
        return;
      }
      const r: CaseResult = runCase(name);
      expect(r.sdp.endsWith('\r\n')).to.equal(true);
      expect(/[^\r]\n/.test(r.sdp), 'every line ends with CRLF').to.equal(false);
      const expectedFile = path.join(dir, 'expected.sdp');
      if (update) fs.writeFileSync(expectedFile, toLf(r.sdp));
      expect(toLf(r.sdp)).to.equal(fs.readFileSync(expectedFile, 'utf8'));
      if (want.changed !== undefined) expect(r.changed, 'changed').to.equal(want.changed);
      if (want.iceRestart !== undefined) expect(r.iceRestart, 'iceRestart').to.equal(want.iceRestart);
      if (want.remoteHold !== undefined) expect(r.remoteHold, 'remote hold').to.equal(want.remoteHold);
      if (want.legacyHold !== undefined) expect(r.legacyHold, 'legacy hold').to.equal(want.legacyHold);
      const plan = r.answer?.plan;
      if (want.mode !== undefined) expect((plan ?? r.relay?.plan ?? r.sipRelay?.plan)?.mode).to.equal(want.mode);
      if (want.webrtcCodec !== undefined) expect(codecText(plan?.webrtc)).to.equal(want.webrtcCodec);
      if (want.sipCodec !== undefined) expect(codecText(plan?.sip)).to.equal(want.sipCodec);
      if (want.webrtcDtmf !== undefined) expect(codecText(plan?.webrtcDtmf) ?? 'none').to.equal(want.webrtcDtmf);
      if (want.sipDtmf !== undefined) expect(codecText(plan?.sipDtmf) ?? 'none').to.equal(want.sipDtmf);
      if (want.srtp !== undefined) expect(r.answer?.srtp !== undefined, 'srtp').to.equal(want.srtp);
      const relay = r.relay?.plan ?? r.sipRelay?.plan;
      if (want.offererCodec !== undefined) expect(codecText(relay?.offerer)).to.equal(want.offererCodec);
      if (want.answererCodec !== undefined) expect(codecText(relay?.answerer)).to.equal(want.answererCodec);
      if (want.offererDtmf !== undefined) expect(codecText(relay?.offererDtmf) ?? 'none').to.equal(want.offererDtmf);
      if (want.answererDtmf !== undefined) expect(codecText(relay?.answererDtmf) ?? 'none').to.equal(want.answererDtmf);
      if (want.direction !== undefined) expect((r.relay ?? r.sipRelay)?.direction).to.equal(want.direction);
      if (want.srtpOfferer !== undefined) expect(r.sipRelay?.srtpOfferer !== undefined, 'srtp on the offerer leg').to.equal(want.srtpOfferer);
      if (want.srtpAnswerer !== undefined) expect(r.sipRelay?.srtpAnswerer !== undefined, 'srtp on the answerer leg').to.equal(want.srtpAnswerer);
      if (want.offererPtime !== undefined) expect(r.sipRelay?.plan.offererPtime, 'offerer ptime').to.equal(want.offererPtime);
      if (want.answererPtime !== undefined) expect(r.sipRelay?.plan.answererPtime, 'answerer ptime').to.equal(want.answererPtime);
    });
  }

  it('every case folder is complete', () => {
    for (const name of fs.readdirSync(goldenDir)) {
      if (name === 'capture' || name === 'README.md') continue;
      expect(fs.existsSync(path.join(goldenDir, name, 'case.json')), `${name}/case.json`).to.equal(true);
      expect(fs.existsSync(path.join(goldenDir, name, 'input.sdp')), `${name}/input.sdp`).to.equal(true);
    }
  });
});

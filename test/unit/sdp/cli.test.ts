import { PassThrough, Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runSdpCli } from '../../../src/cli/sdp.js';
import { goldenDir } from './golden-cases.js';

async function run(argv: string[], input: string | Buffer): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await runSdpCli(argv, Readable.from([input]), stdout, stderr);
  return { code, out, err };
}

const read = (c: string, f: string): string => fs.readFileSync(path.join(goldenDir, c, f), 'utf8');

describe('tandem sdp (CLI)', () => {
  it('webrtc → sip prints the same SDP as the golden case', async () => {
    const r = await run(['--from', 'webrtc', '--to', 'sip', '--profile', 'sdes'], read('w2s-offer-chromium-sdes', 'input.sdp'));
    expect(r.code).to.equal(0);
    expect(r.err).to.equal('');
    expect(r.out.replace(/\r\n/g, '\n')).to.equal(read('w2s-offer-chromium-sdes', 'expected.sdp'));
  });

  it('sip → webrtc prints the WebRTC offer', async () => {
    const r = await run(['--from', 'sip', '--to', 'webrtc'], read('s2w-offer-asterisk', 'input.sdp'));
    expect(r.code).to.equal(0);
    expect(r.out.replace(/\r\n/g, '\n')).to.equal(read('s2w-offer-asterisk', 'expected.sdp'));
  });

  it('--offer translates an answer', async () => {
    const offer = path.join(goldenDir, 's2w-answer-sipp-pcmu', 'offer.sdp');
    const r = await run(['--from', 'sip', '--to', 'webrtc', '--offer', offer], read('s2w-answer-sipp-pcmu', 'input.sdp'));
    expect(r.code).to.equal(0);
    expect(r.out.replace(/\r\n/g, '\n')).to.equal(read('s2w-answer-sipp-pcmu', 'expected.sdp'));
  });

  it('bad SDP: exit 1 and one clear line on stderr', async () => {
    const r = await run(['--from', 'sip', '--to', 'webrtc'], 'hello world\n');
    expect(r.code).to.equal(1);
    expect(r.out).to.equal('');
    expect(r.err).to.match(/^tandem sdp: ERR_SDP_PARSE \(SIP 400\): .+\n$/);
  });

  it('no common codec: exit 1 with the reason', async () => {
    const r = await run(['--from', 'sip', '--to', 'webrtc'], read('err-s2w-g729-only', 'input.sdp'));
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^tandem sdp: ERR_SDP_NO_COMMON_CODEC \(SIP 488\): no common audio codec.*G729\/8000.*\n$/);
  });

  it('binary and oversized input: exit 1', async () => {
    expect((await run(['--from', 'webrtc', '--to', 'sip'], Buffer.from([0, 1, 2, 255, 254]))).code).to.equal(1);
    const big = await run(['--from', 'webrtc', '--to', 'sip'], 'v=0\r\n' + 'a=x\r\n'.repeat(30000));
    expect(big.code).to.equal(1);
    expect(big.err).to.contain('ERR_SDP_TOO_LARGE');
  });

  for (const [label, argv] of [
    ['no arguments', []],
    ['missing --to', ['--from', 'sip']],
    ['same leg', ['--from', 'sip', '--to', 'sip']],
    ['bad profile', ['--from', 'webrtc', '--to', 'sip', '--profile', 'zrtp']],
    ['unknown option', ['--from', 'webrtc', '--to', 'sip', '--bogus']],
  ] as const) {
    it(`usage error (${label}): exit 2`, async () => {
      const r = await run([...argv], '');
      expect(r.code).to.equal(2);
      expect(r.err).to.contain('usage: tandem sdp');
    });
  }

  it('a missing --offer file: exit 2', async () => {
    const r = await run(['--from', 'sip', '--to', 'webrtc', '--offer', '/nonexistent/x.sdp'], '');
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/cannot read/);
  });

  it('runs as a process through the CLI entry (tandem sdp ...)', async () => {
    const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'cli', 'index.js');
    const script = `import(${JSON.stringify(entry)}).then(async (m) => { process.exitCode = await m.runCli(process.argv.slice(1)); })`;
    const child = spawn(process.execPath, ['-e', script, 'sdp', '--from', 'webrtc', '--to', 'sip'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stdin.end(read('w2s-offer-chromium-avp', 'input.sdp'));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).to.equal(0);
    expect(out.replace(/\r\n/g, '\n')).to.equal(read('w2s-offer-chromium-avp', 'expected.sdp'));
  });
});

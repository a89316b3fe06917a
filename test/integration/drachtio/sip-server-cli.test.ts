import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Srf from 'drachtio-srf';
import { asApp } from './srf-types.js';
import { freePort, runSipp, SDP } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cliModule = path.resolve(here, '..', '..', '..', 'src', 'cli', 'sip-server.js');

describe('tandem sip-server (CLI)', function () {
  this.timeout(30000);

  it('runs SIP + drachtio listeners, serves an srf app to a SIPp call, exits 0 on SIGTERM', async () => {
    const sipPort = await freePort();
    const dPort = await freePort();
    const child = spawn(process.execPath, ['--input-type=module', '-e',
      `const m = await import(${JSON.stringify(cliModule)}); process.exitCode = await m.runSipServerCli(process.argv.slice(1));`, '--',
      '--listen', `udp:127.0.0.1:${sipPort}`, '--drachtio-port', String(dPort), '--secret', 's3cret', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const end = Date.now() + 10000;
    while (!out.includes('drachtio on')) {
      if (Date.now() > end) throw new Error(`CLI did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).to.contain(`udp:127.0.0.1:${sipPort}`);
    const srf = new Srf();
    let answered = 0;
    asApp(srf).invite((req, res) => { void srf.createUAS(req as never, res as never, { localSdp: SDP }).then(() => { answered++; }); });
    await new Promise<void>((resolve, reject) => {
      srf.connect({ host: '127.0.0.1', port: dPort, secret: 's3cret' });
      srf.once('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    });
    await new Promise((r) => setTimeout(r, 200));
    const r = await runSipp(['-sn', 'uac', `127.0.0.1:${sipPort}`, '-p', String(await freePort()), '-mp', String(await freePort()),
      '-m', '1', '-timeout', '15s', '-timeout_error']).done;
    expect(r.code, r.stdout.slice(-1500)).to.equal(0);
    expect(answered).to.equal(1);
    srf.disconnect();
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });

  it('exits 2 with usage on missing options', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e',
      `const m = await import(${JSON.stringify(cliModule)}); process.exitCode = await m.runSipServerCli(process.argv.slice(1));`, '--',
      '--listen', 'udp:127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).to.equal(2);
    expect(err).to.contain('--drachtio-port is required');
  });
});

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../helpers/paths.js';

/** Starts the real entry point (dist/src/main.js) as `npm start` would, on a free port. */
function startGateway(env: Record<string, string>): { child: ChildProcess; lines: string[]; ready: Promise<number> } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'src', 'main.js')], {
    env: { ...process.env, TANDEM_HTTP_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const ready = new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        try {
          const j = JSON.parse(line) as { port?: number; msg?: string };
          if (j.msg?.startsWith('HTTP listening') && j.port) resolve(j.port);
        } catch { /* not JSON */ }
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  return { child, lines, ready };
}

describe('gateway process: npm start entry point', function () {
  this.timeout(15000);

  it('starts on the embedded defaults, logs where it listens, answers /healthz, stops on SIGTERM', async () => {
    const gw = startGateway({});
    const port = await gw.ready;
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { status: string; components: Record<string, { ok: boolean }> };
    expect(body.status).to.equal('ok');
    expect(body.components.gateway.ok).to.equal(true);
    const code = await new Promise<number | null>((resolve) => {
      gw.child.once('exit', (c) => resolve(c));
      gw.child.kill('SIGTERM');
    });
    expect(code).to.equal(0);
    expect(gw.lines.some((l) => l.includes('"msg":"stopped"'))).to.equal(true);
  });

  it('a bad config stops startup with exit code 2 and a message naming the key', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'src', 'main.js')], {
      env: { ...process.env, TANDEM_MEDIA_PORT_MAX: 'lots' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).to.equal(2);
    expect(stderr).to.contain('media.portMax').and.to.contain('whole number');
  });
});

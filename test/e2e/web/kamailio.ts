/**
 * Runs Kamailio (a real SIP registrar/proxy speaking SIP over WebSocket) from
 * test/fixtures/kamailio/kamailio.cfg with digest users, on a free loopback port.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fixturesDir } from '../../helpers/paths.js';
import { freePort, waitForTcpPort } from '../../helpers/ports.js';
import { runManaged, spawnManaged, type ManagedProcess } from '../../helpers/proc.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';

/** A running Kamailio. */
export interface Kamailio {
  port: number;
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  proc: ManagedProcess;
  /** Stops it and removes its run dir. Idempotent. */
  stop(): Promise<void>;
}

/** Starts Kamailio with `users` (name → password); resolves once its TCP/WS port accepts connections. */
export async function startKamailio(users: Record<string, string>): Promise<Kamailio> {
  for (const [u, p] of Object.entries(users)) {
    if (!/^[A-Za-z0-9._-]+$/.test(u) || !/^[A-Za-z0-9._-]+$/.test(p)) throw new Error(`unsafe test user ${u}`);
  }
  const dir = makeTempDir('kamailio');
  const port = await freePort();
  const passwords = Object.entries(users).map(([u, p]) => `        if ($au == "${u}") $var(pw) = "${p}";`).join('\n');
  const cfg = fs.readFileSync(path.join(fixturesDir, 'kamailio', 'kamailio.cfg'), 'utf8')
    .replaceAll('__PORT__', String(port)).replace('__PASSWORDS__', passwords);
  const cfgFile = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(cfgFile, cfg);
  const check = await runManaged('kamailio', ['-c', '-f', cfgFile], { timeoutMs: 10000 });
  if (check.code !== 0) {
    removeTempDir(dir);
    throw new Error(`kamailio -c failed:\n${check.stderr.slice(-2000)}`);
  }
  const proc = spawnManaged('kamailio', ['-f', cfgFile, '-DD', '-E', '-Y', dir, '-P', path.join(dir, 'k.pid'), '-m', '64', '-M', '8'], { timeoutMs: 120000 });
  try {
    await waitForTcpPort(port, { timeoutMs: 8000 });
  } catch (err) {
    await proc.stop();
    removeTempDir(dir);
    throw new Error(`kamailio did not start: ${String(err)}\n${proc.stderr.slice(-2000)}`);
  }
  let stopped = false;
  return {
    port, wsUrl: `ws://127.0.0.1:${port}`, proc,
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc.stop();
      removeTempDir(dir);
    },
  };
}

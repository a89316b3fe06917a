import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wire-fuzz-child.js');

function canUnshare(): boolean {
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

interface Result {
  sent: number;
  heapBefore: number;
  heapAfter: number;
  gc: boolean;
  udpIo: string;
  stats: {
    transports: Record<string, { received: number; malformed: number; oversize: number; connections: number }>;
    transactions: { clients: number; servers: number };
    pending2xx: number;
    dialogs: number;
  };
}

describe('SIP wire fuzz (100,000 messages over UDP, TCP and WS)', function () {
  this.timeout(300000);

  it('the stack survives, counts return to baseline, heap stays flat', () => {
    // Own network namespace when possible: fuzzed Vias can point responses at any port.
    const node = process.execPath;
    const cmd = canUnshare()
      ? spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${node}" --expose-gc "${child}" 100000`], { encoding: 'utf8', timeout: 280000 })
      : spawnSync(node, ['--expose-gc', child, '100000'], { encoding: 'utf8', timeout: 280000 });
    expect(cmd.status, cmd.stderr).to.equal(0);
    const res = JSON.parse(cmd.stdout.trim().split('\n').pop()!) as Result;
    expect(res.sent).to.equal(100000);
    expect(res.gc).to.equal(true);
    expect(res.udpIo, 'UDP on the native pump').to.equal('native');
    const t = res.stats.transports;
    // the stack saw and judged a large share of the traffic on every transport
    expect(t.udp.received).to.be.greaterThan(30000);
    expect(t.tcp.received).to.be.greaterThan(5000);
    expect(t.ws.received).to.be.greaterThan(10000);
    expect(t.udp.malformed + t.tcp.malformed + t.ws.malformed).to.be.greaterThan(5000);
    // back to baseline
    expect(res.stats.transactions).to.deep.equal({ clients: 0, servers: 0 });
    expect(res.stats.pending2xx).to.equal(0);
    expect(t.tcp.connections).to.equal(0);
    expect(t.ws.connections).to.equal(0);
    // heap after GC within 16 MiB of the warmed-up baseline
    expect(res.heapAfter - res.heapBefore).to.be.lessThan(16 * 1024 * 1024);
  });
});

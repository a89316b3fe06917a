import { expect } from 'chai';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inNetns, runCommandInNetns, runInNetns, runMochaInNetns } from '../../helpers/netns.js';
import { liveProcessCount } from '../../helpers/proc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const probe = path.join(here, 'netns-probe.scenario.js');

interface Probe {
  inNetns: boolean;
  interfaces: string[];
  ipv4: string[];
  udpLoopback: boolean;
  udpVeth: boolean | null;
}

describe('harness: netns', function () {
  this.timeout(30000);

  it('the test process itself is not in a helper namespace', () => {
    expect(inNetns()).to.equal(false);
    expect(Object.keys(os.networkInterfaces()).length).to.be.greaterThan(0);
  });

  it('runs a script where only lo exists and UDP on 127.0.0.1 works', async () => {
    const res = await runInNetns(probe, [], { timeoutMs: 20000 });
    expect(res.code, res.stderr).to.equal(0);
    const r = res.result as Probe;
    expect(r.inNetns).to.equal(true);
    expect(r.interfaces).to.deep.equal(['lo']);
    expect(r.ipv4).to.deep.equal(['127.0.0.1']);
    expect(r.udpLoopback).to.equal(true);
    expect(r.udpVeth).to.equal(null);
  });

  it('with veth: 127.0.0.2 exists on v0 and UDP on it works', async () => {
    const res = await runInNetns(probe, [], { veth: true, timeoutMs: 20000 });
    expect(res.code, res.stderr).to.equal(0);
    const r = res.result as Probe;
    expect(r.inNetns).to.equal(true);
    expect(r.interfaces).to.include.members(['lo', 'v0']);
    expect(r.ipv4).to.include('127.0.0.2');
    expect(r.udpVeth).to.equal(true);
  });

  it('runs a whole mocha file inside the namespace', async () => {
    const res = await runMochaInNetns([path.join(here, 'netns-inner.netns.js')], { timeoutMs: 20000 });
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    expect(res.stdout).to.contain('1 passing');
  });

  it('reports exit codes and kills a namespace that overruns its timeout', async () => {
    const failed = await runCommandInNetns(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(failed.code).to.equal(3);
    expect(failed.stdout).to.contain('out');
    expect(failed.stderr).to.contain('err');
    const started = Date.now();
    const hung = await runCommandInNetns(['sleep', '30'], { timeoutMs: 300 });
    expect(hung.timedOut).to.equal(true);
    expect(hung.code).to.not.equal(0);
    expect(Date.now() - started).to.be.below(5000);
    expect(liveProcessCount()).to.equal(0);
  });
});

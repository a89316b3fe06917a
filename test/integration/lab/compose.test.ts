import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../helpers/paths.js';

/**
 * The docker-compose lab (docker-compose.yml, config/lab/, docs/lab.md) checked with
 * Debian's `docker-compose config`, which validates and resolves the file without a
 * Docker engine. The lab itself is not started here (no engine on the test machines).
 */

interface PortEntry { published: number | string; target: number; protocol?: string }
interface Service {
  image?: string;
  build?: { context: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: PortEntry[];
  expose?: string[];
  volumes?: string[];
  networks?: Record<string, { ipv4_address?: string } | null>;
}
interface Resolved { services: Record<string, Service>; networks?: Record<string, unknown> }
interface Run { code: number; stdout: string; stderr: string }

const composeFile = path.join(repoRoot, 'docker-compose.yml');

function composeConfig(extraEnv: Record<string, string> = {}): Promise<Run> {
  // Only the variables the file interpolates are controlled; the rest of the environment is kept
  // so docker-compose (Python) finds its own runtime.
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  if (!('DRACHTIO_SECRET' in extraEnv)) delete env.DRACHTIO_SECRET;
  if (!('LAB_ANNOUNCED_ADDRESS' in extraEnv)) delete env.LAB_ANNOUNCED_ADDRESS;
  return new Promise((resolve) => {
    execFile('docker-compose', ['-f', composeFile, 'config'], { cwd: repoRoot, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr: `${stderr}${err && typeof err.code !== 'number' ? String(err) : ''}` });
    });
  });
}

function published(s: Service, protocol: 'tcp' | 'udp'): number[] {
  return (s.ports ?? []).filter((p) => (p.protocol ?? 'tcp') === protocol).map((p) => Number(p.published));
}

/** "SRC:DST[:mode]" bind mount → [SRC, DST]. */
function mount(s: Service, target: string): string | undefined {
  for (const v of s.volumes ?? []) {
    const [src, dst] = v.split(':');
    if (dst === target) return src;
  }
  return undefined;
}

/** key=value lines of a flat config file (coturn's turnserver.conf). */
function confValue(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && m[1] === key) return m[2];
  }
  return undefined;
}

describe('lab: docker-compose.yml (validated by docker-compose config)', function () {
  this.timeout(60_000);
  let resolved: Resolved;
  let labTandem: { media: { portMin: number; portMax: number; announcedAddress: string }; drachtio: { host: string; port: number; secret: string }; web: { iceServers: Array<{ authSecret: string; urls: string[] }> }; users: Array<{ name: string; password: string }>; http: { port: number } };

  before(async () => {
    const run = await composeConfig();
    expect(run.code, `docker-compose config failed: ${run.stderr}`).to.equal(0);
    resolved = parseYaml(run.stdout) as Resolved;
    labTandem = parseYaml(fs.readFileSync(path.join(repoRoot, 'config', 'lab', 'tandem.yaml'), 'utf8')) as typeof labTandem;
  });

  it('defines exactly the drachtio, tandem, coturn and deskphone services on one bridge network', () => {
    expect(Object.keys(resolved.services).sort()).to.deep.equal(['coturn', 'deskphone', 'drachtio', 'tandem']);
    expect(Object.keys(resolved.networks ?? {})).to.deep.equal(['lab']);
    for (const [name, s] of Object.entries(resolved.services)) expect(Object.keys(s.networks ?? {}), name).to.deep.equal(['lab']);
  });

  it('runs drachtio-server from its public image with SIP and WebSocket published and the admin port kept inside', () => {
    const d = resolved.services.drachtio;
    expect(d.image).to.match(/^drachtio\/drachtio-server:\d+\.\d+\.\d+$/);
    expect(d.command?.[0]).to.equal('drachtio');
    expect(d.command).to.include.members(['--contact', 'sip:*;transport=udp,tcp', 'sip:*:8088;transport=ws']);
    expect(published(d, 'udp')).to.deep.equal([5060]);
    expect(published(d, 'tcp').sort()).to.deep.equal([5060, 8088]);
    expect(d.expose).to.deep.equal(['9022']);
    const conf = mount(d, '/etc/drachtio.conf.xml');
    expect(conf, 'drachtio.conf.xml mount').to.be.a('string');
    expect(fs.readFileSync(conf!, 'utf8')).to.match(/<admin port="9022"[^>]*>0\.0\.0\.0<\/admin>/);
  });

  it('runs Tandem from the Node 24 image on the mounted repository with the lab config in remote mode', () => {
    const t = resolved.services.tandem;
    expect(t.image).to.equal('node:24-bookworm-slim');
    expect(t.build).to.equal(undefined);
    expect(t.command).to.deep.equal(['npm', 'start']);
    expect(mount(t, '/app')).to.equal(repoRoot);
    expect(t.environment?.TANDEM_CONFIG).to.equal('/app/config/lab/tandem.yaml');
    expect(labTandem.drachtio.host).to.equal('drachtio');
    expect(resolved.services.drachtio.expose).to.include(String(labTandem.drachtio.port));
    // the secret both sides use by default is the fake lab value, the same in both places
    expect(t.environment?.TANDEM_DRACHTIO_SECRET).to.equal(labTandem.drachtio.secret);
    expect(resolved.services.drachtio.environment?.DRACHTIO_SECRET).to.equal(labTandem.drachtio.secret);
  });

  it('publishes exactly Tandem\'s HTTP port and its configured media port range', () => {
    const t = resolved.services.tandem;
    expect(published(t, 'tcp')).to.deep.equal([labTandem.http.port]);
    const udp = published(t, 'udp');
    const want: number[] = [];
    for (let p = labTandem.media.portMin; p <= labTandem.media.portMax; p++) want.push(p);
    expect(udp).to.deep.equal(want);
    // the announced media address is Tandem's fixed address on the lab network
    expect(t.networks?.lab?.ipv4_address).to.equal(labTandem.media.announcedAddress);
    expect(t.environment?.TANDEM_MEDIA_ANNOUNCED_ADDRESS).to.equal(labTandem.media.announcedAddress);
  });

  it('passes DRACHTIO_SECRET and LAB_ANNOUNCED_ADDRESS from the environment to both services', async () => {
    const run = await composeConfig({ DRACHTIO_SECRET: 'operator-chosen-secret', LAB_ANNOUNCED_ADDRESS: '192.0.2.44' });
    expect(run.code, run.stderr).to.equal(0);
    const r = parseYaml(run.stdout) as Resolved;
    expect(r.services.drachtio.environment?.DRACHTIO_SECRET).to.equal('operator-chosen-secret');
    expect(r.services.tandem.environment?.TANDEM_DRACHTIO_SECRET).to.equal('operator-chosen-secret');
    expect(r.services.tandem.environment?.TANDEM_MEDIA_ANNOUNCED_ADDRESS).to.equal('192.0.2.44');
  });

  it('runs coturn from its pinned image with the lab turnserver.conf and the secret Tandem hands to browsers', () => {
    const c = resolved.services.coturn;
    expect(c.image).to.match(/^coturn\/coturn:\d+\.\d+\.\d+-r\d+$/);
    expect(c.command).to.deep.equal(['-c', '/etc/coturn/turnserver.conf']);
    expect(published(c, 'udp')).to.deep.equal([3478]);
    expect(published(c, 'tcp')).to.deep.equal([3478]);
    const conf = fs.readFileSync(mount(c, '/etc/coturn/turnserver.conf')!, 'utf8');
    expect(confValue(conf, 'listening-port')).to.equal('3478');
    expect(conf).to.match(/^use-auth-secret$/m);
    expect(confValue(conf, 'static-auth-secret')).to.equal(labTandem.web.iceServers[0].authSecret);
    expect(labTandem.web.iceServers[0].urls.every((u) => u.includes(':3478'))).to.equal(true);
  });

  it('builds the baresip desk phone from Debian and registers it as 1001 with Tandem\'s password through drachtio', () => {
    const p = resolved.services.deskphone;
    const context = p.build?.context;
    expect(context).to.equal(path.join(repoRoot, 'config', 'lab', 'deskphone'));
    const dockerfile = fs.readFileSync(path.join(context!, 'Dockerfile'), 'utf8');
    expect(dockerfile).to.match(/^FROM debian:bookworm-slim$/m);
    expect(dockerfile).to.match(/apt-get install -y --no-install-recommends baresip\b/);
    const cfgDir = mount(p, '/lab/baresip');
    expect(cfgDir).to.equal(path.join(repoRoot, 'config', 'lab', 'baresip'));
    const accounts = fs.readFileSync(path.join(cfgDir!, 'accounts'), 'utf8').split('\n').filter((l) => l.startsWith('<'));
    expect(accounts).to.have.length(1);
    const desk = labTandem.users.find((u) => u.name === '1001');
    expect(accounts[0]).to.contain('<sip:1001@').and.to.contain(`auth_pass=${desk?.password};`);
    expect(accounts[0]).to.contain('outbound="sip:drachtio:5060').and.to.contain('answermode=auto');
    const config = fs.readFileSync(path.join(cfgDir!, 'config'), 'utf8');
    expect(config).to.match(/^audio_source\s+ausine,\d+$/m);
    expect(config).to.match(/^module\s+g711\.so$/m);
  });
});

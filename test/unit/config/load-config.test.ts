import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig, ConfigError, defaultConfigFile } from '../../../src/config/load-config.js';

function tmpFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-cfg-'));
  const f = path.join(dir, 'c.yaml');
  fs.writeFileSync(f, text);
  return f;
}

function expectConfigError(fn: () => unknown, key: string, fragment: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ConfigError').to.be.instanceOf(ConfigError);
  const e = caught as ConfigError;
  expect(e.code).to.equal('ERR_CONFIG');
  expect(e.data.key).to.equal(key);
  expect(e.message).to.contain(key).and.to.contain(fragment);
}

describe('config: load and validate', () => {
  it('the documented file config/tandem.yaml equals the schema defaults', () => {
    const fromFile = loadConfig({ env: {} });
    const fromSchema = loadConfig({ env: {}, useDefaultFile: false });
    expect(fromFile).to.deep.equal(fromSchema);
    // and the file names every key of the schema explicitly (it documents them all)
    const doc = parseYaml(fs.readFileSync(defaultConfigFile, 'utf8')) as Record<string, Record<string, unknown>>;
    for (const [section, fields] of Object.entries(fromSchema)) {
      for (const key of Object.keys(fields as object)) expect(doc[section], section).to.have.property(key);
    }
  });

  it('defaults bind to loopback', () => {
    const c = loadConfig({ env: {} });
    expect(c.http.host).to.equal('127.0.0.1');
    expect(c.media.bindAddress).to.equal('127.0.0.1');
    for (const l of c.sip.listen) expect(l).to.match(/:127\.0\.0\.1:/);
  });

  it('an operator file overrides only the keys it names', () => {
    const c = loadConfig({ env: {}, file: tmpFile('http:\n  port: 9999\nmedia:\n  workers: 3\n') });
    expect(c.http.port).to.equal(9999);
    expect(c.media.workers).to.equal(3);
    expect(c.http.host).to.equal('127.0.0.1');
  });

  it('environment variables override file values, with types coerced', () => {
    const c = loadConfig({
      env: { TANDEM_HTTP_PORT: '8181', TANDEM_MEDIA_PORT_MIN: '30000', TANDEM_LOG_PRETTY: 'true', TANDEM_SIP_LISTEN: 'udp:0.0.0.0:5080, ws:0.0.0.0:8089' },
      file: tmpFile('http:\n  port: 9999\n'),
    });
    expect(c.http.port).to.equal(8181);
    expect(c.media.portMin).to.equal(30000);
    expect(c.log.pretty).to.equal(true);
    expect(c.sip.listen).to.deep.equal(['udp:0.0.0.0:5080', 'ws:0.0.0.0:8089']);
  });

  it('TANDEM_CONFIG names the operator file', () => {
    const c = loadConfig({ env: { TANDEM_CONFIG: tmpFile('log:\n  level: debug\n') } });
    expect(c.log.level).to.equal('debug');
  });

  it('the result is frozen', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c)).to.equal(true);
    expect(Object.isFrozen(c.media)).to.equal(true);
  });

  describe('a bad config names the key and what is wrong', () => {
    it('unknown key', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('media:\n  portz: 1\n') }), 'media.portz', 'unknown key'));
    it('unknown section', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('medya: {}\n') }), 'medya', 'unknown key'));
    it('wrong type', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('http:\n  port: "eighty"\n') }), 'http.port', 'whole number'));
    it('out of range', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('http:\n  port: 70000\n') }), 'http.port', 'between 0 and 65535'));
    it('bad enum', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('log:\n  level: loud\n') }), 'log.level', 'one of'));
    it('bad listen spec', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('sip:\n  listen: ["sctp:1.2.3.4:5060"]\n') }), 'sip.listen', 'item 0'));
    it('empty listen list', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('sip:\n  listen: []\n') }), 'sip.listen', 'at least 1'));
    it('section not a mapping', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('media: 5\n') }), 'media', 'section'));
    it('invalid YAML', () => expectConfigError(() => loadConfig({ env: {}, file: tmpFile('http: [\n') }), '(file)', 'YAML'));
    it('missing file', () => expectConfigError(() => loadConfig({ env: {}, file: '/nonexistent/tandem.yaml' }), '(file)', 'cannot read'));
    it('bad env value', () => expectConfigError(() => loadConfig({ env: { TANDEM_MEDIA_WORKERS: 'many' } }), 'media.workers', 'whole number'));
    it('unknown env variable', () => expectConfigError(() => loadConfig({ env: { TANDEM_MEDIA_TURBO: '1' } }), 'TANDEM_MEDIA_TURBO', 'unknown'));
    it('port range inverted', () => expectConfigError(() => loadConfig({ env: { TANDEM_MEDIA_PORT_MIN: '50000', TANDEM_MEDIA_PORT_MAX: '40000' } }), 'media.portMin', 'below'));
    it('remote drachtio without secret', () => expectConfigError(() => loadConfig({ env: { TANDEM_DRACHTIO_MODE: 'remote' } }), 'drachtio.secret', 'required'));
    it('tls listener without certificate', () => expectConfigError(() => loadConfig({ env: { TANDEM_SIP_LISTEN: 'tls:127.0.0.1:5061' } }), 'sip.tlsCert', 'required'));
    it('tls certificate file missing', () => expectConfigError(() => loadConfig({ env: { TANDEM_SIP_LISTEN: 'wss:127.0.0.1:8443', TANDEM_SIP_TLS_CERT: '/no/cert.pem', TANDEM_SIP_TLS_KEY: '/no/key.pem' } }), 'sip.tlsCert', 'not found'));
  });
});

describe('config: docs/configuration.md', () => {
  it('contains the reference generated from the schema (regenerate with `npx tandem config --docs`)', async () => {
    const { configReference } = await import('../../../src/config/load-config.js');
    const { repoRoot } = await import('../../helpers/paths.js');
    const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'configuration.md'), 'utf8');
    expect(doc).to.contain(configReference());
  });
});

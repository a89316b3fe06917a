import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, configReference, loadConfig } from '../../../src/config/load-config.js';

function tmpFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-cfg-'));
  const f = path.join(dir, 'c.yaml');
  fs.writeFileSync(f, text);
  return f;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const load = (yaml: string): ReturnType<typeof loadConfig> => loadConfig({ env: {}, file: tmpFile(yaml) });

const FULL = `
auth:
  realm: example.org
  tokenSecret: a-long-enough-secret-value
users:
  - name: alice
    password: wonderland
  - name: "1001"
    ha1: 0123456789abcdef0123456789abcdef
    profile: secure
    contact: sip:1001@192.0.2.10:5060
profiles:
  - name: secure
    media: sdes
    codecs: { allow: [PCMA, PCMU], prefer: [PCMA] }
trunks:
  - name: pstn
    addresses: [203.0.113.1:5060, "[2001:db8::1]:5060", sip.carrier.example]
    register: { user: acct, password: s3cret }
    callerId: { assert: true, defaultNumber: "+442071234500" }
dialplan:
  countryCode: "44"
  nationalPrefix: "0"
  rules:
    - name: out
      match: '\\+[1-9][0-9]+'
      to: trunk:pstn
    - name: did
      from: [trunk]
      match: '\\+442071234567'
      to: user:alice
`;

describe('config: app sections (users, profiles, trunks, dialplan, auth)', () => {
  it('defaults: no users, trunks or profiles, one local-users rule, MD5 digest, tokens off', () => {
    const c = loadConfig({ env: {} });
    expect(c.users).to.deep.equal([]);
    expect(c.trunks).to.deep.equal([]);
    expect(c.profiles).to.deep.equal([]);
    expect(c.dialplan.rules).to.have.length(1);
    expect(c.dialplan.rules[0].to).to.equal('user:$user');
    expect(c.auth).to.deep.equal({ realm: 'tandem.local', digestAlgorithm: 'MD5', nonceTtlSeconds: 300, tokenSecret: '' });
  });

  it('fills optional record fields with their defaults and nested objects', () => {
    const c = load(FULL);
    expect(c.users[0]).to.deep.equal({ name: 'alice', password: 'wonderland', ha1: '', profile: '', contact: '' });
    expect(c.users[1].contact).to.equal('sip:1001@192.0.2.10:5060');
    expect(c.profiles[0]).to.deep.equal({ name: 'secure', media: 'sdes', codecs: { allow: ['PCMA', 'PCMU'], prefer: ['PCMA'] }, transcoding: 'prefer-passthrough', dtmf: 'rfc4733', ptime: 20, ice: 'full' });
    expect(c.trunks[0]).to.deep.include({ transport: 'udp', profile: 'trunk', optionsPingSeconds: 0 });
    expect(c.trunks[0].register).to.deep.equal({ user: 'acct', password: 's3cret', expires: 3600 });
    expect(c.trunks[0].callerId).to.deep.equal({ assert: true, trust: false, defaultNumber: '+442071234500' });
    expect(c.dialplan.rules.map((r) => [r.name, r.from, r.strip])).to.deep.equal([['out', ['user'], 0], ['did', ['trunk'], 0]]);
    expect(Object.isFrozen(c.users[0])).to.equal(true);
  });

  it('groups: defaults (parallel, 20 s per member, 60 s overall) and a group: rule naming a configured group', () => {
    const c = load('users:\n  - name: a\n    password: x\n  - name: b\n    password: y\ngroups:\n  - name: sales\n    members: [b, a]\n'
      + 'dialplan:\n  rules:\n    - name: did\n      from: [trunk]\n      match: "100"\n      to: group:sales\n');
    expect(c.groups).to.deep.equal([{ name: 'sales', members: ['b', 'a'], ring: 'parallel', memberTimeoutSeconds: 20, timeoutSeconds: 60 }]);
    expect(loadConfig({ env: {} }).groups).to.deep.equal([]);
  });

  it('a trunk without register gets null', () => {
    expect(load('trunks:\n  - name: t\n    addresses: [192.0.2.1]\n').trunks[0].register).to.equal(null);
  });

  const cases: Array<[string, string, string]> = [
    ['users:\n  - name: a\n    password: x\n  - name: b\n  - name: c\n    password: y\n', 'users[1].password', 'exactly one of password or ha1'],
    ['users:\n  - name: a\n    password: x\n    ha1: 0123456789abcdef0123456789abcdef\n', 'users[0].password', 'exactly one'],
    ['users:\n  - password: x\n', 'users[0].name', 'required'],
    ['users:\n  - name: "bad name"\n    password: x\n', 'users[0].name', 'letters'],
    ['users:\n  - name: a\n    password: x\n    pasword: y\n', 'users[0].pasword', 'unknown key'],
    ['users:\n  - name: a\n    password: x\n  - name: a\n    password: y\n', 'users[1].name', 'duplicates users[0]'],
    ['users:\n  - name: a\n    password: x\n    profile: nope\n', 'users[0].profile', 'unknown profile'],
    ['users:\n  - name: a\n    ha1: abc\n', 'users[0].ha1', 'hex'],
    ['auth:\n  digestAlgorithm: SHA-256\nusers:\n  - name: a\n    ha1: 0123456789abcdef0123456789abcdef\n', 'users[0].ha1', 'SHA-256'],
    ['users:\n  - name: a\n    password: x\n    contact: "http://x"\n', 'users[0].contact', 'sip:'],
    ['users: {name: a}\n', 'users', 'list of mappings'],
    ['users:\n  - 5\n', 'users[0]', 'mapping'],
    ['profiles:\n  - name: p\n    media: rtp\n', 'profiles[0].media', 'one of'],
    ['profiles:\n  - name: p\n    codecs: { allow: [PCMU], prefer: [opus] }\n', 'profiles[0].codecs.prefer', 'not in codecs.allow'],
    ['profiles:\n  - name: p\n    codecs: { allow: [] }\n', 'profiles[0].codecs.allow', 'at least 1'],
    ['profiles:\n  - name: p\n    ptime: 5\n', 'profiles[0].ptime', 'between'],
    ['trunks:\n  - name: t\n', 'trunks[0].addresses', 'required'],
    ['trunks:\n  - name: t\n    addresses: []\n', 'trunks[0].addresses', 'at least 1'],
    ['trunks:\n  - name: t\n    addresses: ["bad host!"]\n', 'trunks[0].addresses', 'item 0'],
    ['trunks:\n  - name: t\n    addresses: [h]\n    register: { user: u }\n', 'trunks[0].register.password', 'required'],
    ['trunks:\n  - name: t\n    addresses: [h]\n    callerId: { assert: yes-please }\n', 'trunks[0].callerId.assert', 'true or false'],
    ['dialplan:\n  rules:\n    - name: r\n      match: "("\n      to: user:x\n', 'dialplan.rules[0].match', 'regular expression'],
    ['dialplan:\n  rules:\n    - name: r\n      match: "1"\n      to: trunk:missing\n', 'dialplan.rules[0].to', 'unknown trunk'],
    ['dialplan:\n  rules:\n    - name: r\n      match: "1"\n      to: phone:x\n', 'dialplan.rules[0].to', 'user:NAME'],
    ['dialplan:\n  rules:\n    - name: r\n      match: "1"\n      from: [anyone]\n      to: user:$user\n', 'dialplan.rules[0].from', 'user or trunk'],
    ['dialplan:\n  rules:\n    - name: r\n      match: "1"\n      to: group:missing\n', 'dialplan.rules[0].to', 'unknown group'],
    ['users:\n  - name: a\n    password: x\ngroups:\n  - name: g\n    members: [a, b]\n', 'groups[0].members', 'unknown user "b"'],
    ['groups:\n  - name: g\n    members: []\n', 'groups[0].members', 'at least 1'],
    ['users:\n  - name: a\n    password: x\ngroups:\n  - name: g\n    members: [a]\n    ring: random\n', 'groups[0].ring', 'one of'],
    ['users:\n  - name: a\n    password: x\ngroups:\n  - name: g\n    members: [a]\n    memberTimeoutSeconds: 0\n', 'groups[0].memberTimeoutSeconds', 'between'],
    ['auth:\n  tokenSecret: short\n', 'auth.tokenSecret', 'at least 16'],
    ['registrar:\n  minExpires: 600\n  maxExpires: 60\n', 'registrar.minExpires', 'maxExpires'],
  ];
  for (const [yaml, key, fragment] of cases) {
    it(`rejects ${key}: ${fragment}`, () => {
      const e = errorOf(() => load(yaml));
      expect(e.data.key).to.equal(key);
      expect(e.message).to.contain(fragment);
    });
  }

  it('records cannot come from the environment', () => {
    expect(errorOf(() => loadConfig({ env: { TANDEM_USERS: 'alice' } })).message).to.contain('config file');
    expect(errorOf(() => loadConfig({ env: { TANDEM_DIALPLAN_RULES: 'x' } })).message).to.contain('config file');
    expect(loadConfig({ env: { TANDEM_AUTH_REALM: 'env.example', TANDEM_DIALPLAN_COUNTRY_CODE: '1' } }).auth.realm).to.equal('env.example');
  });

  it('error messages never carry the secret values', () => {
    const e = errorOf(() => load('users:\n  - name: a\n    password: hunter2-secret\n    profile: nope\n'));
    expect(e.message).to.not.contain('hunter2');
    const short = errorOf(() => load('auth:\n  tokenSecret: tooshort\n'));
    expect(short.message).to.contain('auth.tokenSecret').and.not.contain('tooshort');
    const ha1 = errorOf(() => load('users:\n  - name: a\n    ha1: NOTHEX\n'));
    expect(ha1.message).to.contain('users[0].ha1').and.not.contain('NOTHEX');
  });

  it('the reference documents record fields', () => {
    const ref = configReference();
    expect(ref).to.contain('## `users`').and.contain('| `password` | string | `""` |').and.contain('Fields of each `trunks[].register` entry');
  });
});

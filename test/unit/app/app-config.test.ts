import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TandemApp, toDialRule } from '../../../src/app/app.js';
import { loadConfig } from '../../../src/config/load-config.js';

describe('app: built from the loaded configuration', () => {
  it('turns config/tandem.yaml plus an operator file into a working app', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-app-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, [
      'auth: { realm: example.org }',
      'users:', '  - { name: alice, password: pw }', '  - { name: desk, password: pw2, contact: "sip:desk@192.0.2.9" }',
      'trunks:', '  - { name: pstn, addresses: [203.0.113.1] }',
      'dialplan:', '  countryCode: "1"', '  internationalPrefix: "011"', '  rules:',
      '    - { name: users, match: "[a-z]+", to: "user:$user" }',
      '    - { name: out, match: "\\\\+1[0-9]{10}", to: "trunk:pstn" }',
      '    - { name: in, from: [trunk], match: "\\\\+15550001", to: "endpoint:desk" }',
      '',
    ].join('\n'));
    const app = new TandemApp(loadConfig({ env: {}, file }));
    expect(app.users.aor('alice')).to.equal('sip:alice@example.org');
    expect(app.dialPlan.route('desk', 'user')).to.deep.equal({ ok: true, rule: 'users', target: { kind: 'user', user: 'desk' } });
    expect(app.dialPlan.route('+12125550000', 'user')).to.deep.include({ ok: true, rule: 'out' });
    expect(app.dialPlan.route('+15550001', 'trunk')).to.deep.equal({ ok: true, rule: 'in', target: { kind: 'endpoint', name: 'desk' } });
    expect(app.trunks.fromSource('203.0.113.1')?.name).to.equal('pstn');
    expect(app.digest.challenges()[0]).to.contain('realm="example.org"').and.contain('algorithm=MD5');
    await app.close();
  });

  it('toDialRule maps each target kind', () => {
    const base = { name: 'r', from: ['user' as const], match: 'x', strip: 1, prepend: '+1' };
    expect(toDialRule({ ...base, to: 'user:$user' }).to).to.deep.equal({ user: '$user' });
    expect(toDialRule({ ...base, to: 'endpoint:lobby' }).to).to.deep.equal({ endpoint: 'lobby' });
    expect(toDialRule({ ...base, to: 'trunk:pstn' })).to.deep.include({ strip: 1, prepend: '+1', to: { trunk: 'pstn' } });
    expect(toDialRule({ ...base, prepend: '', to: 'group:sales' })).to.not.have.property('prepend');
  });
});

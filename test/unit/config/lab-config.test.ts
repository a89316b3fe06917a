import { expect } from 'chai';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../../src/config/load-config.js';
import { repoRoot } from '../../helpers/paths.js';

const labFile = path.join(repoRoot, 'config', 'lab', 'tandem.yaml');

describe('config: the docker-compose lab file (config/lab/tandem.yaml)', () => {
  it('loads over config/tandem.yaml and connects to the drachtio-server service in remote mode', () => {
    const c = loadConfig({ file: labFile, env: {} });
    expect(c.drachtio.mode).to.equal('remote');
    expect(c.drachtio.host).to.equal('drachtio');
    expect(c.drachtio.port).to.equal(9022);
    expect(c.drachtio.secret).to.equal('lab-drachtio-secret-change-me');
    expect(c.http.host).to.equal('0.0.0.0');
    expect(c.http.port).to.equal(8080);
  });

  it('has the lab users, the desk phone on the deskphone profile, and routes its extension', () => {
    const c = loadConfig({ file: labFile, env: {} });
    expect(c.users.map((u) => u.name)).to.deep.equal(['alice', 'bob', '1001']);
    expect(c.users.find((u) => u.name === '1001')?.profile).to.equal('deskphone');
    const routesTo = (dialed: string): string | undefined =>
      c.dialplan.rules.find((r) => r.from.includes('user') && new RegExp(`^(?:${r.match})$`).test(dialed))?.to;
    expect(routesTo('1001')).to.equal('user:$user');
    expect(routesTo('alice')).to.equal('user:$user');
    expect(routesTo('+442071234567')).to.equal(undefined);
  });

  it('uses the media port range docker-compose publishes and a TURN server with a shared secret', () => {
    const c = loadConfig({ file: labFile, env: {} });
    expect([c.media.portMin, c.media.portMax]).to.deep.equal([40000, 40099]);
    expect(c.media.bindAddress).to.equal('0.0.0.0');
    expect(c.media.announcedAddress).to.equal('172.28.0.10');
    expect(c.web.iceServers).to.have.length(1);
    expect(c.web.iceServers[0].urls[0]).to.match(/^turn:[^:]+:3478\?transport=udp$/);
    expect(c.web.iceServers[0].authSecret).to.equal('lab-turn-secret-change-me');
    expect(c.sip.listen).to.deep.equal(['ws:0.0.0.0:8088']);
  });

  it('takes the secrets and the announced address from the environment docker-compose sets', () => {
    const c = loadConfig({
      file: labFile,
      env: { TANDEM_DRACHTIO_SECRET: 'from-the-environment', TANDEM_MEDIA_ANNOUNCED_ADDRESS: '192.0.2.7' },
    });
    expect(c.drachtio.secret).to.equal('from-the-environment');
    expect(c.media.announcedAddress).to.equal('192.0.2.7');
  });

  it('refuses remote mode when the secret is emptied', () => {
    expect(() => loadConfig({ file: labFile, env: { TANDEM_DRACHTIO_SECRET: '' } }))
      .to.throw(ConfigError, 'drachtio.secret');
  });
});

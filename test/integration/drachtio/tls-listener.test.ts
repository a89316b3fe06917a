import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Srf from 'drachtio-srf';
import { DrachtioServer } from '../../../src/drachtio/drachtio-server.js';
import { tmpRoot } from '../../helpers/paths.js';
import { FakeSipCore } from './fake-sip-core.js';

describe('drachtio listener over TLS', () => {
  it('drachtio-srf connects with tls options and authenticates', async function () {
    this.timeout(20000);
    const dir = path.join(tmpRoot, 'drachtio-tls');
    mkdirSync(dir, { recursive: true });
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const server = new DrachtioServer({
      port: 0, secret: 'tls-secret', sipStack: new FakeSipCore(), tls: { key: readFileSync(key), cert: readFileSync(cert) },
    });
    await server.start();
    const srf = new Srf();
    try {
      const hostport = await new Promise<unknown>((resolve, reject) => {
        srf.connect({ host: '127.0.0.1', port: server.address().port, secret: 'tls-secret', tls: { rejectUnauthorized: false } } as Srf.SrfConfig);
        srf.once('connect', (err: Error | null, hp: unknown) => (err ? reject(err) : resolve(hp)));
      });
      expect(hostport).to.equal('udp/127.0.0.1:5060');
      expect(server.clientCount).to.equal(1);
    } finally {
      srf.disconnect();
      await server.close();
    }
  });
});

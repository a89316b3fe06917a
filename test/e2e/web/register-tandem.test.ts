// The demo page against Tandem's own SIP side: the embedded SIP stack (WS listener), the
// embedded drachtio server, an unmodified drachtio-srf and Tandem's registrar app.
// Chromium REGISTERs with digest over WebSocket; the binding appears in the registrar.
import { expect } from 'chai';
import Srf from 'drachtio-srf';
import { TandemApp } from '../../../src/app/app.js';
import { TransportFlowMonitor } from '../../../src/app/signaling/transport-flow-monitor.js';
import type { AppSrf } from '../../../src/app/signaling/srf-types.js';
import { DrachtioServer, SipStackCore } from '../../../src/drachtio/index.js';
import { devCert, startWebServer } from '../../integration/web/web-harness.js';
import { freePort } from '../../helpers/ports.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { launchBrowser, waitForText, type TestBrowser } from './browser.js';

const SECRET = 'web-e2e-secret';
const REALM = 'tandem.test';

describe('e2e web: the page registers to Tandem (embedded SIP server + drachtio-srf registrar)', function () {
  this.timeout(30000);
  let core: SipStackCore;
  let server: DrachtioServer;
  let srf: Srf;
  let app: TandemApp;
  let web: Awaited<ReturnType<typeof startWebServer>>;
  let browser: TestBrowser;
  let dir: string;

  before(async function () {
    this.timeout(60000);
    dir = makeTempDir('web-tandem');
    const [sipPort, wsPort, wssPort] = [await freePort(), await freePort(), await freePort()];
    const listen = [`udp:127.0.0.1:${sipPort}`, `ws:127.0.0.1:${wsPort}`, `wss:127.0.0.1:${wssPort}`];
    core = SipStackCore.create({ listen, tls: { cert: devCert().cert, key: devCert().key } });
    await core.start();
    server = new DrachtioServer({ port: 0, secret: SECRET, sipStack: core });
    await server.start();
    app = new TandemApp({
      auth: { realm: REALM, digestAlgorithm: 'MD5', nonceTtlSeconds: 300, tokenSecret: '' },
      registrar: { minExpires: 60, maxExpires: 3600, defaultExpires: 600 },
      users: [{ name: 'alice', password: 'wonderland', ha1: '', profile: '', contact: '' }],
      profiles: [], trunks: [],
      dialplan: { countryCode: '', nationalPrefix: '', internationalPrefix: '', rules: [{ name: 'local users', from: ['user'], match: '[a-z]+', strip: 0, prepend: '', to: 'user:$user' }] },
    }, { flows: new TransportFlowMonitor(core.stack.transport) });
    srf = new Srf();
    app.attach(srf as unknown as AppSrf);
    await new Promise<void>((resolve, reject) => {
      srf.connect({ host: '127.0.0.1', port: server.address().port, secret: SECRET });
      srf.once('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    });
    // the page learns the WS URL from /config.json, derived from sip.listen as the gateway does
    web = await startWebServer({ client: { sipListen: listen, realm: REALM } });
    browser = await launchBrowser(dir, { toneHz: 1000, name: 'tandem' });
  });
  after(async () => {
    await browser?.close();
    await web?.server.close();
    srf?.disconnect();
    await app?.close();
    await server?.close();
    await core?.close();
    if (dir) removeTempDir(dir);
  });

  it('digest REGISTER over WebSocket succeeds, the binding is a ws flow, a wrong password fails', async () => {
    const page = browser.page;
    await page.goto(`${web.http}/`);
    await page.evaluate(() => (globalThis as unknown as { tandemPhone: { ready: Promise<void> } }).tandemPhone.ready);
    expect(await page.inputValue('#domain')).to.equal(REALM);
    await page.fill('#user', 'alice');
    await page.fill('#password', 'wonderland');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await waitForText(page, '#reg-text', (t) => t.startsWith('Registered'));
    const bindings = await app.store.lookup(`sip:alice@${REALM}`);
    expect(bindings).to.have.length(1);
    expect(bindings[0].contact).to.match(/;transport=ws\b/);
    expect(bindings[0].source?.transport.toLowerCase()).to.equal('ws');
    expect(bindings[0].flowId, 'a WebSocket flow').to.be.a('string');

    await page.evaluate(() => (globalThis as unknown as { tandemPhone: { unregister(): Promise<void> } }).tandemPhone.unregister());
    expect(await app.store.lookup(`sip:alice@${REALM}`)).to.have.length(0);

    const err = await page.evaluate(async () => {
      try {
        await (globalThis as unknown as { tandemPhone: { register(o: object): Promise<void> } }).tandemPhone.register({ user: 'alice', password: 'wrong' });
        return null;
      } catch (e) {
        return String(e);
      }
    });
    expect(err).to.match(/Authentication Error|Rejected|403|401/);
    expect(await app.store.lookup(`sip:alice@${REALM}`)).to.have.length(0);
    expect(browser.errors).to.deep.equal([]);
  });

  it('over HTTPS the page picks the wss: listener, and REGISTER over secure WebSocket succeeds', async () => {
    const page = browser.page;
    await page.goto(`${web.https}/`);
    await page.evaluate(() => (globalThis as unknown as { tandemPhone: { ready: Promise<void> } }).tandemPhone.ready);
    const wsUrl = await page.inputValue('#ws-url');
    expect(wsUrl).to.match(/^wss:\/\/127\.0\.0\.1:\d+$/);
    await page.fill('#user', 'alice');
    await page.fill('#password', 'wonderland');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await waitForText(page, '#reg-text', (t) => t.startsWith('Registered'));
    const bindings = await app.store.lookup(`sip:alice@${REALM}`);
    expect(bindings).to.have.length(1);
    expect(bindings[0].source?.transport.toLowerCase()).to.equal('wss');
    await page.evaluate(() => (globalThis as unknown as { tandemPhone: { unregister(): Promise<void> } }).tandemPhone.unregister());
  });
});

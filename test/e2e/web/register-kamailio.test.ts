// The demo page's SIP side against a real registrar: Chromium loads the page from
// Tandem's HttpServer (HTTP and HTTPS) and REGISTERs with digest over WebSocket to Kamailio.
import { expect } from 'chai';
import { startWebServer } from '../../integration/web/web-harness.js';
import { startKamailio, type Kamailio } from './kamailio.js';
import { launchBrowser, waitForText, TEST_HOSTNAME, type TestBrowser } from './browser.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';

describe('e2e web: the page registers to Kamailio with digest over WebSocket', function () {
  this.timeout(30000);
  let kam: Kamailio;
  let web: Awaited<ReturnType<typeof startWebServer>>;
  let browser: TestBrowser;
  let dir: string;

  before(async function () {
    this.timeout(60000);
    dir = makeTempDir('web-reg');
    kam = await startKamailio({ alice: 'alice-secret', bob: 'bob-secret' });
    web = await startWebServer({ client: { publicWsUrls: [kam.wsUrl], realm: 'tandem.test' } });
    browser = await launchBrowser(dir, { toneHz: 1000, name: 'reg' });
  });
  after(async () => {
    await browser?.close();
    await web?.server.close();
    await kam?.stop();
    if (dir) removeTempDir(dir);
  });

  it('over HTTP, through the form: Register shows "Registered", Unregister un-registers', async () => {
    const page = browser.page;
    await page.goto(`${web.http}/`);
    await page.waitForFunction(() => (globalThis as unknown as { tandemPhone?: { config: unknown } }).tandemPhone?.config != null);
    // /config.json filled the server URL and the domain
    expect(await page.inputValue('#ws-url')).to.equal(kam.wsUrl);
    expect(await page.inputValue('#domain')).to.equal('tandem.test');
    await page.fill('#user', 'alice');
    await page.fill('#password', 'alice-secret');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await waitForText(page, '#reg-text', (t) => t.startsWith('Registered'));
    expect(await page.textContent('#reg-text')).to.equal('Registered as sip:alice@tandem.test');
    expect(await page.isEnabled('#call')).to.equal(true);
    // the registrar really holds the binding: Kamailio logged an authenticated REGISTER over WS
    expect(kam.proc.stderr).to.match(/REQ REGISTER sip:tandem\.test .*proto=ws/);
    await page.getByRole('button', { name: 'Unregister' }).click();
    await waitForText(page, '#reg-text', (t) => t === 'Not registered');
    expect(browser.errors).to.deep.equal([]);
  });

  it('a wrong password is refused and shown as a failure', async () => {
    const page = browser.page;
    await page.goto(`${web.http}/`);
    await page.waitForFunction(() => (globalThis as unknown as { tandemPhone?: { config: unknown } }).tandemPhone?.config != null);
    const err = await page.evaluate(async (ws) => {
      const p = (globalThis as unknown as { tandemPhone: { register(o: object): Promise<void> } }).tandemPhone;
      try {
        await p.register({ wsUrl: ws, user: 'bob', password: 'wrong', domain: 'tandem.test' });
        return null;
      } catch (e) {
        return String(e);
      }
    }, kam.wsUrl);
    expect(err).to.match(/Authentication Error|401/);
    expect(await page.textContent('#reg-text')).to.match(/^Registration failed/);
    const st = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { state: { registration: string } } }).tandemPhone.state);
    expect(st.registration).to.equal('failed');
  });

  it('over HTTPS (self-signed certificate): a secure context, and REGISTER succeeds via the test API', async () => {
    const page = browser.page;
    await page.goto(`${web.https}/`);
    await page.waitForFunction(() => (globalThis as unknown as { tandemPhone?: { config: unknown } }).tandemPhone?.config != null);
    expect(await page.evaluate('window.isSecureContext')).to.equal(true);
    await page.evaluate(async (ws) => {
      const p = (globalThis as unknown as { tandemPhone: { register(o: object): Promise<void> } }).tandemPhone;
      await p.register({ wsUrl: ws, user: 'bob', password: 'bob-secret', domain: 'tandem.test' });
    }, kam.wsUrl);
    const st = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { state: { registration: string; aor: string } } }).tandemPhone.state);
    expect(st).to.include({ registration: 'registered', aor: 'sip:bob@tandem.test' });
    await page.evaluate(() => (globalThis as unknown as { tandemPhone: { unregister(): Promise<void> } }).tandemPhone.unregister());
  });

  it('from a non-localhost name the microphone needs HTTPS: over HTTP the page warns and has no getUserMedia', async () => {
    const page = browser.page;
    const httpUrl = web.http.replace('127.0.0.1', TEST_HOSTNAME);
    const httpsUrl = web.https!.replace('127.0.0.1', TEST_HOSTNAME);
    await page.goto(`${httpUrl}/`);
    await page.evaluate(() => (globalThis as unknown as { tandemPhone: { ready: Promise<void> } }).tandemPhone.ready);
    expect(await page.evaluate('location.href + " " + window.isSecureContext')).to.equal(`${httpUrl}/ false`);
    expect(await page.isVisible('#warnings')).to.equal(true);
    expect(await page.textContent('#warnings')).to.contain('secure context');
    expect(await page.evaluate('typeof navigator.mediaDevices?.getUserMedia')).to.equal('undefined');

    await page.goto(`${httpsUrl}/`);
    await page.evaluate(() => (globalThis as unknown as { tandemPhone: { ready: Promise<void> } }).tandemPhone.ready);
    expect(await page.evaluate('window.isSecureContext')).to.equal(true);
    // no secure-context warning; only the one about ws: from an HTTPS page (publicWsUrls is ws:// here)
    expect(await page.textContent('#warnings')).to.not.contain('secure context');
    expect(await page.textContent('#warnings')).to.contain('no wss: URL');
    // (a string: the test project has no DOM typings)
    const label = await page.evaluate(`navigator.mediaDevices.getUserMedia({ audio: true }).then((s) => {
      const l = s.getAudioTracks()[0].label; s.getTracks().forEach((t) => t.stop()); return l; })`);
    expect(label).to.contain('Fake');
  });
});

/**
 * Chromium (playwright-core, /usr/bin/chromium) for the demo page tests, with the
 * flags from the team peer recipes: README.md: fake microphone playing a tone file,
 * loopback ICE candidates, self-signed certificates accepted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { writeToneWav } from '../../helpers/tone.js';

/** A host name the test browsers resolve to 127.0.0.1 (not a "potentially trustworthy" origin like localhost). */
export const TEST_HOSTNAME = 'phone.tandem.test';

/** A launched browser with one page. */
export interface TestBrowser {
  ctx: BrowserContext;
  page: Page;
  /** Console errors and page errors seen (for failure messages). */
  errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium whose fake microphone plays `toneHz` (48 kHz WAV written to `dir`). */
export async function launchBrowser(dir: string, opts: { toneHz: number; name: string }): Promise<TestBrowser> {
  const wav = writeToneWav(path.join(dir, `${opts.name}-${opts.toneHz}.wav`), { rate: 48000, freq: opts.toneHz, durationMs: 30000, amplitude: 0.4 });
  const udd = path.join(dir, `udd-${opts.name}`);
  fs.mkdirSync(udd, { recursive: true });
  const ctx = await chromium.launchPersistentContext(udd, {
    executablePath: '/usr/bin/chromium', headless: true, ignoreHTTPSErrors: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns', '--ignore-certificate-errors',
      // a non-localhost name for the page, to check what HTTPS changes (secure context, microphone)
      `--host-resolver-rules=MAP ${TEST_HOSTNAME} 127.0.0.1`],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${opts.name} pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${opts.name} console: ${m.text()}`); });
  let closed = false;
  return {
    ctx, page, errors,
    async close() {
      if (closed) return;
      closed = true;
      await ctx.close();
    },
  };
}

/** The part of the page's `window.tandemPhone` API the tests use (src/web/client/main.ts). */
export interface PhoneApi {
  ready: Promise<void> | null;
  register(opts?: Record<string, unknown>): Promise<void>;
  unregister(): Promise<void>;
  call(target: string): Promise<void>;
  answer(): Promise<void>;
  hangup(): void;
  hold(): Promise<void>;
  unhold(): Promise<void>;
  mute(): void;
  unmute(): void;
  sendDtmf(digits: string, opts?: { transport?: 'rtp' | 'info' }): void;
  getStats(): Promise<unknown>;
  getAudio(): { local: { rms: number; peakHz: number } | null; remote: { rms: number; peakHz: number } | null };
  waitForEvent(type: string, timeoutMs?: number): Promise<{ type: string; detail?: Record<string, unknown> }>;
  state: { registration: string; call: string; held: boolean; remoteHeld: boolean; muted: boolean; remote: string | null; lastError: string | null; aor: string | null };
  events: Array<{ t: number; type: string; detail?: Record<string, unknown> }>;
  dtmfSentRtp: string[];
  dtmfReceived: string[];
  config: { wsUrls: string[]; domain: string } | null;
}

/** `window.tandemPhone` inside page.evaluate callbacks. */
export const api = (): PhoneApi => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone;

/**
 * Waits until the text of `selector` satisfies `ok` (polled from Node: the page's CSP
 * forbids the eval that string predicates of page.waitForFunction need).
 */
export async function waitForText(page: Page, selector: string, ok: (text: string) => boolean, timeoutMs = 10000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = (await page.textContent(selector)) ?? '';
    if (ok(t)) return t;
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${selector}: last text "${t}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

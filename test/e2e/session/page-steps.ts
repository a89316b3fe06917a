/**
 * Steps shared by the Chromium session tests: drive the demo page (`window.tandemPhone`, the dial
 * pad), wait for states and events, and check the gateway released the call. Callbacks passed to
 * page.evaluate run in the page, so they name `globalThis.tandemPhone` themselves.
 */
import type { Page } from 'playwright-core';
import type { PhoneApi } from '../web/browser.js';
import { near, waitRemoteAudio, type GatewayHarness } from './gateway-harness.js';

/** Calls in progress in the media engine (all workers). */
export function engineCalls(h: GatewayHarness): number {
  return (h.gw.media?.load() ?? []).reduce((a, b) => a + b, 0);
}

/** Polls `ok` every 100 ms until it holds; throws `timeout: what` after `timeoutMs`. */
export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the engine and the session factory have no call left. */
export async function waitCallReleased(h: GatewayHarness): Promise<void> {
  await waitFor('engine call closed', () => engineCalls(h) === 0);
  await waitFor('session ended', () => h.gw.calls?.active === 0);
}

/** Waits until the page has no call in progress (a new call is refused while one is). */
export async function pageIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => !['calling', 'ringing', 'active', 'incoming', 'connecting'].includes((globalThis as unknown as { tandemPhone: { state: { call: string } } }).tandemPhone.state.call), null, { timeout: 10000 });
}

/** The page calls `target` and resolves once the call is answered. */
export async function pageCall(page: Page, target: string): Promise<void> {
  await pageIdle(page);
  await page.evaluate((t) => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.call(t), target);
}

export async function pageHangup(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.hangup());
}

export async function pageState(page: Page): Promise<{ call: string; held: boolean; remoteHeld: boolean }> {
  return page.evaluate(() => {
    const s = (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.state;
    return { call: s.call, held: s.held, remoteHeld: s.remoteHeld };
  });
}

/**
 * A mark in the page's event log (the page's clock; the log is capped, so indexes shift): pass it
 * to {@link waitPageEvent} to wait for events logged from now on.
 */
export async function pageEventMark(page: Page): Promise<number> {
  return page.evaluate(() => Date.now());
}

/** Waits for a page event of `type` logged at or after `mark`; resolves with its detail. */
export async function waitPageEvent(page: Page, type: string, mark: number, timeoutMs = 10000): Promise<Record<string, unknown>> {
  const handle = await page.waitForFunction(([t, m]) => {
    const e = (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.events.find((x) => x.type === t && x.t >= (m as number));
    return e ? (e.detail ?? {}) : null;
  }, [type, mark] as const, { timeout: timeoutMs });
  return (await handle.jsonValue()) as Record<string, unknown>;
}

/**
 * Types `digits` on the page's dial pad during the call (one click per key, as a user would);
 * resolves once the page's RTCDTMFSender has played them all (its `tonechange` log).
 */
export async function pressKeypad(page: Page, digits: string): Promise<void> {
  const before = await page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.dtmfSentRtp.length);
  for (const d of digits) {
    await page.click(`.keypad button[data-key="${d}"]`);
    await sleep(60);
  }
  await page.waitForFunction(([n, want]) => (globalThis as unknown as { tandemPhone: { dtmfSentRtp: string[] } }).tandemPhone.dtmfSentRtp.slice(n as number).join('') === want, [before, digits] as const, { timeout: 8000 });
  // the last tone's end packets (and their retransmissions) leave after tonechange
  await sleep(300);
}

/** The page hears `hz` (analyser on the remote track) at a clear level. */
export function waitTone(page: Page, what: string, hz: number, timeoutMs = 10000): Promise<unknown> {
  return waitRemoteAudio(page, what, (r) => r.rms > 0.02 && near(r.peakHz, hz), timeoutMs);
}

/** The page hears (next to) nothing. */
export function waitSilence(page: Page, what: string, timeoutMs = 8000): Promise<unknown> {
  return waitRemoteAudio(page, what, (r) => r.rms < 0.005, timeoutMs);
}

/** Engine and page statistics, printed when an audio check fails. */
export async function dumpCallStats(h: GatewayHarness, page: Page): Promise<void> {
  for (const id of h.gw.calls?.mediaIds() ?? []) console.log('engine stats', JSON.stringify(await h.gw.media?.stats(id)));
  console.log('page stats', JSON.stringify(await page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.getStats())));
  console.log('page events', JSON.stringify(await page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.events.slice(-30))));
}

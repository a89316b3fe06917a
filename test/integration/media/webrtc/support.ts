import type { WebRtcLocalParams, WebRtcRemoteParams } from '../../../../src/media/webrtc/index.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(cond: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${what}`);
    await sleep(10);
  }
}

/** Turn one leg's local parameters into the remote parameters of its peer (leg ↔ leg tests). */
export function toRemote(local: WebRtcLocalParams, opusPt = 111): WebRtcRemoteParams {
  return {
    iceUfrag: local.iceUfrag, icePwd: local.icePwd, iceLite: local.iceLite, candidates: local.candidates,
    fingerprints: [local.fingerprint], setup: local.setup,
    formats: [{ pt: opusPt, name: 'opus', clockRate: 48000, channels: 2 }], direction: 'sendrecv',
  };
}

/** Run `tick` every 20 ms for `ms` milliseconds (50 pps). */
export async function pump(ms: number, tick: () => void): Promise<void> {
  const n = Math.round(ms / 20);
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    tick();
    const wait = t0 + (i + 1) * 20 - Date.now();
    if (wait > 0) await sleep(wait);
  }
}

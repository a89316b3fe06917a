// One engine call bridging a node-datachannel "browser" (Opus, DTLS-SRTP) to a raw RTP peer (PCMU).
import type { AllocateRequest, AllocateResult, MediaEngine } from '../../../../src/media/engine/index.js';
import { buildLegSdp, type NdcBrowser } from '../webrtc/ndc-browser.js';
import type { RtpPeer } from './rtp-peer.js';

/**
 * Offer from `browser`, allocate `callId` with bridge 'rtp' (plus `allocate`), point `phone` at the
 * RTP leg, apply (PCMU/8000, 20 ms toward the phone), answer and wait for the browser to connect.
 * `onAllocated` sees the allocation before it is used.
 */
export async function connectRtpBridge(
  engine: MediaEngine, callId: string, browser: NdcBrowser, phone: RtpPeer,
  o: { allocate?: Partial<AllocateRequest>; onAllocated?: (alloc: AllocateResult) => void } = {},
): Promise<AllocateResult> {
  const offer = await browser.offer();
  const alloc = await engine.allocate(callId, { offerer: false, bridge: 'rtp', ...o.allocate });
  o.onAllocated?.(alloc);
  phone.remote = { address: '127.0.0.1', port: alloc.rtp!.rtpPort };
  const local = await engine.apply(callId, {
    webrtc: offer.remote,
    rtp: { remote: { address: '127.0.0.1', port: phone.port }, formats: [{ pt: 0, name: 'PCMU', clockRate: 8000, ptimeMs: 20 }] },
  });
  browser.answer(buildLegSdp(local, { type: 'answer', opusPt: 111 }), local);
  await browser.waitConnected();
  return alloc;
}

/** The steady state of a recording: skips 0.5 s of setup (ICE/DTLS, jitter-buffer fill) and the trailing 0.3 s after the senders stop. */
export const steady = (s: Int16Array, rate: number): Int16Array => s.subarray(rate / 2, Math.max(rate / 2, s.length - (rate * 3) / 10));

// Test packets for the SRTP suites (native, node:crypto, GCM): RTP with optional CSRCs and a
// header extension, and a minimal RTCP SR.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { loadNativeSrtp, nativeSrtpLoadError, type NativeSrtpAddon } from '../../../../src/media/srtp/native-srtp-addon.js';
import type { SrtpProtection } from '../../../../src/media/srtp/srtp-protection.js';

export interface PktOpts { ssrc?: number; payload?: number; csrc?: number; ext?: number; marker?: boolean; fill?: number | null }

/** An RTP packet (RFC 3550 §5.1) with optional CSRCs and a header extension of `ext` words; `fill: null` = random payload. */
export function rtp(seq: number, o: PktOpts = {}): Buffer {
  const csrc = o.csrc ?? 0;
  const extLen = o.ext === undefined ? 0 : 4 + o.ext * 4;
  const hl = 12 + csrc * 4 + extLen;
  const p = Buffer.alloc(hl + (o.payload ?? 20), o.fill ?? 0x55);
  if (o.fill === null) randomBytes(p.length - hl).copy(p, hl);
  p[0] = 0x80 | csrc | (o.ext !== undefined ? 0x10 : 0);
  p[1] = o.marker ? 0x80 : 0;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE((seq * 160) >>> 0, 4);
  p.writeUInt32BE(o.ssrc ?? 5, 8);
  for (let i = 0; i < csrc; i++) p.writeUInt32BE(0x1000 + i, 12 + i * 4);
  if (o.ext !== undefined) {
    const e = 12 + csrc * 4;
    p.writeUInt16BE(0xbede, e);
    p.writeUInt16BE(o.ext, e + 2);
    for (let i = 0; i < o.ext * 4; i++) p[e + 4 + i] = i;
  }
  return p;
}

/** An RTCP sender report header for `ssrc` followed by `extra` bytes of 0xab. */
export function rtcp(ssrc: number, extra = 16): Buffer {
  const p = Buffer.alloc(8 + extra, 0xab);
  p[0] = 0x81; p[1] = 0xc8; p.writeUInt16BE((p.length >> 2) - 1, 2); p.writeUInt32BE(ssrc, 4);
  return p;
}

/**
 * Protects with each side and unprotects with the other, `count` RTP packets from `firstSeq`
 * (crossing a sequence wrap when it is near 65535) in the given shapes on 3 SSRCs, plus an SRTCP
 * round trip every 50 packets; then checks that `ours` rejects a replay of `theirs`' packet.
 * `noExtensions`: the peer re-serializes header extensions (werift), so none are sent to it.
 */
export function expectRoundTrips(ours: SrtpProtection, theirs: SrtpProtection, peerName: string,
  shapes: PktOpts[], opts: { firstSeq: number; count: number; noExtensions: boolean }): void {
  for (let i = 0; i < opts.count; i++) {
    const seq = (opts.firstSeq + i) & 0xffff;
    const shape = shapes[i % shapes.length];
    const p = rtp(seq, { ...(opts.noExtensions ? { ...shape, ext: undefined } : shape), ssrc: 0x1234 + (i % 3) });
    expect(theirs.unprotectRtp(Buffer.from(ours.protectRtp(p)))?.equals(p), `ours→${peerName} ${i}`).to.equal(true);
    expect(ours.unprotectRtp(Buffer.from(theirs.protectRtp(p)))?.equals(p), `${peerName}→ours ${i}`).to.equal(true);
    if (i % 50 === 0) {
      const r = rtcp(0x1234, 4 * (i % 7));
      expect(theirs.unprotectRtcp(ours.protectRtcp(r))?.equals(r), `rtcp ours→${peerName} ${i}`).to.equal(true);
      expect(ours.unprotectRtcp(theirs.protectRtcp(r))?.equals(r), `rtcp ${peerName}→ours ${i}`).to.equal(true);
    }
  }
  // Replays of what the peer sent are rejected.
  const again = theirs.protectRtp(rtp(1000, { ssrc: 0x1234 }));
  expect(ours.unprotectRtp(Buffer.from(again))).to.not.equal(null);
  expect(ours.unprotectRtp(Buffer.from(again))).to.equal(null);
  expect(ours.lastError).to.equal('replay');
}

/** The native SRTP addon; throws (failing the test) when it is not built. */
export function nativeAddon(): NativeSrtpAddon {
  const a = loadNativeSrtp();
  if (!a) throw new Error(`native SRTP not loaded: ${nativeSrtpLoadError()}`);
  return a;
}

/** Runs `f` with the portable C code (no AES-NI / SHA-NI / PCLMULQDQ) for contexts created inside. */
export function portable<T>(f: () => T): T {
  nativeAddon().srtpSetAccel(false);
  try { return f(); } finally { nativeAddon().srtpSetAccel(true); }
}

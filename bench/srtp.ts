// SRTP micro-benchmark: µs per protect and per unprotect of a 172-byte RTP packet (20 ms PCMU),
// and per SRTCP protect/unprotect of an 80-byte compound, for each implementation:
// native (src/native/srtp.c, AES-NI/SHA-NI when present), native-portable (same C, no
// AES-NI/SHA-NI), tandem (node:crypto), werift; then the same for AEAD_AES_128_GCM (RFC 7714):
// nativeGcm (AES-NI + PCLMULQDQ), nativeGcmPortable, tandemGcm (node:crypto), weriftGcm.
// Prints ONE JSON object.
//   node .build/NAME/bench/srtp.js [--packets N] [--rounds R]
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { loadNativeSrtp, nativeSrtpLoadError } from '../src/media/srtp/native-srtp-addon.js';
import { NativeSrtpSession } from '../src/media/srtp/native-srtp-session.js';
import { TandemSrtpSession } from '../src/media/srtp/tandem-srtp-session.js';
import { WeriftSrtpSession } from '../src/media/srtp/werift-srtp-session.js';
import { generateSrtpKey, type SrtpSuite } from '../src/media/srtp/srtp-suite.js';
import type { SrtpProtection, SrtpSessionKeys } from '../src/media/srtp/srtp-protection.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg('packets', 50000);
const ROUNDS = arg('rounds', 3);

interface Figures { protectUs: number; unprotectUs: number; rtcpProtectUs: number; rtcpUnprotectUs: number }

function rtpPacket(i: number, payload: Buffer): Buffer {
  const p = Buffer.allocUnsafe(172);
  p[0] = 0x80; p[1] = 0;
  p.writeUInt16BE(i & 0xffff, 2);
  p.writeUInt32BE((i * 160) >>> 0, 4);
  p.writeUInt32BE(0x1234, 8);
  payload.copy(p, 12);
  return p;
}

/** Best of ROUNDS runs (µs per operation): protect N, then unprotect them (in order). */
function measure(make: (k: SrtpSessionKeys) => SrtpProtection, suite: SrtpSuite = 'AES_CM_128_HMAC_SHA1_80'): Figures {
  const payload = randomBytes(160);
  const rtcp = Buffer.alloc(80, 0x5a);
  rtcp[0] = 0x81; rtcp[1] = 0xc8; rtcp.writeUInt16BE(19, 2); rtcp.writeUInt32BE(0x1234, 4);
  const best: Figures = { protectUs: Infinity, unprotectUs: Infinity, rtcpProtectUs: Infinity, rtcpUnprotectUs: Infinity };
  let seq = 0;
  for (let r = 0; r < ROUNDS + 1; r++) {
    const a = generateSrtpKey(suite);
    const b = generateSrtpKey(suite);
    const tx = make({ local: a, remote: b });
    const rx = make({ local: b, remote: a });
    const plain = Array.from({ length: N }, (_, i) => rtpPacket(seq + i, payload));
    seq += N;
    const enc: Buffer[] = new Array<Buffer>(N);
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) enc[i] = tx.protectRtp(plain[i]);
    const prot = Number(process.hrtime.bigint() - t0) / N / 1000;
    t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) if (rx.unprotectRtp(enc[i]) === null) throw new Error(`unprotect failed at ${i}: ${rx.lastError}`);
    const unprot = Number(process.hrtime.bigint() - t0) / N / 1000;
    const M = Math.max(1000, N >> 3);
    const encR: Buffer[] = new Array<Buffer>(M);
    t0 = process.hrtime.bigint();
    for (let i = 0; i < M; i++) encR[i] = tx.protectRtcp(rtcp);
    const rprot = Number(process.hrtime.bigint() - t0) / M / 1000;
    t0 = process.hrtime.bigint();
    for (let i = 0; i < M; i++) if (rx.unprotectRtcp(encR[i]) === null) throw new Error(`rtcp unprotect failed at ${i}: ${rx.lastError}`);
    const runprot = Number(process.hrtime.bigint() - t0) / M / 1000;
    if (r === 0) continue; // warm-up
    best.protectUs = Math.min(best.protectUs, prot);
    best.unprotectUs = Math.min(best.unprotectUs, unprot);
    best.rtcpProtectUs = Math.min(best.rtcpProtectUs, rprot);
    best.rtcpUnprotectUs = Math.min(best.rtcpUnprotectUs, runprot);
  }
  const round = (x: number): number => Number(x.toFixed(3));
  return { protectUs: round(best.protectUs), unprotectUs: round(best.unprotectUs), rtcpProtectUs: round(best.rtcpProtectUs), rtcpUnprotectUs: round(best.rtcpUnprotectUs) };
}

const addon = loadNativeSrtp();
const results: Record<string, Figures | string> = {};
if (addon) {
  results.native = measure((k) => new NativeSrtpSession(k));
  addon.srtpSetAccel(false);
  results.nativePortable = measure((k) => new NativeSrtpSession(k));
  addon.srtpSetAccel(true);
} else {
  results.native = `unavailable: ${nativeSrtpLoadError()}`;
}
results.tandem = measure((k) => new TandemSrtpSession(k));
results.werift = measure((k) => new WeriftSrtpSession(k));
const GCM = 'AEAD_AES_128_GCM';
if (addon && typeof addon.srtpInfo().ghash === 'string') {
  results.nativeGcm = measure((k) => new NativeSrtpSession(k), GCM);
  addon.srtpSetAccel(false);
  results.nativeGcmPortable = measure((k) => new NativeSrtpSession(k), GCM);
  addon.srtpSetAccel(true);
} else {
  results.nativeGcm = addon ? 'unavailable: the addon predates AEAD_AES_128_GCM' : `unavailable: ${nativeSrtpLoadError()}`;
}
results.tandemGcm = measure((k) => new TandemSrtpSession(k), GCM);
results.weriftGcm = measure((k) => new WeriftSrtpSession(k), GCM);
console.log(JSON.stringify({
  bench: 'srtp', packetBytes: 172, rtcpBytes: 80, packets: N, rounds: ROUNDS, node: process.version,
  nativeCrypto: addon ? addon.srtpInfo() : null, loadAvg1: Number(os.loadavg()[0].toFixed(2)), results,
}));

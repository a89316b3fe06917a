import { AesCtrKeystream } from './aes-ctr-keystream.js';
import { HmacSha1 } from './hmac-sha1.js';
import { deriveSessionKeys } from './srtp-kdf.js';
import { SRTCP_TAG_LENGTH, srtpTagLength, type SrtpKeyMaterial } from './srtp-suite.js';
import type { SrtpDropReason } from './srtp-protection.js';

interface RtpSsrcState {
  roc: number;
  /** Highest sequence number s_l (RFC 3711 §3.3.1). */
  sl: number;
  /** Highest packet index accepted (replay). */
  highest: number;
  /** Ring of accepted indices (replay window). */
  window: Float64Array;
}

interface RtcpSsrcState {
  sendIndex: number;
  highest: number;
  window: Float64Array;
}

const MAX_SSRC_STATES = 64;

/**
 * One direction of SRTP/SRTCP (RFC 3711): AES-CM encryption (§4.1.1),
 * HMAC-SHA1 authentication (§4.2.1), ROC tracking (§3.3.1), replay window
 * (§3.3.2). Keys derived with kdr = 0 (§4.3). MKI not supported.
 */
export class SrtpContext {
  readonly tagLength: number;
  private readonly rtpCipher: AesCtrKeystream;
  private readonly rtcpCipher: AesCtrKeystream;
  private readonly rtpMac: HmacSha1;
  private readonly rtcpMac: HmacSha1;
  private readonly rtpSalt: Buffer;
  private readonly rtcpSalt: Buffer;
  private readonly iv = Buffer.alloc(16);
  private readonly roc4 = Buffer.alloc(4);
  private readonly rtp = new Map<number, RtpSsrcState>();
  private readonly rtcp = new Map<number, RtcpSsrcState>();
  lastError: SrtpDropReason | null = null;

  constructor(key: SrtpKeyMaterial, private readonly windowSize = 128) {
    if (key.masterKey.length !== 16 || key.masterSalt.length !== 14) throw new RangeError('SRTP master key must be 16 bytes and salt 14 bytes');
    const k = deriveSessionKeys(Buffer.from(key.masterKey), Buffer.from(key.masterSalt));
    this.tagLength = srtpTagLength(key.suite);
    this.rtpCipher = new AesCtrKeystream(k.rtpKey);
    this.rtcpCipher = new AesCtrKeystream(k.rtcpKey);
    this.rtpMac = new HmacSha1(k.rtpAuth);
    this.rtcpMac = new HmacSha1(k.rtcpAuth);
    this.rtpSalt = k.rtpSalt;
    this.rtcpSalt = k.rtcpSalt;
    this.windowSize = Math.max(64, Math.min(1024, windowSize));
  }

  /** IV = salt·2^16 XOR ssrc·2^64 XOR index·2^16 (RFC 3711 §4.1.1). */
  private setIv(salt: Buffer, ssrc: number, indexHigh: number, indexLow16: number): void {
    const iv = this.iv;
    salt.copy(iv, 0, 0, 14);
    iv[14] = 0; iv[15] = 0;
    iv[4] ^= ssrc >>> 24; iv[5] ^= (ssrc >>> 16) & 0xff; iv[6] ^= (ssrc >>> 8) & 0xff; iv[7] ^= ssrc & 0xff;
    // 48-bit index = indexHigh (32 bits, the ROC for RTP) << 16 | indexLow16, at bytes 8..13.
    iv[8] ^= indexHigh >>> 24; iv[9] ^= (indexHigh >>> 16) & 0xff; iv[10] ^= (indexHigh >>> 8) & 0xff; iv[11] ^= indexHigh & 0xff;
    iv[12] ^= indexLow16 >>> 8; iv[13] ^= indexLow16 & 0xff;
  }

  private rtpHeaderLength(p: Buffer, len: number): number {
    if (len < 12 || p[0] >> 6 !== 2) return -1;
    let off = 12 + (p[0] & 0x0f) * 4;
    if (p[0] & 0x10) {
      if (off + 4 > len) return -1;
      off += 4 + ((p[off + 2] << 8) | p[off + 3]) * 4;
    }
    return off <= len ? off : -1;
  }

  /** Protects an RTP packet; returns a new buffer with the auth tag appended. */
  protectRtp(packet: Buffer, length: number = packet.length): Buffer {
    const hl = this.rtpHeaderLength(packet, length);
    if (hl < 0) throw new RangeError('not an RTP packet');
    const ssrc = packet.readUInt32BE(8);
    const seq = (packet[2] << 8) | packet[3];
    let st = this.rtp.get(ssrc);
    if (!st) {
      st = this.newRtpState(seq, 0);
    } else {
      // Sender-side ROC (RFC 3711 §3.3.1): the sequence wrapped.
      if (seq < st.sl && st.sl - seq > 0x8000) { st.roc = (st.roc + 1) >>> 0; st.sl = seq; }
      else if (seq > st.sl && seq - st.sl < 0x8000) st.sl = seq;
    }
    this.rtp.set(ssrc, st);
    const out = Buffer.allocUnsafe(length + this.tagLength);
    packet.copy(out, 0, 0, length);
    this.setIv(this.rtpSalt, ssrc, st.roc, seq);
    this.rtpCipher.xor(this.iv, out, hl, length - hl);
    this.roc4.writeUInt32BE(st.roc, 0);
    const tag = this.rtpMac.mac(out, 0, length, this.roc4);
    tag.copy(out, length, 0, this.tagLength);
    return out;
  }

  private newRtpState(seq: number, roc: number): RtpSsrcState {
    if (this.rtp.size >= MAX_SSRC_STATES) {
      const first = this.rtp.keys().next();
      if (!first.done) this.rtp.delete(first.value);
    }
    return { roc, sl: seq, highest: -1, window: new Float64Array(this.windowSize).fill(-1) };
  }

  /** Verifies and decrypts in place; returns a view of the plain packet or null. */
  unprotectRtp(packet: Buffer, length: number = packet.length): Buffer | null {
    const len = length - this.tagLength;
    const hl = this.rtpHeaderLength(packet, len);
    if (hl < 0) { this.lastError = len < 12 ? 'short' : 'malformed'; return null; }
    const ssrc = packet.readUInt32BE(8);
    const seq = (packet[2] << 8) | packet[3];
    const st = this.rtp.get(ssrc);
    // Index estimate (RFC 3711 §3.3.1 / Appendix A).
    let v: number;
    if (!st) v = 0;
    else if (st.sl < 0x8000) v = seq - st.sl > 0x8000 ? st.roc - 1 : st.roc;
    else v = st.sl - 0x8000 > seq ? st.roc + 1 : st.roc;
    if (v < 0) { this.lastError = 'replay'; return null; }
    v >>>= 0;
    const index = v * 0x10000 + seq;
    // Replay check before the (costlier) MAC (§3.3.2).
    if (st && st.highest >= 0) {
      const delta = st.highest - index;
      if (delta >= st.window.length || (delta >= 0 && st.window[index % st.window.length] === index)) {
        this.lastError = 'replay';
        return null;
      }
    }
    this.roc4.writeUInt32BE(v, 0);
    const tag = this.rtpMac.mac(packet, 0, len, this.roc4);
    let diff = 0;
    for (let i = 0; i < this.tagLength; i++) diff |= tag[i] ^ packet[len + i];
    if (diff !== 0) { this.lastError = 'auth'; return null; }
    let s = st;
    if (!s) { s = this.newRtpState(seq, v); this.rtp.set(ssrc, s); }
    // Update ROC and s_l after authentication (§3.3.1).
    if (v === ((s.roc + 1) >>> 0)) { s.roc = v; s.sl = seq; }
    else if (v === s.roc && seq > s.sl) s.sl = seq;
    if (index > s.highest) s.highest = index;
    s.window[index % s.window.length] = index;
    this.setIv(this.rtpSalt, ssrc, v, seq);
    this.rtpCipher.xor(this.iv, packet, hl, len - hl);
    this.lastError = null;
    return packet.subarray(0, len);
  }

  /** SRTCP protect (RFC 3711 §3.4): encrypt after the first 8 bytes, append E||index and tag. */
  protectRtcp(packet: Buffer): Buffer {
    const length = packet.length;
    if (length < 8) throw new RangeError('RTCP packet too short');
    const ssrc = packet.readUInt32BE(4);
    let st = this.rtcp.get(ssrc);
    if (!st) { st = { sendIndex: 0, highest: -1, window: new Float64Array(this.windowSize).fill(-1) }; this.rtcp.set(ssrc, st); }
    // Incremented before use, so the first SRTCP index is 1 (as libsrtp does).
    st.sendIndex = (st.sendIndex + 1) & 0x7fffffff;
    const index = st.sendIndex;
    const out = Buffer.allocUnsafe(length + 4 + SRTCP_TAG_LENGTH);
    packet.copy(out, 0, 0, length);
    this.setIv(this.rtcpSalt, ssrc, index >>> 16, index & 0xffff);
    this.rtcpCipher.xor(this.iv, out, 8, length - 8);
    out.writeUInt32BE((0x80000000 | index) >>> 0, length);
    const tag = this.rtcpMac.mac(out, 0, length + 4, null);
    tag.copy(out, length + 4, 0, SRTCP_TAG_LENGTH);
    return out;
  }

  /** SRTCP unprotect: verify tag, replay-check the SRTCP index, decrypt when E is set. */
  unprotectRtcp(packet: Buffer, length: number = packet.length): Buffer | null {
    const len = length - 4 - SRTCP_TAG_LENGTH;
    if (len < 8) { this.lastError = 'short'; return null; }
    if (packet[0] >> 6 !== 2) { this.lastError = 'malformed'; return null; }
    const tag = this.rtcpMac.mac(packet, 0, len + 4, null);
    let diff = 0;
    for (let i = 0; i < SRTCP_TAG_LENGTH; i++) diff |= tag[i] ^ packet[len + 4 + i];
    if (diff !== 0) { this.lastError = 'auth'; return null; }
    const word = packet.readUInt32BE(len);
    const encrypted = (word & 0x80000000) !== 0;
    const index = word & 0x7fffffff;
    const ssrc = packet.readUInt32BE(4);
    let st = this.rtcp.get(ssrc);
    if (!st) {
      if (this.rtcp.size >= MAX_SSRC_STATES) { const f = this.rtcp.keys().next(); if (!f.done) this.rtcp.delete(f.value); }
      st = { sendIndex: 0, highest: -1, window: new Float64Array(this.windowSize).fill(-1) };
      this.rtcp.set(ssrc, st);
    }
    if (st.highest >= 0) {
      const delta = st.highest - index;
      if (delta >= st.window.length || (delta >= 0 && st.window[index % st.window.length] === index)) {
        this.lastError = 'replay';
        return null;
      }
    }
    if (index > st.highest) st.highest = index;
    st.window[index % st.window.length] = index;
    if (encrypted) {
      this.setIv(this.rtcpSalt, ssrc, index >>> 16, index & 0xffff);
      this.rtcpCipher.xor(this.iv, packet, 8, len - 8);
    }
    this.lastError = null;
    return packet.subarray(0, len);
  }
}

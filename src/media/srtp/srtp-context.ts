import { AesCtrKeystream } from './aes-ctr-keystream.js';
import { AesGcm128, GCM_TAG_LENGTH } from './aes-gcm.js';
import { HmacSha1 } from './hmac-sha1.js';
import { LABEL_RTCP_ENCRYPTION, LABEL_RTCP_SALT, LABEL_RTP_ENCRYPTION, LABEL_RTP_SALT, deriveSessionKey, deriveSessionKeys } from './srtp-kdf.js';
import { SRTCP_TAG_LENGTH, srtpIsAead, srtpSaltLength, srtpTagLength, type SrtpKeyMaterial } from './srtp-suite.js';
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
/** GCM packets are at most 64 KiB (as in src/native/srtp.c). */
const GCM_MAX_LEN = 0xffff;

/** Crypto of the AES-CM/HMAC-SHA1 suites. */
interface CmCrypto {
  rtpCipher: AesCtrKeystream;
  rtcpCipher: AesCtrKeystream;
  rtpMac: HmacSha1;
  rtcpMac: HmacSha1;
}

/** Crypto of AEAD_AES_128_GCM. */
interface GcmCrypto {
  rtp: AesGcm128;
  rtcp: AesGcm128;
}

/** Options of {@link SrtpContext} beyond the replay window. */
export interface SrtpContextOptions {
  /**
   * Tests only, AEAD_AES_128_GCM only: the key material is used as the
   * session key and salt of SRTP and SRTCP alike, without the KDF (the form
   * of the RFC 7714 §16–17 test vectors). Default false.
   */
  sessionKeys?: boolean;
}

/**
 * One direction of SRTP/SRTCP (RFC 3711): AES-CM encryption (§4.1.1),
 * HMAC-SHA1 authentication (§4.2.1), ROC tracking (§3.3.1), replay window
 * (§3.3.2). Keys derived with kdr = 0 (§4.3). MKI not supported.
 * AEAD_AES_128_GCM (RFC 7714) shares the index, ROC and replay logic:
 * IV §8.1/§9.1, AAD §8.2/§9.2, 16-byte tag, SRTCP trailer tag || E||index;
 * session keys from the AES-CM PRF over the 12-byte master salt zero-padded
 * to 14 (§11, as libsrtp).
 */
export class SrtpContext {
  readonly tagLength: number;
  /** Bytes SRTCP appends: E||index + 10-byte tag, or 16-byte tag + E||index (GCM). */
  readonly rtcpTrailerLength: number;
  private readonly cm: CmCrypto | null;
  private readonly gcm: GcmCrypto | null;
  private readonly rtpSalt: Buffer;
  private readonly rtcpSalt: Buffer;
  private readonly iv = Buffer.alloc(16);
  private readonly gcmIv = Buffer.alloc(12);
  private readonly roc4 = Buffer.alloc(4);
  private readonly rtp = new Map<number, RtpSsrcState>();
  private readonly rtcp = new Map<number, RtcpSsrcState>();
  lastError: SrtpDropReason | null = null;

  constructor(key: SrtpKeyMaterial, private readonly windowSize = 128, opts: SrtpContextOptions = {}) {
    const aead = srtpIsAead(key.suite);
    const saltLength = srtpSaltLength(key.suite);
    if (key.masterKey.length !== 16 || key.masterSalt.length !== saltLength) {
      throw new RangeError(`${key.suite} master key must be 16 bytes and salt ${saltLength} bytes`);
    }
    if (opts.sessionKeys && !aead) throw new RangeError('sessionKeys is only supported for AEAD_AES_128_GCM');
    this.tagLength = srtpTagLength(key.suite);
    this.rtcpTrailerLength = aead ? GCM_TAG_LENGTH + 4 : 4 + SRTCP_TAG_LENGTH;
    const masterKey = Buffer.from(key.masterKey);
    if (aead) {
      const salt14 = Buffer.alloc(14);
      Buffer.from(key.masterSalt).copy(salt14);
      const derive = (label: number, length: number): Buffer =>
        opts.sessionKeys ? Buffer.from(length === 16 ? key.masterKey : key.masterSalt) : deriveSessionKey(masterKey, salt14, label, length);
      this.gcm = { rtp: new AesGcm128(derive(LABEL_RTP_ENCRYPTION, 16)), rtcp: new AesGcm128(derive(LABEL_RTCP_ENCRYPTION, 16)) };
      this.cm = null;
      this.rtpSalt = derive(LABEL_RTP_SALT, 12);
      this.rtcpSalt = derive(LABEL_RTCP_SALT, 12);
    } else {
      const k = deriveSessionKeys(masterKey, Buffer.from(key.masterSalt));
      this.cm = {
        rtpCipher: new AesCtrKeystream(k.rtpKey), rtcpCipher: new AesCtrKeystream(k.rtcpKey),
        rtpMac: new HmacSha1(k.rtpAuth), rtcpMac: new HmacSha1(k.rtcpAuth),
      };
      this.gcm = null;
      this.rtpSalt = k.rtpSalt;
      this.rtcpSalt = k.rtcpSalt;
    }
    this.windowSize = Math.max(64, Math.min(1024, windowSize));
  }

  /**
   * AES-GCM IV (RFC 7714 §8.1, §9.1): salt XOR 00 00 || SSRC || w1 || w2,
   * with w1||w2 = ROC (4) || SEQ (2) for SRTP, 00 00 || 0||index (4) for SRTCP.
   */
  private setGcmIv(salt: Buffer, ssrc: number, rtcp: boolean, a: number, b: number): Buffer {
    const iv = this.gcmIv;
    iv[0] = 0; iv[1] = 0;
    iv.writeUInt32BE(ssrc >>> 0, 2);
    if (rtcp) { iv[6] = 0; iv[7] = 0; iv.writeUInt32BE(b >>> 0, 8); }
    else { iv.writeUInt32BE(a >>> 0, 6); iv.writeUInt16BE(b & 0xffff, 10); }
    for (let i = 0; i < 12; i++) iv[i] ^= salt[i];
    return iv;
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
    if (hl < 0 || (this.gcm && length > GCM_MAX_LEN)) throw new RangeError('not an RTP packet');
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
    if (this.gcm) {
      // RFC 7714 §8: AAD = the header (CSRCs and extension included), tag after the ciphertext.
      const iv = this.setGcmIv(this.rtpSalt, ssrc, false, st.roc, seq);
      this.gcm.rtp.seal(iv, out.subarray(0, hl), out, hl, length - hl, out, length);
      return out;
    }
    const cm = this.cm as CmCrypto;
    this.setIv(this.rtpSalt, ssrc, st.roc, seq);
    cm.rtpCipher.xor(this.iv, out, hl, length - hl);
    this.roc4.writeUInt32BE(st.roc, 0);
    const tag = cm.rtpMac.mac(out, 0, length, this.roc4);
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
    if (this.gcm && len > GCM_MAX_LEN) { this.lastError = 'malformed'; return null; }
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
    let plain: Buffer | null = null;
    if (this.gcm) {
      // Verified before anything is committed; the plaintext is copied in after the commit.
      const iv = this.setGcmIv(this.rtpSalt, ssrc, false, v, seq);
      plain = this.gcm.rtp.open(iv, packet.subarray(0, hl), packet.subarray(hl, len), packet.subarray(len, len + GCM_TAG_LENGTH));
      if (!plain) { this.lastError = 'auth'; return null; }
    } else {
      this.roc4.writeUInt32BE(v, 0);
      const tag = (this.cm as CmCrypto).rtpMac.mac(packet, 0, len, this.roc4);
      let diff = 0;
      for (let i = 0; i < this.tagLength; i++) diff |= tag[i] ^ packet[len + i];
      if (diff !== 0) { this.lastError = 'auth'; return null; }
    }
    let s = st;
    if (!s) { s = this.newRtpState(seq, v); this.rtp.set(ssrc, s); }
    // Update ROC and s_l after authentication (§3.3.1).
    if (v === ((s.roc + 1) >>> 0)) { s.roc = v; s.sl = seq; }
    else if (v === s.roc && seq > s.sl) s.sl = seq;
    if (index > s.highest) s.highest = index;
    s.window[index % s.window.length] = index;
    if (plain) {
      plain.copy(packet, hl);
    } else {
      this.setIv(this.rtpSalt, ssrc, v, seq);
      (this.cm as CmCrypto).rtpCipher.xor(this.iv, packet, hl, len - hl);
    }
    this.lastError = null;
    return packet.subarray(0, len);
  }

  /** SRTCP protect (RFC 3711 §3.4): encrypt after the first 8 bytes, append E||index and tag. */
  protectRtcp(packet: Buffer): Buffer {
    const length = packet.length;
    if (length < 8) throw new RangeError('RTCP packet too short');
    if (this.gcm && length > GCM_MAX_LEN) throw new RangeError('RTCP packet too long');
    const ssrc = packet.readUInt32BE(4);
    let st = this.rtcp.get(ssrc);
    if (!st) { st = { sendIndex: 0, highest: -1, window: new Float64Array(this.windowSize).fill(-1) }; this.rtcp.set(ssrc, st); }
    // Incremented before use, so the first SRTCP index is 1 (as libsrtp does).
    st.sendIndex = (st.sendIndex + 1) & 0x7fffffff;
    const index = st.sendIndex;
    const out = Buffer.allocUnsafe(length + this.rtcpTrailerLength);
    packet.copy(out, 0, 0, length);
    if (this.gcm) {
      // RFC 7714 §9.1 with E = 1: AAD = octets 0..7 || E||index; wire: ... | tag | E||index.
      out.writeUInt32BE((0x80000000 | index) >>> 0, length + GCM_TAG_LENGTH);
      const aad = Buffer.concat([out.subarray(0, 8), out.subarray(length + GCM_TAG_LENGTH)]);
      this.gcm.rtcp.seal(this.setGcmIv(this.rtcpSalt, ssrc, true, 0, index), aad, out, 8, length - 8, out, length);
      return out;
    }
    const cm = this.cm as CmCrypto;
    this.setIv(this.rtcpSalt, ssrc, index >>> 16, index & 0xffff);
    cm.rtcpCipher.xor(this.iv, out, 8, length - 8);
    out.writeUInt32BE((0x80000000 | index) >>> 0, length);
    const tag = cm.rtcpMac.mac(out, 0, length + 4, null);
    tag.copy(out, length + 4, 0, SRTCP_TAG_LENGTH);
    return out;
  }

  /** SRTCP unprotect: verify tag, replay-check the SRTCP index, decrypt when E is set. */
  unprotectRtcp(packet: Buffer, length: number = packet.length): Buffer | null {
    const len = length - this.rtcpTrailerLength;
    if (len < 8) { this.lastError = 'short'; return null; }
    if (packet[0] >> 6 !== 2 || (this.gcm && len > GCM_MAX_LEN)) { this.lastError = 'malformed'; return null; }
    const ssrc = packet.readUInt32BE(4);
    let word: number;
    let plain: Buffer | null = null;
    if (this.gcm) {
      // RFC 7714 §9: header | payload | tag | E||index; E = 0 is authentication only, AAD = packet || E||index (§9.2).
      word = packet.readUInt32BE(len + GCM_TAG_LENGTH);
      const e = (word & 0x80000000) !== 0;
      const trailer = packet.subarray(len + GCM_TAG_LENGTH, len + GCM_TAG_LENGTH + 4);
      const aad = Buffer.concat([packet.subarray(0, e ? 8 : len), trailer]);
      const iv = this.setGcmIv(this.rtcpSalt, ssrc, true, 0, word & 0x7fffffff);
      const tag = packet.subarray(len, len + GCM_TAG_LENGTH);
      // The plaintext (E = 1) is copied in only after the replay check below.
      plain = this.gcm.rtcp.open(iv, aad, packet.subarray(8, e ? len : 8), tag);
      if (!plain) { this.lastError = 'auth'; return null; }
    } else {
      const tag = (this.cm as CmCrypto).rtcpMac.mac(packet, 0, len + 4, null);
      let diff = 0;
      for (let i = 0; i < SRTCP_TAG_LENGTH; i++) diff |= tag[i] ^ packet[len + 4 + i];
      if (diff !== 0) { this.lastError = 'auth'; return null; }
      word = packet.readUInt32BE(len);
    }
    const encrypted = (word & 0x80000000) !== 0;
    const index = word & 0x7fffffff;
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
    if (plain) {
      plain.copy(packet, 8);
    } else if (encrypted) {
      const cm = this.cm as CmCrypto;
      this.setIv(this.rtcpSalt, ssrc, index >>> 16, index & 0xffff);
      cm.rtcpCipher.xor(this.iv, packet, 8, len - 8);
    }
    this.lastError = null;
    return packet.subarray(0, len);
  }
}

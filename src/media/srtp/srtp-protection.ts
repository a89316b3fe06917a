import type { SrtpKeyMaterial } from './srtp-suite.js';

/** Why an inbound SRTP/SRTCP packet was dropped. */
export type SrtpDropReason = 'short' | 'auth' | 'replay' | 'malformed';

/**
 * One SRTP session: an outbound context keyed by our master key and an
 * inbound context keyed by the peer's (RFC 3711 §3.2). Implemented by
 * Tandem's own code (node:crypto, and C in the native addon) and by an
 * adapter over werift so benchmarks compare.
 * Unprotect never throws: it returns null and sets `lastError`.
 */
export interface SrtpProtection {
  readonly impl: 'tandem' | 'werift' | 'native';
  /** Reason for the last null returned by an unprotect call. */
  lastError: SrtpDropReason | null;
  /** Encrypts and authenticates an RTP packet; returns a new buffer. */
  protectRtp(packet: Buffer, length?: number): Buffer;
  /** Verifies and decrypts; returns the plain RTP packet (may reuse `packet`'s memory) or null. */
  unprotectRtp(packet: Buffer, length?: number): Buffer | null;
  /** Encrypts and authenticates a compound RTCP packet (RFC 3711 §3.4). */
  protectRtcp(packet: Buffer): Buffer;
  /** Verifies and decrypts an SRTCP packet or returns null. */
  unprotectRtcp(packet: Buffer, length?: number): Buffer | null;
}

/** Keys for both directions. */
export interface SrtpSessionKeys {
  local: SrtpKeyMaterial;
  remote: SrtpKeyMaterial;
}

/** Options for the replay window (RFC 3711 §3.3.2). */
export interface SrtpOptions {
  /** Replay window size in packets (max 1024). Default 128 (libsrtp default is 128 too). */
  replayWindow?: number;
}

import { RtpHeader, SrtcpSession, SrtpSession } from 'werift';
import { createSrtpSession } from '../srtp/index.js';
import type { SrtpProfileName } from './types.js';

/** DTLS-SRTP keying material for one direction pair (RFC 5764 §4.2). */
export interface SrtpKeys {
  profile: SrtpProfileName;
  localKey: Buffer;
  localSalt: Buffer;
  remoteKey: Buffer;
  remoteSalt: Buffer;
}

/**
 * SRTP/SRTCP protect/unprotect for one leg (RFC 3711, RFC 7714). The WebRTC
 * leg depends only on this interface, so the SRTP implementation can be swapped.
 * `unprotect*` returns null on authentication failure (counted by the caller).
 */
export interface SrtpTransform {
  protectRtp(packet: Buffer): Buffer;
  unprotectRtp(packet: Buffer): Buffer | null;
  protectRtcp(packet: Buffer): Buffer;
  unprotectRtcp(packet: Buffer): Buffer | null;
}

export type SrtpFactory = (keys: SrtpKeys) => SrtpTransform;

const PROFILE_IDS: Record<SrtpProfileName, 1 | 7> = { AES_CM_128_HMAC_SHA1_80: 1, AEAD_AES_128_GCM: 7 };

/**
 * SrtpTransform backed by werift's SrtpSession/SrtcpSession (pure-JS state on top
 * of node:crypto). Used until/unless a faster implementation is plugged in via
 * `SrtpFactory`; see docs/media.md for the profile of this path.
 */
export class WeriftSrtpTransform implements SrtpTransform {
  private readonly srtp: SrtpSession;
  private readonly srtcp: SrtcpSession;

  constructor(keys: SrtpKeys) {
    const config = {
      keys: {
        localMasterKey: keys.localKey, localMasterSalt: keys.localSalt,
        remoteMasterKey: keys.remoteKey, remoteMasterSalt: keys.remoteSalt,
      },
      profile: PROFILE_IDS[keys.profile],
    };
    this.srtp = new SrtpSession(config);
    this.srtcp = new SrtcpSession(config);
  }

  protectRtp(packet: Buffer): Buffer {
    const header = RtpHeader.deSerialize(packet);
    return this.srtp.encrypt(packet.subarray(header.payloadOffset), header);
  }

  unprotectRtp(packet: Buffer): Buffer | null {
    try {
      return this.srtp.decrypt(packet);
    } catch {
      return null;
    }
  }

  protectRtcp(packet: Buffer): Buffer {
    return this.srtcp.encrypt(packet);
  }

  unprotectRtcp(packet: Buffer): Buffer | null {
    try {
      return this.srtcp.decrypt(packet);
    } catch {
      return null;
    }
  }
}

export const weriftSrtpFactory: SrtpFactory = (keys) => new WeriftSrtpTransform(keys);

/**
 * Default factory: both profiles, AES_CM_128_HMAC_SHA1_80 (RFC 3711) and
 * AEAD_AES_128_GCM (RFC 7714), run on Tandem's own SRTP (src/media/srtp: the
 * native addon's C code when it loads, else node:crypto; see `srtpImpl()`).
 * werift's session ({@link weriftSrtpFactory}) is kept for comparison only.
 */
export const defaultSrtpFactory: SrtpFactory = (keys) => createSrtpSession({
  local: { suite: keys.profile, masterKey: keys.localKey, masterSalt: keys.localSalt },
  remote: { suite: keys.profile, masterKey: keys.remoteKey, masterSalt: keys.remoteSalt },
});

import { RtpHeader, SrtcpSession, SrtpSession, ProtectionProfileAes128CmHmacSha1_80 } from 'werift';
import { UnsupportedError } from '../../common/errors.js';
import type { SrtpDropReason, SrtpProtection, SrtpSessionKeys } from './srtp-protection.js';

/**
 * Adapter over werift's SrtpSession/SrtcpSession with raw SDES keys, kept
 * for comparison benchmarks and cross-checks. werift supports only
 * AES_CM_128_HMAC_SHA1_80 here, has no replay window and creates a cipher
 * and an HMAC per packet. Not used by RtpLeg by default.
 */
export class WeriftSrtpSession implements SrtpProtection {
  readonly impl = 'werift' as const;
  lastError: SrtpDropReason | null = null;
  private readonly srtp: SrtpSession;
  private readonly srtcp: SrtcpSession;

  constructor(keys: SrtpSessionKeys) {
    if (keys.local.suite !== 'AES_CM_128_HMAC_SHA1_80' || keys.remote.suite !== 'AES_CM_128_HMAC_SHA1_80') {
      throw new UnsupportedError('ERR_SRTP_SUITE', 'werift SRTP supports AES_CM_128_HMAC_SHA1_80 only');
    }
    const config = {
      keys: {
        localMasterKey: Buffer.from(keys.local.masterKey), localMasterSalt: Buffer.from(keys.local.masterSalt),
        remoteMasterKey: Buffer.from(keys.remote.masterKey), remoteMasterSalt: Buffer.from(keys.remote.masterSalt),
      },
      profile: ProtectionProfileAes128CmHmacSha1_80,
    };
    this.srtp = new SrtpSession(config);
    this.srtcp = new SrtcpSession(config);
  }

  protectRtp(packet: Buffer, length: number = packet.length): Buffer {
    const p = length === packet.length ? packet : packet.subarray(0, length);
    const header = RtpHeader.deSerialize(p);
    return this.srtp.encrypt(p.subarray(header.serializeSize), header);
  }

  unprotectRtp(packet: Buffer, length: number = packet.length): Buffer | null {
    try {
      const r = this.srtp.decrypt(length === packet.length ? packet : packet.subarray(0, length));
      this.lastError = null;
      return r;
    } catch {
      this.lastError = 'auth';
      return null;
    }
  }

  protectRtcp(packet: Buffer): Buffer { return this.srtcp.encrypt(packet); }

  unprotectRtcp(packet: Buffer, length: number = packet.length): Buffer | null {
    try {
      const r = this.srtcp.decrypt(length === packet.length ? packet : packet.subarray(0, length));
      this.lastError = null;
      return r;
    } catch {
      this.lastError = 'auth';
      return null;
    }
  }
}

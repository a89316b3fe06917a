import { RtpHeader, SrtcpSession, SrtpSession, ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80 } from 'werift';
import { UnsupportedError } from '../../common/errors.js';
import type { SrtpDropReason, SrtpProtection, SrtpSessionKeys } from './srtp-protection.js';

/**
 * Adapter over werift's SrtpSession/SrtcpSession with raw keys, kept for
 * comparison benchmarks and cross-checks. werift supports
 * AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM here, has no replay window
 * and creates a cipher (and an HMAC) per packet. Not used by default.
 */
export class WeriftSrtpSession implements SrtpProtection {
  readonly impl = 'werift' as const;
  lastError: SrtpDropReason | null = null;
  private readonly srtp: SrtpSession;
  private readonly srtcp: SrtcpSession;

  constructor(keys: SrtpSessionKeys) {
    const suite = keys.local.suite;
    if ((suite !== 'AES_CM_128_HMAC_SHA1_80' && suite !== 'AEAD_AES_128_GCM') || keys.remote.suite !== suite) {
      throw new UnsupportedError('ERR_SRTP_SUITE', 'werift SRTP supports AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM only');
    }
    const config = {
      keys: {
        localMasterKey: Buffer.from(keys.local.masterKey), localMasterSalt: Buffer.from(keys.local.masterSalt),
        remoteMasterKey: Buffer.from(keys.remote.masterKey), remoteMasterSalt: Buffer.from(keys.remote.masterSalt),
      },
      profile: suite === 'AEAD_AES_128_GCM' ? ProtectionProfileAeadAes128Gcm : ProtectionProfileAes128CmHmacSha1_80,
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

import { createCipheriv } from 'node:crypto';

/** Key derivation labels (RFC 3711 §4.3.1, §4.3.2). */
export const LABEL_RTP_ENCRYPTION = 0x00;
export const LABEL_RTP_AUTH = 0x01;
export const LABEL_RTP_SALT = 0x02;
export const LABEL_RTCP_ENCRYPTION = 0x03;
export const LABEL_RTCP_AUTH = 0x04;
export const LABEL_RTCP_SALT = 0x05;

/**
 * AES-CM PRF key derivation with key_derivation_rate 0 (RFC 3711 §4.3.1,
 * §4.3.3): x = label<<48 XOR master_salt, keystream = AES(k_master, x·2^16 + i).
 */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, 14);
  iv[7] ^= label;
  const blocks = Math.ceil(length / 16);
  const input = Buffer.alloc(blocks * 16);
  for (let i = 0; i < blocks; i++) {
    iv.copy(input, i * 16);
    input.writeUInt16BE(i, i * 16 + 14);
  }
  const ecb = createCipheriv('aes-128-ecb', masterKey, null);
  ecb.setAutoPadding(false);
  const out = Buffer.concat([ecb.update(input), ecb.final()]);
  return out.subarray(0, length);
}

/** The six session keys of one SRTP crypto context (RFC 3711 §4.3). */
export interface SessionKeys {
  rtpKey: Buffer; rtpSalt: Buffer; rtpAuth: Buffer;
  rtcpKey: Buffer; rtcpSalt: Buffer; rtcpAuth: Buffer;
}

export function deriveSessionKeys(masterKey: Buffer, masterSalt: Buffer): SessionKeys {
  return {
    rtpKey: deriveSessionKey(masterKey, masterSalt, LABEL_RTP_ENCRYPTION, 16),
    rtpAuth: deriveSessionKey(masterKey, masterSalt, LABEL_RTP_AUTH, 20),
    rtpSalt: deriveSessionKey(masterKey, masterSalt, LABEL_RTP_SALT, 14),
    rtcpKey: deriveSessionKey(masterKey, masterSalt, LABEL_RTCP_ENCRYPTION, 16),
    rtcpAuth: deriveSessionKey(masterKey, masterSalt, LABEL_RTCP_AUTH, 20),
    rtcpSalt: deriveSessionKey(masterKey, masterSalt, LABEL_RTCP_SALT, 14),
  };
}

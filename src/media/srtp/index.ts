export { SRTP_SUITES, SRTCP_TAG_LENGTH, srtpTagLength, decodeSdesKey, encodeSdesKey, generateSrtpKey, type SrtpSuite, type SrtpKeyMaterial } from './srtp-suite.js';
export { deriveSessionKey, deriveSessionKeys, type SessionKeys } from './srtp-kdf.js';
export { SrtpContext } from './srtp-context.js';
export { TandemSrtpSession } from './tandem-srtp-session.js';
export { WeriftSrtpSession } from './werift-srtp-session.js';
export type { SrtpProtection, SrtpSessionKeys, SrtpDropReason, SrtpOptions } from './srtp-protection.js';
export { AesCtrKeystream } from './aes-ctr-keystream.js';
export { HmacSha1 } from './hmac-sha1.js';

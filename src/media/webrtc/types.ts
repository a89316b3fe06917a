/**
 * Structured parameters exchanged between the SDP core and the WebRTC leg.
 * Plain objects (structured-clone safe) so they cross the main ↔ worker boundary.
 * The SDP core turns these into/from a=ice-ufrag, a=ice-pwd, a=candidate,
 * a=fingerprint, a=setup, a=ice-lite and a=rtpmap lines; media never sees SDP text.
 */

/** One ICE candidate (RFC 8839 §5.1 fields). Only UDP host candidates are produced locally. */
export interface IceCandidateParams {
  foundation: string;
  component: number;
  transport: 'udp' | 'tcp';
  priority: number;
  address: string;
  port: number;
  type: 'host' | 'srflx' | 'prflx' | 'relay';
}

import type { PayloadFormat } from '../leg.js';

/** DTLS role as in a=setup (RFC 5763 §5): 'active' = DTLS client, 'passive' = DTLS server. */
export type DtlsSetup = 'active' | 'passive' | 'actpass';

/** SRTP protection profiles negotiated through DTLS use_srtp (RFC 5764 §4.1.2, RFC 7714 §14.2). */
export type SrtpProfileName = 'AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM';

export interface DtlsFingerprint {
  /** Hash function name as in SDP, e.g. 'sha-256'. */
  algorithm: string;
  /** Colon-separated upper-case hex. */
  value: string;
}

/** What the leg offers/answers: to be written into SDP by the SDP core. */
export interface WebRtcLocalParams {
  iceUfrag: string;
  icePwd: string;
  /** true when this leg behaves as ICE-lite (the SDP core writes a=ice-lite at session level). */
  iceLite: boolean;
  candidates: IceCandidateParams[];
  fingerprint: DtlsFingerprint;
  /** Our a=setup value. */
  setup: DtlsSetup;
}

/** Media direction as negotiated (RFC 3264 §5.1). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** What the remote side announced, parsed by the SDP core. */
export interface WebRtcRemoteParams {
  iceUfrag: string;
  icePwd: string;
  iceLite: boolean;
  /** Remote candidates; `.local` (mDNS) and unreachable ones may be present and are ignored. */
  candidates: IceCandidateParams[];
  fingerprints: DtlsFingerprint[];
  /** Remote a=setup. */
  setup: DtlsSetup;
  /** Negotiated payload formats (leg.ts PayloadFormat); RTP with other PTs is dropped. */
  formats: PayloadFormat[];
  /** Our direction (what we may do): 'sendrecv', 'sendonly' (remote holds us), ... */
  direction: MediaDirection;
}

/** ICE agent states reported as events. */
export type IceState = 'new' | 'checking' | 'connected' | 'disconnected' | 'failed' | 'closed';
export type DtlsState = 'new' | 'connecting' | 'connected' | 'failed' | 'closed';

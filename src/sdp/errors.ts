import { TandemError } from '../common/errors.js';

/**
 * Stable codes of {@link SdpError}. Each maps to the SIP status the session
 * layer should answer with (RFC 3261 §21.4.26 488 Not Acceptable Here for
 * descriptions we understand but cannot accept, 400 for ones we cannot parse).
 */
export const SDP_ERROR_STATUS = {
  /** Not SDP text at all, or a line/field that breaks RFC 8866 §5 syntax. */
  ERR_SDP_PARSE: 400,
  /** Larger than the configured size limit. */
  ERR_SDP_TOO_LARGE: 400,
  /** No audio m-line (or all audio m-lines disabled with port 0). */
  ERR_SDP_NO_AUDIO: 488,
  /** Audio is offered but no codec Tandem can pass through or transcode. */
  ERR_SDP_NO_COMMON_CODEC: 488,
  /** The transport profile of the audio m-line is not one this leg supports. */
  ERR_SDP_UNSUPPORTED_PROFILE: 488,
  /** A WebRTC description without ice-ufrag/ice-pwd. */
  ERR_SDP_MISSING_ICE: 488,
  /** A WebRTC description without a DTLS fingerprint. */
  ERR_SDP_MISSING_FINGERPRINT: 488,
  /** SRTP is required (RTP/SAVP) but no usable a=crypto was offered/answered. */
  ERR_SDP_NO_CRYPTO: 488,
  /** An answer that does not fit the offer it answers (RFC 3264 §6). */
  ERR_SDP_ANSWER_MISMATCH: 488,
  /** The caller passed invalid local media parameters (a programming error). */
  ERR_SDP_INVALID_OPTIONS: 500,
} as const;

/** One of the stable SDP error codes. */
export type SdpErrorCode = keyof typeof SDP_ERROR_STATUS;

/**
 * A description that Tandem cannot translate. Carries the SIP status to reject
 * the offer with (`sipStatus`) and a short human `reason` suitable for a
 * Warning header / reason phrase (never contains keys or ICE passwords).
 */
export class SdpError extends TandemError {
  declare readonly code: SdpErrorCode;
  /** SIP status code the session layer should answer with (400 or 488, 500 for bad options). */
  readonly sipStatus: number;
  /** Human readable reason (one line). */
  readonly reason: string;

  constructor(code: SdpErrorCode, reason: string, options: { cause?: unknown; data?: Record<string, unknown> } = {}) {
    super(code, reason, options);
    this.sipStatus = SDP_ERROR_STATUS[code];
    this.reason = reason;
  }
}

/** True when `e` is an {@link SdpError}. */
export function isSdpError(e: unknown): e is SdpError {
  return e instanceof SdpError;
}

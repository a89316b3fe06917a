import { TandemError } from '../common/errors.js';
import type { SipMessage } from './message/sip-message.js';

/**
 * A SIP message could not be parsed or failed RFC 3261 validation.
 *
 * `code` is one of:
 * - `ERR_SIP_PARSE` — malformed (answer 400 Bad Request);
 * - `ERR_SIP_TOO_LARGE` — message over the size limit (answer 413);
 * - `ERR_SIP_HEADER_TOO_LARGE` — too many headers or a header over the size limit
 *   (answer 400 "Header Too Large");
 * - `ERR_SIP_VERSION` — not SIP/2.0 (answer 505, RFC 3261 §8.2.2.3 / §21.5.7);
 * - `ERR_SIP_INCOMPLETE` — not enough bytes yet (stream framing only).
 *
 * `status`/`reason` say what a UAS answers; `partial` holds the message as far as it
 * could be read (start line and headers) when enough is known to build a response.
 */
export class SipParseError extends TandemError {
  /** The status code a UAS answers a request that failed this way (RFC 3261 §21.4). */
  readonly status: number;
  /** The reason phrase to answer with. */
  readonly reason: string;
  /** The message as far as it could be read, when a response can be built from it. */
  partial: SipMessage | undefined;

  constructor(code: string, message: string, options: { status?: number; reason?: string; cause?: unknown; data?: Record<string, unknown> } = {}) {
    super(code, message, { cause: options.cause, data: options.data });
    this.status = options.status ?? 400;
    this.reason = options.reason ?? 'Bad Request';
    this.partial = undefined;
  }
}

/** A SIP message could not be sent (no route, transport closed, DNS failure). */
export class SipTransportError extends TandemError {}

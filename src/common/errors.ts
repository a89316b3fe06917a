/**
 * Tandem's error base. Every error carries a stable `code` (ERR_*), an optional
 * `cause`, and structured data. Only `src/app/sip-status.ts` (later) maps codes
 * to SIP status codes; everything else throws or returns these values.
 */
export class TandemError extends Error {
  readonly code: string;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: { cause?: unknown; data?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = Object.freeze({ ...(options.data ?? {}) });
  }
}

/** The operation is not supported by this build or configuration. */
export class UnsupportedError extends TandemError {}

/** An object was used in a state that does not allow the operation (e.g. after close()). */
export class InvalidStateError extends TandemError {}

/** Input from outside (config, SDP, SIP, packets) failed validation. */
export class ValidationError extends TandemError {}

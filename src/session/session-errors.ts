import { TandemError } from '../common/errors.js';

/**
 * A call could not be set up or continued. `data.sipStatus` is the final response the A leg
 * gets (RFC 3261 §21), `data.warning` the text of the `Warning: 399` header (RFC 3261 §20.43).
 * Codes: `ERR_SESSION_NO_SDP` (488),
 * `ERR_SESSION_B_FAILED` (the mapped B-leg status), `ERR_SESSION_CANCELED` (487),
 * `ERR_SESSION_MEDIA` (503).
 */
export class SessionError extends TandemError {
  get sipStatus(): number {
    const s = this.data?.['sipStatus'];
    return typeof s === 'number' ? s : 500;
  }
}

import type { Logger } from '../../common/logger.js';
import type { Caller } from '../auth/caller-auth.js';
import type { AppRequest, AppResponse } from '../signaling/srf-types.js';
import type { CallPlan } from './plan-call.js';

/** Everything a call session needs to set the call up. */
export interface CallSessionRequest {
  /** The authenticated INVITE and its response object (drachtio-srf `req`/`res`). */
  req: AppRequest;
  res: AppResponse;
  caller: Caller;
  /** The decided plan (always `ok: true` here). */
  plan: Extract<CallPlan, { ok: true }>;
  /** Child logger `{ callId }`. */
  logger: Logger;
}

/**
 * The seam between the app and src/session: given a call plan, a session answers/forks the
 * INVITE (B2BUA via drachtio-srf `createUAC`/`createUAS`), rewrites SDP between the legs
 * (src/sdp), allocates media (src/media via src/session) and tears everything down on BYE/CANCEL.
 *
 * NOT IMPLEMENTED YET: src/session does not exist. Until it does, `createApp` is given no
 * factory and answers planned calls with 503 (see docs/app.md).
 */
export interface CallSessionFactory {
  /** Takes over `req`/`res`: it must send the final response. Rejects only on internal failure. */
  create(request: CallSessionRequest): Promise<void>;
}

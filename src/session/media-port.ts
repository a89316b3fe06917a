import type {
  AllocateRequest, AllocateResult, ApplyRequest, CallEvent, SendDtmfRequest, UpdateRequest,
} from '../media/engine/index.js';
import type { WebRtcLocalParams } from '../media/webrtc/types.js';

/**
 * The slice of {@link MediaEngine} a session uses (the real engine satisfies it; tests pass a
 * counting fake). `closeCall` is idempotent.
 */
export interface MediaPort {
  allocate(callId: string, req: AllocateRequest): Promise<AllocateResult>;
  apply(callId: string, req: ApplyRequest): Promise<WebRtcLocalParams>;
  update(callId: string, req: UpdateRequest): Promise<WebRtcLocalParams>;
  closeCall(callId: string): Promise<void>;
  /** RFC 4733 digit toward a leg (SIP INFO from a `dtmf: info` phone → browser). Optional: without it such INFO is relayed as INFO. */
  sendDtmf?(callId: string, req: SendDtmfRequest): Promise<void>;
}

export type { CallEvent };

import type {
  AllocateRequest, AllocateResult, ApplyRequest, ApplyResult, CallEvent, SendDtmfRequest, UpdateRequest,
} from '../media/engine/index.js';

/**
 * The slice of {@link MediaEngine} a session uses (the real engine satisfies it; tests pass a
 * counting fake). `closeCall` is idempotent.
 */
export interface MediaPort {
  allocate(callId: string, req: AllocateRequest): Promise<AllocateResult>;
  /** Returns the first WebRTC leg's local parameters (with bridge 'webrtc', the second leg's in `webrtcB`). */
  apply(callId: string, req: ApplyRequest): Promise<ApplyResult>;
  update(callId: string, req: UpdateRequest): Promise<ApplyResult>;
  closeCall(callId: string): Promise<void>;
  /** RFC 4733 digit toward a leg (SIP INFO from a `dtmf: info` phone → browser). Optional: without it such INFO is relayed as INFO. */
  sendDtmf?(callId: string, req: SendDtmfRequest): Promise<void>;
}

export type { CallEvent };

/**
 * The parts of drachtio-srf the session drives, stated structurally so a session runs on the real
 * drachtio-srf objects and on small fakes in unit tests.
 */
import type { AppRequest, AppResponse } from '../app/signaling/srf-types.js';

/** An incoming request inside a dialog (re-INVITE) or the A-leg INVITE. */
export interface SessionRequest extends AppRequest {
  on(event: 'cancel', listener: () => void): unknown;
}

/** drachtio-srf's `res` (`send` with a callback, `finalResponseSent`). */
export interface SessionResponse extends AppResponse {
  readonly finalResponseSent?: boolean;
}

/** A provisional response seen by `createUAC`'s `cbProvisional`. */
export interface ProvisionalResponse {
  readonly status: number;
  readonly reason?: string;
  readonly body?: string;
}

/** The INVITE `createUAC` sent (from `cbRequest`): cancelable until answered. */
export interface SentInvite {
  cancel(opts?: { headers?: Record<string, string> }): void;
}

/** A confirmed SIP dialog (drachtio-srf `Dialog`). */
export interface SessionDialog {
  readonly local: { sdp: string };
  readonly remote: { sdp: string };
  on(event: 'destroy', listener: (msg?: unknown, reason?: string) => void): unknown;
  on(event: 'modify', listener: (req: AppRequest, res: AppResponse) => void): unknown;
  /** A session refresh (re-INVITE whose SDP keeps its o= version); with a listener drachtio-srf answers it with `local.sdp`. */
  on(event: 'refresh', listener: (req: AppRequest) => void): unknown;
  /** An INFO inside the dialog (RFC 6086); with a listener drachtio-srf no longer answers 200 itself. */
  on(event: 'info', listener: (req: AppRequest, res: AppResponse) => void): unknown;
  /** Sends a request inside the dialog (INFO); resolves when sent. Optional so test fakes may omit it. */
  request?(opts: { method: 'INFO'; headers?: Record<string, string>; body?: string }): Promise<unknown>;
  /** Sends BYE. */
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  /** Sends a re-INVITE with `sdp`; resolves with the remote answer SDP. */
  modify(sdp: string, opts?: { headers?: Record<string, string> }): Promise<string>;
}

/** A failed `createUAC`: drachtio-srf's `SipError` carries `status`. */
export interface UacFailure {
  status?: number;
  reason?: string;
  message?: string;
}

/** The slice of drachtio-srf's `Srf` a session uses. */
export interface SessionSrf {
  createUAC(
    uri: string,
    opts: { localSdp: string; headers?: Record<string, string>; proxy?: string; auth?: { username: string; password: string } },
    progress: { cbRequest?: (err: unknown, req: SentInvite) => void; cbProvisional?: (res: ProvisionalResponse) => void },
  ): Promise<SessionDialog>;
  createUAS(req: AppRequest, res: AppResponse, opts: { localSdp: string; headers?: Record<string, string> }): Promise<SessionDialog>;
}

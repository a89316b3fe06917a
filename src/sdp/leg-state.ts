import { SdpError } from './errors.js';
import { createHash } from 'node:crypto';
import type { ParsedSdp } from './parse.js';

/** One m-line slot of a leg as last described: its media kind and mid. */
export interface MediaSlot {
  readonly kind: string;
  readonly mid?: string;
}

/**
 * Per-leg SDP state, passed into each translation and returned updated (the
 * functions stay pure). Holds our `o=` line for that leg (RFC 8866 §5.2: the
 * session id is stable, the version increases with every new description,
 * RFC 3264 §8), what we last saw from the remote on that leg, and the m-line
 * layout so re-offers keep every slot (RFC 3264 §8: m-lines are never removed).
 */
export interface SdpLegState {
  /** Our o= username. */
  readonly username: string;
  /** Our o= sess-id, digits only; stable for the leg. */
  readonly sessionId: string;
  /** The o= sess-version of the last description we wrote on this leg; 0 before the first. */
  readonly version: number;
  /** ICE ufrag of the remote's last description (to detect an ICE restart, RFC 8839 §4.4.1.1.1). */
  readonly remoteIceUfrag?: string;
  /** m-line layout of the last negotiation on this leg. */
  readonly slots: readonly MediaSlot[];
  /** SHA-256 of the last description we wrote, o= line excluded (to keep the version of an unchanged one). */
  readonly lastBodyHash?: string;
}

/** Options of {@link createLegState}. */
export interface CreateLegStateOptions {
  /** o= sess-id, 1–20 digits (the caller picks it, e.g. from a random or clock source). */
  readonly sessionId: string;
  /** o= username. Default `tandem`. */
  readonly username?: string;
  /** Version of the first description minus one. Default 0 (the first description has version 1). */
  readonly initialVersion?: number;
}

/** Creates the state of a fresh leg. */
export function createLegState(opts: CreateLegStateOptions): SdpLegState {
  if (typeof opts.sessionId !== 'string' || !/^\d{1,20}$/.test(opts.sessionId)) {
    throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'sessionId must be 1-20 digits');
  }
  const username = opts.username ?? 'tandem';
  if (!/^[!-~]{1,64}$/.test(username)) throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'username must be a non-empty token');
  const initialVersion = opts.initialVersion ?? 0;
  if (!Number.isSafeInteger(initialVersion) || initialVersion < 0) throw new SdpError('ERR_SDP_INVALID_OPTIONS', 'initialVersion must be a non-negative integer');
  return { username, sessionId: opts.sessionId, version: initialVersion, slots: [] };
}

/** Records the remote ICE ufrag; returns the new state and whether it is an ICE restart. */
export function noteRemoteIce(state: SdpLegState, ufrag: string | undefined): { state: SdpLegState; iceRestart: boolean } {
  if (ufrag === undefined) return { state, iceRestart: false };
  const iceRestart = state.remoteIceUfrag !== undefined && state.remoteIceUfrag !== ufrag;
  return { state: { ...state, remoteIceUfrag: ufrag }, iceRestart };
}

/** Records the m-line layout of the description just negotiated on this leg. */
export function withSlots(state: SdpLegState, slots: readonly MediaSlot[]): SdpLegState {
  return { ...state, slots: slots.map((s) => ({ ...s })) };
}

/** The SDP state of both legs of one call. */
export interface CallSdpLegs {
  /** The browser leg (SIP over WebSocket, WebRTC media). */
  readonly webrtc: SdpLegState;
  /** The plain SIP leg (phone, PBX, trunk). */
  readonly sip: SdpLegState;
}

/** The m-line layout of a description, for {@link withSlots}. */
export function slotsOf(sdp: ParsedSdp): MediaSlot[] {
  return sdp.media.map((m) => ({ kind: m.kind, ...(m.mid !== undefined ? { mid: m.mid } : {}) }));
}

/**
 * Stamps the o= line (line index 1) of a description we are about to send and
 * returns the text and the new leg state. RFC 3264 §8: the version increments
 * by one when the description changed; an identical description (e.g. a
 * session refresh, or an ICE restart that does not concern this leg) keeps its
 * version, and `changed` is false.
 */
export function finishDescription(
  leg: SdpLegState,
  lines: readonly string[],
  originOf: (version: number) => string,
): { sdp: string; leg: SdpLegState; changed: boolean } {
  const body = lines.filter((_, i) => i !== 1).join('\r\n');
  const hash = createHash('sha256').update(body).digest('base64');
  const changed = !(leg.version > 0 && leg.lastBodyHash === hash);
  const version = changed ? leg.version + 1 : leg.version;
  const out = [...lines];
  out[1] = `o=${originOf(version)}`;
  return { sdp: `${out.join('\r\n')}\r\n`, leg: { ...leg, version, lastBodyHash: hash }, changed };
}

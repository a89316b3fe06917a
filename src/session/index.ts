/**
 * Per-call glue between the drachtio-srf app (src/app), the SDP core (src/sdp) and the media
 * engine (src/media/engine): the app's only door to media.
 *
 * @packageDocumentation
 */
export { CallSession, mapBLegStatus, type CallSessionOptions } from './call-session.js';
export { SessionFactory, type SessionFactoryOptions } from './session-factory.js';
export { SessionError } from './session-errors.js';
export type { MediaPort } from './media-port.js';
export type { SessionSrf, SessionDialog, SentInvite, ProvisionalResponse } from './srf-types.js';

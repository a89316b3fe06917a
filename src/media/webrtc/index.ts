export { WebRtcLeg, type WebRtcLegOptions, type WebRtcLegStats } from './webrtc-leg.js';
export { IceAgent, newIceCredentials, type IceAgentOptions } from './ice-agent.js';
export { DtlsSession, DtlsError, type DtlsSessionOptions } from './dtls-session.js';
export { createDtlsCertificate, sharedDtlsCertificate, certificateFingerprint, type DtlsCertificate } from './certificate.js';
export { WeriftSrtpTransform, weriftSrtpFactory, defaultSrtpFactory, type SrtpTransform, type SrtpKeys, type SrtpFactory } from './srtp-transform.js';
export * from './stun.js';
export type * from './types.js';

/**
 * Tandem's SDP translation core: pure functions that turn the description of
 * one call leg into the description for the other leg (RFC 3264 offer/answer,
 * JSEP for the WebRTC leg, RFC 3551/4568 for the SIP leg). No I/O; ports,
 * keys, ICE credentials and SSRCs are inputs.
 *
 * Browser calls phone:  {@link webrtcOfferToSip} → (SIP answer) → {@link sipAnswerToWebrtc}.
 * Phone calls browser:  {@link sipOfferToWebrtc} → (WebRTC answer) → {@link webrtcAnswerToSip}.
 * Browser calls browser: {@link webrtcOfferToWebrtc} → (WebRTC answer) → {@link webrtcAnswerToWebrtc}
 * (both legs WebRTC, state in {@link RelayLegs}).
 * Phone calls phone:  {@link sipOfferToSip} → (SIP answer) → {@link sipAnswerToSip} (both legs
 * RTP/AVP or SDES, state in {@link RelayLegs}).
 * Each call keeps a {@link CallSdpLegs} (from {@link createLegState}) and
 * passes the returned `legs` into the next translation; re-offers (hold,
 * resume, codec change, ICE restart) use the same functions.
 *
 * @packageDocumentation
 */
export { SdpError, isSdpError, SDP_ERROR_STATUS, type SdpErrorCode } from './errors.js';
export { parseSdp, DEFAULT_MAX_SDP_SIZE, type ParsedSdp, type ParsedMedia, type ParseOptions } from './parse.js';
export {
  STATIC_AUDIO_PAYLOAD_TYPES, DEFAULT_G711_ORDER, OPUS_FMTP, isG711, isOpus, isDtmf, type G711Name,
} from './codecs.js';
export {
  parseCryptoAttribute, parseCryptoKeyParam, formatCryptoAttribute, formatCryptoKeyParam, makeCryptoAttribute,
  isSupportedCryptoSuite, SUPPORTED_CRYPTO_SUITES,
} from './crypto-attr.js';
export { createLegState, type SdpLegState, type CallSdpLegs, type CreateLegStateOptions, type MediaSlot } from './leg-state.js';
export { effectiveDirection, constrainAnswerDirection } from './media-info.js';
export {
  webrtcOfferToSip, webrtcAnswerToSip, chooseAnswerCrypto, DEFAULT_SIP_PTIME,
  type WebRtcOfferToSipOptions, type WebRtcAnswerToSipOptions, type PendingWebRtcOffer,
} from './webrtc-to-sip.js';
export {
  sipOfferToWebrtc, sipAnswerToWebrtc, type SipOfferToWebRtcOptions, type SipAnswerToWebRtcOptions, type PendingSipOffer,
} from './sip-to-webrtc.js';
export {
  webrtcOfferToWebrtc, webrtcAnswerToWebrtc, type RelayLegs, type WebRtcOfferToWebRtcOptions, type WebRtcAnswerToWebRtcOptions,
  type PendingWebRtcRelay, type RelayCodecPlan, type RelayOfferTranslation, type RelayAnswerTranslation,
} from './webrtc-to-webrtc.js';
export {
  sipOfferToSip, sipAnswerToSip, type SipOfferToSipOptions, type SipAnswerToSipOptions, type PendingSipRelay, type SipRelayCodecPlan,
  type SipRelayOfferTranslation, type SipRelayAnswerTranslation,
} from './sip-to-sip.js';
export type * from './types.js';

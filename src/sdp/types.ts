import type { CallSdpLegs } from './leg-state.js';

/**
 * Public data types of the SDP translation core. Everything here is plain data:
 * the functions that use them are pure and never allocate ports or keys.
 */

/** Media direction attribute, RFC 8866 §6.7 / RFC 3264 §5.1. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** How Tandem talks RTP to a SIP peer. */
export type SipProfile =
  /** Plain RTP/AVP. */
  | 'avp'
  /** RTP/SAVP with a=crypto (RFC 4568); SRTP is mandatory. */
  | 'sdes'
  /** RTP/AVP carrying a=crypto: SRTP if the peer answers with a key, plain RTP otherwise. */
  | 'sdes-optional';

/** DTLS role attribute, RFC 4145 §4 / RFC 5763 §5. */
export type DtlsSetup = 'active' | 'passive' | 'actpass' | 'holdconn';

/** A codec as written in (or read from) an m-line. */
export interface CodecSpec {
  /** RTP payload type 0–127. */
  readonly pt: number;
  /** Encoding name as found (case preserved), e.g. `PCMU`, `opus`, `telephone-event`. */
  readonly name: string;
  /** RTP clock rate in Hz. */
  readonly clockRate: number;
  /** Channel count (1 unless the rtpmap says otherwise). */
  readonly channels: number;
  /** Format parameters (`a=fmtp`), if any. */
  readonly fmtp?: string;
}

/** One ICE candidate (RFC 8839 §5.1). */
export interface IceCandidate {
  readonly foundation: string;
  readonly component: number;
  /** `UDP` or `TCP` (as written). */
  readonly transport: string;
  readonly priority: number;
  readonly address: string;
  readonly port: number;
  /** host, srflx, prflx, relay. */
  readonly type: string;
  readonly relatedAddress?: string;
  readonly relatedPort?: number;
  readonly tcpType?: string;
}

/** ICE parameters of one side (RFC 8839 §5.4). */
export interface IceParameters {
  readonly ufrag: string;
  readonly pwd: string;
  readonly candidates: readonly IceCandidate[];
  /** Write `a=ice-lite` at session level. Default false. */
  readonly lite?: boolean;
  /** Write `a=end-of-candidates` (all candidates are in the SDP). Default true. */
  readonly endOfCandidates?: boolean;
}

/** A DTLS certificate fingerprint (RFC 8122 §5). */
export interface DtlsFingerprint {
  /** Hash function, e.g. `sha-256`. */
  readonly algorithm: string;
  /** Upper-case hex bytes separated by colons. */
  readonly value: string;
}

/** An SDES crypto attribute (RFC 4568 §9.1). See crypto-attr.ts. */
export interface CryptoAttribute {
  /** The tag (1–999999999). */
  readonly tag: number;
  /** Crypto-suite, e.g. `AES_CM_128_HMAC_SHA1_80`. */
  readonly suite: string;
  /** One or more key parameters. */
  readonly keyParams: readonly CryptoKeyParam[];
  /** Session parameters (e.g. `UNENCRYPTED_SRTCP`, `KDR=0`), as written. */
  readonly sessionParams: readonly string[];
}

/** One `inline:` key parameter of an a=crypto attribute (RFC 4568 §9.2). */
export interface CryptoKeyParam {
  /** Base64 master key || master salt. */
  readonly keySalt: string;
  /** Lifetime as written (`2^31` or a decimal number), if present. */
  readonly lifetime?: string;
  /** MKI value and its length in bytes, if present. */
  readonly mki?: { readonly value: number; readonly length: number };
}

/** Tandem's own media on the WebRTC leg (inputs; allocated by the media engine). */
export interface WebRtcLocalMedia {
  /** Address for c= (the ICE candidates carry the real transport addresses). */
  readonly address: string;
  /** Port for the m-line (usually the default candidate's port). */
  readonly port: number;
  readonly ice: IceParameters;
  readonly fingerprint: DtlsFingerprint;
  /** Our sending SSRC (RFC 5576 a=ssrc). */
  readonly ssrc: number;
  /** RTCP CNAME for our SSRC. */
  readonly cname: string;
  /** MediaStream and track ids for a=msid (RFC 8830). Default `tandem` / `tandem-audio`. */
  readonly msid?: { readonly stream: string; readonly track: string };
}

/** Tandem's own media on the SIP leg (inputs; allocated by the media engine). */
export interface SipLocalMedia {
  readonly address: string;
  readonly port: number;
  /** RTCP port; default port + 1. An `a=rtcp` line (RFC 3605) is written when it differs. */
  readonly rtcpPort?: number;
  /**
   * Our SDES keys, one per crypto-suite we accept (tags are assigned by
   * position in offers, copied from the peer's offer in answers). Required for
   * the `sdes` profile; for `sdes-optional` and for SDES offers from SIP peers.
   */
  readonly crypto?: readonly CryptoAttribute[];
}

/** What we learned about the remote side's media from a description it sent. */
export interface RemoteMedia {
  /** Index of the m-line used for audio in that description. */
  readonly mLineIndex: number;
  /** Connection address (c=); for WebRTC peers the ICE candidates matter instead. */
  readonly address: string;
  readonly port: number;
  /** RTCP port: a=rtcp, else port + 1; equals `port` when rtcp-mux is used. */
  readonly rtcpPort: number;
  readonly rtcpMux: boolean;
  /** Direction as the remote declared it (legacy c=0.0.0.0 hold mapped, RFC 3264 §8.4). */
  readonly direction: MediaDirection;
  /** True when the remote put us on hold (sendonly/inactive or legacy c=0.0.0.0). */
  readonly hold: boolean;
  /** True when hold was signalled the RFC 2543 way (c=0.0.0.0 / ::). */
  readonly legacyHold: boolean;
  /** Remote SSRCs from a=ssrc (RFC 5576), unique, in order. */
  readonly ssrcs: readonly number[];
  /** a=ptime, if any. */
  readonly ptime?: number;
  /** ICE parameters (WebRTC peers). */
  readonly ice?: { readonly ufrag: string; readonly pwd: string; readonly candidates: readonly IceCandidate[]; readonly lite: boolean };
  /** DTLS fingerprints (WebRTC peers). */
  readonly fingerprints?: readonly DtlsFingerprint[];
  /** DTLS setup role the remote declared. */
  readonly setup?: DtlsSetup;
}

/**
 * The codec decision for the media engine (RFC 3264 §6.1: the answer decides).
 * `passthrough`: both legs use the same G.711 codec, RTP payload is relayed.
 * `transcode`: Opus on the WebRTC leg, G.711 on the SIP leg.
 */
export interface CodecPlan {
  readonly mode: 'passthrough' | 'transcode';
  /** Codec (with the WebRTC leg's payload type) used on the WebRTC leg. */
  readonly webrtc: CodecSpec;
  /** Codec (with the SIP leg's payload type) used on the SIP leg. */
  readonly sip: CodecSpec;
  /** telephone-event on the WebRTC leg (clock matches `webrtc`), if negotiated. */
  readonly webrtcDtmf?: CodecSpec;
  /** telephone-event/8000 on the SIP leg, if negotiated. */
  readonly sipDtmf?: CodecSpec;
  /** Packetization time on the SIP leg in ms. */
  readonly sipPtime: number;
}

/** SDES keys in force on the SIP leg once the answer is known (RFC 4568 §6.1). */
export interface SrtpKeys {
  /** Our key (we encrypt with it). */
  readonly local: CryptoAttribute;
  /** The peer's key (we decrypt with it). */
  readonly remote: CryptoAttribute;
}

/** Result of translating an offer from one leg into the offer for the other leg. */
export interface OfferTranslation<P> {
  /** The offer to send on the other leg. */
  readonly sdp: string;
  /**
   * False when the offer is identical to the last description we sent on that
   * leg (same o= version, RFC 3264 §8), e.g. a browser ICE restart or a
   * session refresh: the session layer may skip the re-INVITE there.
   */
  readonly changed: boolean;
  /** Both legs' state, updated (store it for the next translation). */
  readonly legs: CallSdpLegs;
  /** What the answer translation needs (store it until the answer arrives). */
  readonly pending: P;
  /** The offerer's media, for the media engine. */
  readonly remote: RemoteMedia;
  /** The offerer changed its ICE ufrag: an ICE restart (RFC 8839 §4.4.1.1.1). */
  readonly iceRestart: boolean;
}

/** Result of translating an answer from one leg into the answer for the other leg. */
export interface AnswerTranslation {
  /** The answer to send on the other leg. */
  readonly sdp: string;
  /** False when identical to the last description we sent on that leg (same o= version). */
  readonly changed: boolean;
  readonly legs: CallSdpLegs;
  /** The codec decision for the media engine. */
  readonly plan: CodecPlan;
  /** The answerer's media. */
  readonly remote: RemoteMedia;
  /** SDES keys on the SIP leg, when SRTP was negotiated there. */
  readonly srtp?: SrtpKeys;
  /** The direction written in the answer we send. */
  readonly direction: MediaDirection;
  /** The answerer changed its ICE ufrag (WebRTC answers only). */
  readonly iceRestart: boolean;
}

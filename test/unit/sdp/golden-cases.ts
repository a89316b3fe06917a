// Loads and runs the golden SDP cases under test/fixtures/sdp/<case>/.
import fs from 'node:fs';
import path from 'node:path';
import { fixturesDir } from '../../helpers/paths.js';
import {
  createLegState, sipAnswerToSip, sipAnswerToWebrtc, sipOfferToSip, sipOfferToWebrtc, webrtcAnswerToSip, webrtcAnswerToWebrtc, webrtcOfferToSip, webrtcOfferToWebrtc,
  type AnswerTranslation, type CallSdpLegs, type RelayAnswerTranslation, type RelayLegs, type SipLocalMedia, type SipProfile, type SipRelayAnswerTranslation,
  type WebRtcLocalMedia,
} from '../../../src/sdp/index.js';
import { PLACEHOLDER_SIP_MEDIA, PLACEHOLDER_WEBRTC_MEDIA } from '../../../src/cli/sdp.js';

export const goldenDir = path.join(fixturesDir, 'sdp');

export type CaseDirection = 'webrtc-offer-to-sip' | 'sip-answer-to-webrtc' | 'sip-offer-to-webrtc' | 'webrtc-answer-to-sip'
  | 'webrtc-offer-to-webrtc' | 'webrtc-answer-to-webrtc' | 'sip-offer-to-sip' | 'sip-answer-to-sip';

/** case.json */
export interface CaseSpec {
  direction: CaseDirection;
  description: string;
  /** Where the input comes from: "captured: ..." or "documented shape: ...". */
  source: string;
  profile?: SipProfile;
  allowTranscode?: boolean;
  preferOpus?: boolean;
  setup?: 'active' | 'passive';
  /** webrtc-offer-to-webrtc: a=setup of the relayed offer (default actpass). */
  offerSetup?: 'actpass' | 'active' | 'passive';
  ptime?: number;
  sipLocal?: Partial<SipLocalMedia>;
  webrtcLocal?: Partial<WebRtcLocalMedia>;
  /** Offer file for answer cases (the original offer of the other leg). */
  offer?: string;
  /** An earlier offer in the same direction, translated first (re-offer cases). */
  previous?: string;
  expect?: {
    error?: string;
    sipStatus?: number;
    mode?: 'passthrough' | 'transcode';
    webrtcCodec?: string;
    sipCodec?: string;
    webrtcDtmf?: string;
    sipDtmf?: string;
    iceRestart?: boolean;
    changed?: boolean;
    remoteHold?: boolean;
    legacyHold?: boolean;
    srtp?: boolean;
    /** webrtc-answer-to-webrtc: codec (name/rate/pt) on the offerer's and the answerer's leg, telephone-event ('none' if absent). */
    offererCodec?: string;
    answererCodec?: string;
    offererDtmf?: string;
    answererDtmf?: string;
    /** webrtc-answer-to-webrtc: direction written in the answer to the offerer. */
    direction?: string;
    /** sip-answer-to-sip: SDES keys on the offerer's / answerer's leg. */
    srtpOfferer?: boolean;
    srtpAnswerer?: boolean;
    /** sip-answer-to-sip: a=ptime on the offerer's / answerer's leg. */
    offererPtime?: number;
    answererPtime?: number;
  };
}

export interface CaseResult {
  sdp: string;
  changed: boolean;
  iceRestart: boolean;
  remoteHold: boolean;
  legacyHold: boolean;
  answer?: AnswerTranslation;
  relay?: RelayAnswerTranslation;
  sipRelay?: SipRelayAnswerTranslation;
}

export function listCases(): string[] {
  return fs.readdirSync(goldenDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(goldenDir, d.name, 'case.json')))
    .map((d) => d.name)
    .sort();
}

export function loadCase(name: string): { spec: CaseSpec; dir: string; input: string } {
  const dir = path.join(goldenDir, name);
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseSpec;
  return { spec, dir, input: fs.readFileSync(path.join(dir, 'input.sdp'), 'utf8') };
}

/** Golden files are stored with LF line ends; real SDP uses CRLF. */
export const toCrlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');
export const toLf = (s: string): string => s.replace(/\r\n/g, '\n');

export function runCase(name: string): CaseResult {
  const { spec, dir, input } = loadCase(name);
  const read = (f: string): string => toCrlf(fs.readFileSync(path.join(dir, f), 'utf8'));
  const sipLocal: SipLocalMedia = { ...PLACEHOLDER_SIP_MEDIA, ...spec.sipLocal };
  const webrtcLocal: WebRtcLocalMedia = { ...PLACEHOLDER_WEBRTC_MEDIA, ...spec.webrtcLocal };
  let legs: CallSdpLegs = { webrtc: createLegState({ sessionId: '1000000001' }), sip: createLegState({ sessionId: '1000000002' }) };
  const profile = spec.profile ?? 'avp';
  const common = { allowTranscode: spec.allowTranscode };
  switch (spec.direction) {
    case 'webrtc-offer-to-sip': {
      if (spec.previous) legs = webrtcOfferToSip(read(spec.previous), { profile, local: sipLocal, legs, ...common, ptime: spec.ptime }).legs;
      const r = webrtcOfferToSip(toCrlf(input), { profile, local: sipLocal, legs, ...common, ptime: spec.ptime });
      return { sdp: r.sdp, changed: r.changed, iceRestart: r.iceRestart, remoteHold: r.remote.hold, legacyHold: r.remote.legacyHold };
    }
    case 'sip-offer-to-webrtc': {
      const opts = { local: webrtcLocal, ...common, preferOpus: spec.preferOpus };
      if (spec.previous) legs = sipOfferToWebrtc(read(spec.previous), { ...opts, legs }).legs;
      const r = sipOfferToWebrtc(toCrlf(input), { ...opts, legs });
      return { sdp: r.sdp, changed: r.changed, iceRestart: r.iceRestart, remoteHold: r.remote.hold, legacyHold: r.remote.legacyHold };
    }
    case 'sip-answer-to-webrtc': {
      const o = webrtcOfferToSip(read(spec.offer ?? 'offer.sdp'), { profile, local: sipLocal, legs, ...common, ptime: spec.ptime });
      const a = sipAnswerToWebrtc(toCrlf(input), { pending: o.pending, local: webrtcLocal, legs: o.legs, setup: spec.setup });
      return { sdp: a.sdp, changed: a.changed, iceRestart: a.iceRestart, remoteHold: a.remote.hold, legacyHold: a.remote.legacyHold, answer: a };
    }
    case 'webrtc-answer-to-sip': {
      const o = sipOfferToWebrtc(read(spec.offer ?? 'offer.sdp'), { local: webrtcLocal, legs, ...common, preferOpus: spec.preferOpus });
      const a = webrtcAnswerToSip(toCrlf(input), { pending: o.pending, local: sipLocal, legs: o.legs, ptime: spec.ptime });
      return { sdp: a.sdp, changed: a.changed, iceRestart: a.iceRestart, remoteHold: a.remote.hold, legacyHold: a.remote.legacyHold, answer: a };
    }
    case 'webrtc-offer-to-webrtc': {
      // browser → browser: offer from browser A (input) → our offer to browser B
      let relay: RelayLegs = { offerer: legs.webrtc, answerer: legs.sip };
      if (spec.previous) relay = webrtcOfferToWebrtc(read(spec.previous), { local: webrtcLocal, legs: relay, setup: spec.offerSetup }).legs;
      const r = webrtcOfferToWebrtc(toCrlf(input), { local: webrtcLocal, legs: relay, setup: spec.offerSetup });
      return { sdp: r.sdp, changed: r.changed, iceRestart: r.iceRestart, remoteHold: r.remote.hold, legacyHold: r.remote.legacyHold };
    }
    case 'webrtc-answer-to-webrtc': {
      // browser → browser: browser B's answer (input) to our offer made from A's offer (offer.sdp) → answer to A
      const o = webrtcOfferToWebrtc(read(spec.offer ?? 'offer.sdp'), { local: webrtcLocal, legs: { offerer: legs.webrtc, answerer: legs.sip } });
      const a = webrtcAnswerToWebrtc(toCrlf(input), { pending: o.pending, local: webrtcLocal, legs: o.legs, setup: spec.setup });
      return { sdp: a.sdp, changed: a.changed, iceRestart: a.iceRestart, remoteHold: a.remote.hold, legacyHold: a.remote.legacyHold, relay: a };
    }
    case 'sip-offer-to-sip': {
      // phone → phone: offer from phone A (input) → our offer to phone B (profile = B's)
      let relay: RelayLegs = { offerer: legs.sip, answerer: legs.webrtc };
      if (spec.previous) relay = sipOfferToSip(read(spec.previous), { profile, local: sipLocal, legs: relay, ptime: spec.ptime }).legs;
      const r = sipOfferToSip(toCrlf(input), { profile, local: sipLocal, legs: relay, ptime: spec.ptime });
      return { sdp: r.sdp, changed: r.changed, iceRestart: false, remoteHold: r.remote.hold, legacyHold: r.remote.legacyHold };
    }
    case 'sip-answer-to-sip': {
      // phone → phone: phone B's answer (input) to our offer made from A's offer (offer.sdp) → answer to A
      const o = sipOfferToSip(read(spec.offer ?? 'offer.sdp'), { profile, local: sipLocal, legs: { offerer: legs.sip, answerer: legs.webrtc }, ptime: spec.ptime });
      const a = sipAnswerToSip(toCrlf(input), { pending: o.pending, local: sipLocal, legs: o.legs });
      return { sdp: a.sdp, changed: a.changed, iceRestart: false, remoteHold: a.remote.hold, legacyHold: a.remote.legacyHold, sipRelay: a };
    }
    default:
      throw new Error(`case ${name}: unknown direction ${String(spec.direction)}`);
  }
}

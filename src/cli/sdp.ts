/**
 * `tandem sdp`: prints the SDP Tandem would send for a given input, with
 * placeholder addresses, ports, keys and ICE credentials. For operators
 * checking interop with a phone or browser without placing a call.
 *
 *   tandem sdp --from webrtc --to sip [--profile avp|sdes|sdes-optional] < browser-offer.sdp
 *   tandem sdp --from sip --to webrtc < phone-offer.sdp
 *   tandem sdp --from sip --to webrtc --offer browser-offer.sdp < phone-answer.sdp   (answer direction)
 */
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import {
  createLegState, isSdpError, makeCryptoAttribute, sipAnswerToWebrtc, sipOfferToWebrtc, webrtcAnswerToSip, webrtcOfferToSip,
  DEFAULT_MAX_SDP_SIZE, type CallSdpLegs, type SipLocalMedia, type SipProfile, type WebRtcLocalMedia,
} from '../sdp/index.js';

const USAGE = 'usage: tandem sdp --from webrtc|sip --to sip|webrtc [--profile avp|sdes|sdes-optional] [--offer OFFER.sdp] [--setup active|passive] [--no-transcode] < in.sdp';

/** Placeholder SIP-leg media (what the media engine would allocate). */
export const PLACEHOLDER_SIP_MEDIA: SipLocalMedia = Object.freeze({
  address: '127.0.0.1',
  port: 40000,
  rtcpPort: 40001,
  crypto: [
    makeCryptoAttribute({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keySalt: 'PLACEHOLDERSRTPKEY80PLACEHOLDERSRTPKEY80' }),
    makeCryptoAttribute({ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', keySalt: 'PLACEHOLDERSRTPKEY32PLACEHOLDERSRTPKEY32' }),
  ],
});

/** Placeholder WebRTC-leg media. The fingerprint is syntactically valid but belongs to no certificate. */
export const PLACEHOLDER_WEBRTC_MEDIA: WebRtcLocalMedia = Object.freeze({
  address: '127.0.0.1',
  port: 40002,
  ice: {
    ufrag: 'PLACEHOLDERUFRAG',
    pwd: 'PLACEHOLDERICEPASSWORD00',
    candidates: [{ foundation: '1', component: 1, transport: 'UDP', priority: 2130706431, address: '127.0.0.1', port: 40002, type: 'host' }],
  },
  fingerprint: {
    algorithm: 'sha-256',
    value: Array.from({ length: 32 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0')).join(':'),
  },
  ssrc: 1111111111,
  cname: 'tandem-placeholder',
});

/** Fresh placeholder leg states (o= session ids 1000000001 / 1000000002). */
export function placeholderLegs(): CallSdpLegs {
  return { webrtc: createLegState({ sessionId: '1000000001' }), sip: createLegState({ sessionId: '1000000002' }) };
}

interface CliArgs {
  from: 'webrtc' | 'sip';
  to: 'webrtc' | 'sip';
  profile: SipProfile;
  offer?: string;
  setup: 'active' | 'passive';
  allowTranscode: boolean;
}

function parseArgs(argv: readonly string[]): CliArgs | string {
  const out: Partial<CliArgs> = { profile: 'avp', setup: 'passive', allowTranscode: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (a) {
      case '--from': { const v = next(); if (v !== 'webrtc' && v !== 'sip') return `--from must be webrtc or sip`; out.from = v; break; }
      case '--to': { const v = next(); if (v !== 'webrtc' && v !== 'sip') return `--to must be webrtc or sip`; out.to = v; break; }
      case '--profile': {
        const v = next();
        if (v !== 'avp' && v !== 'sdes' && v !== 'sdes-optional') return '--profile must be avp, sdes or sdes-optional';
        out.profile = v; break;
      }
      case '--offer': { const v = next(); if (!v) return '--offer needs a file'; out.offer = v; break; }
      case '--setup': { const v = next(); if (v !== 'active' && v !== 'passive') return '--setup must be active or passive'; out.setup = v; break; }
      case '--no-transcode': out.allowTranscode = false; break;
      default: return `unknown option ${a}`;
    }
  }
  if (!out.from || !out.to) return '--from and --to are required';
  if (out.from === out.to) return '--from and --to must differ';
  return out as CliArgs;
}

async function readAll(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    size += b.length;
    chunks.push(b);
    if (size > limit) break; // parseSdp reports ERR_SDP_TOO_LARGE
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs `tandem sdp` with the given arguments and streams; returns the exit
 * code: 0 ok, 1 the SDP was refused (message on stderr), 2 usage error.
 */
export async function runSdpCli(argv: string[], stdin: Readable, stdout: Writable, stderr: Writable): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    stderr.write(`tandem sdp: ${args}\n${USAGE}\n`);
    return 2;
  }
  let offerText: string | undefined;
  if (args.offer !== undefined) {
    try {
      offerText = await readFile(args.offer, 'utf8');
    } catch (e) {
      stderr.write(`tandem sdp: cannot read ${args.offer}: ${(e as NodeJS.ErrnoException).code ?? 'error'}\n`);
      return 2;
    }
  }
  const input = await readAll(stdin, DEFAULT_MAX_SDP_SIZE + 1);
  try {
    const legs = placeholderLegs();
    const sipLocal = PLACEHOLDER_SIP_MEDIA;
    const webrtcLocal = PLACEHOLDER_WEBRTC_MEDIA;
    let sdp: string;
    if (args.from === 'webrtc' && offerText === undefined) {
      sdp = webrtcOfferToSip(input, { profile: args.profile, local: sipLocal, legs, allowTranscode: args.allowTranscode }).sdp;
    } else if (args.from === 'sip' && offerText === undefined) {
      sdp = sipOfferToWebrtc(input, { local: webrtcLocal, legs, allowTranscode: args.allowTranscode }).sdp;
    } else if (args.from === 'sip') {
      // input is the SIP answer to the browser's offer in --offer
      const o = webrtcOfferToSip(offerText ?? '', { profile: args.profile, local: sipLocal, legs, allowTranscode: args.allowTranscode });
      sdp = sipAnswerToWebrtc(input, { pending: o.pending, local: webrtcLocal, legs: o.legs, setup: args.setup }).sdp;
    } else {
      // input is the browser's answer to the phone's offer in --offer
      const o = sipOfferToWebrtc(offerText ?? '', { local: webrtcLocal, legs, allowTranscode: args.allowTranscode });
      sdp = webrtcAnswerToSip(input, { pending: o.pending, local: sipLocal, legs: o.legs }).sdp;
    }
    stdout.write(sdp);
    return 0;
  } catch (e) {
    if (isSdpError(e)) {
      stderr.write(`tandem sdp: ${e.code} (SIP ${e.sipStatus}): ${e.reason}\n`);
      return 1;
    }
    throw e;
  }
}

import { SdpError } from './errors.js';
import type { CryptoAttribute, CryptoKeyParam } from './types.js';

/**
 * SDES crypto-suites Tandem can key (RFC 4568 §6.2), with their master key +
 * salt length in bytes (key 16 + salt 14).
 */
export const SUPPORTED_CRYPTO_SUITES: Readonly<Record<string, number>> = Object.freeze({
  AES_CM_128_HMAC_SHA1_80: 30,
  AES_CM_128_HMAC_SHA1_32: 30,
});

/** True when Tandem can do SRTP with this crypto-suite. */
export function isSupportedCryptoSuite(suite: string): boolean {
  return Object.hasOwn(SUPPORTED_CRYPTO_SUITES, suite);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SUITE = /^[A-Za-z0-9_]{1,64}$/;
const LIFETIME = /^(?:2\^\d{1,2}|\d{1,20})$/;
const MKI = /^(\d{1,10}):(\d{1,3})$/;

function bad(reason: string): SdpError {
  return new SdpError('ERR_SDP_PARSE', `invalid a=crypto: ${reason}`);
}

/**
 * Parses one `inline:` key parameter (RFC 4568 §9.2):
 * `inline:<key||salt>[|<lifetime>][|<MKI>:<length>]`.
 * @throws SdpError ERR_SDP_PARSE
 */
export function parseCryptoKeyParam(text: string): CryptoKeyParam {
  if (!text.startsWith('inline:')) throw bad('key method is not inline');
  const parts = text.slice(7).split('|');
  const keySalt = parts[0];
  if (keySalt.length === 0 || keySalt.length > 256 || !BASE64.test(keySalt)) throw bad('key is not base64');
  let lifetime: string | undefined;
  let mki: { value: number; length: number } | undefined;
  for (const p of parts.slice(1)) {
    const m = MKI.exec(p);
    if (m && mki === undefined) {
      const length = Number(m[2]);
      if (length < 1 || length > 128) throw bad('MKI length out of range');
      mki = { value: Number(m[1]), length };
    } else if (LIFETIME.test(p) && lifetime === undefined && mki === undefined) {
      lifetime = p;
    } else {
      throw bad('bad lifetime or MKI');
    }
  }
  return { keySalt, ...(lifetime !== undefined ? { lifetime } : {}), ...(mki !== undefined ? { mki } : {}) };
}

/**
 * Parses the value of an `a=crypto:` attribute (the text after `crypto:`),
 * RFC 4568 §9.1: `<tag> <crypto-suite> <key-params> [<session-params>]`.
 * For a suite Tandem supports, the decoded key length is checked as well.
 * @throws SdpError ERR_SDP_PARSE
 */
export function parseCryptoAttribute(value: string): CryptoAttribute {
  if (typeof value !== 'string' || value.length > 1024) throw bad('not a string or too long');
  const fields = value.trim().split(/[ \t]+/);
  if (fields.length < 3) throw bad('missing fields');
  const [tagText, suite, keyParamsText, ...sessionParams] = fields;
  if (!/^\d{1,9}$/.test(tagText)) throw bad('tag is not 1-9 digits');
  const tag = Number(tagText);
  if (!SUITE.test(suite)) throw bad('bad crypto-suite');
  const keyParams = keyParamsText.split(';').map(parseCryptoKeyParam);
  const want = SUPPORTED_CRYPTO_SUITES[suite];
  if (want !== undefined) {
    for (const k of keyParams) {
      if (Buffer.from(k.keySalt, 'base64').length !== want) throw bad(`${suite} key must be ${want} bytes`);
    }
  }
  return { tag, suite, keyParams, sessionParams };
}

/** Formats a key parameter as `inline:KEY[|lifetime][|MKI:len]`. */
export function formatCryptoKeyParam(k: CryptoKeyParam): string {
  let s = `inline:${k.keySalt}`;
  if (k.lifetime !== undefined) s += `|${k.lifetime}`;
  if (k.mki !== undefined) s += `|${k.mki.value}:${k.mki.length}`;
  return s;
}

/** Formats the value of an `a=crypto:` attribute (without the `a=crypto:` prefix). */
export function formatCryptoAttribute(c: CryptoAttribute): string {
  const parts = [String(c.tag), c.suite, c.keyParams.map(formatCryptoKeyParam).join(';'), ...c.sessionParams];
  return parts.join(' ');
}

/**
 * Builds a crypto attribute from a key the caller generated (this function
 * never creates key material).
 * @param opts.keySalt base64 of master key || master salt (30 bytes for AES_CM_128).
 */
export function makeCryptoAttribute(opts: {
  tag: number;
  suite: string;
  keySalt: string;
  lifetime?: string;
  mki?: { value: number; length: number };
  sessionParams?: readonly string[];
}): CryptoAttribute {
  const attr: CryptoAttribute = {
    tag: opts.tag,
    suite: opts.suite,
    keyParams: [{ keySalt: opts.keySalt, ...(opts.lifetime !== undefined ? { lifetime: opts.lifetime } : {}), ...(opts.mki !== undefined ? { mki: opts.mki } : {}) }],
    sessionParams: [...(opts.sessionParams ?? [])],
  };
  // Round-trip through the parser so a bad key is caught here, not by the peer.
  try {
    return parseCryptoAttribute(formatCryptoAttribute(attr));
  } catch (e) {
    throw new SdpError('ERR_SDP_INVALID_OPTIONS', `invalid local crypto: ${(e as Error).message}`, { cause: e });
  }
}

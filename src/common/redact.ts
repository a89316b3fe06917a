/**
 * Secret scrubbing for anything that may reach a log line: SDES keys
 * (`a=crypto ... inline:KEY`), ICE passwords (`a=ice-pwd:`), SIP digest
 * responses and passwords in key=value text. Not on any per-packet path.
 */
const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:32
  [/(inline:)[A-Za-z0-9+/=]+/g, '$1[REDACTED]'],
  [/(a=ice-pwd:)\S+/g, '$1[REDACTED]'],
  // Authorization / Proxy-Authorization digest response and cnonce-bound values
  [/(\bresponse\s*=\s*")[^"]*(")/gi, '$1[REDACTED]$2'],
  [/(\bpassword\s*[=:]\s*"?)[^"\s,;&]+/gi, '$1[REDACTED]'],
  [/(\bsecret\s*[=:]\s*"?)[^"\s,;&]+/gi, '$1[REDACTED]'],
];

/** Returns `text` with every known secret replaced by `[REDACTED]`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** Object keys whose values are always redacted, wherever they appear. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'password', 'passwd', 'secret', 'icePwd', 'ice-pwd', 'icePassword', 'key', 'keyParams', 'masterKey',
  'masterSalt', 'token', 'ha1', 'tokenSecret', 'nonceSecret', 'authorization', 'proxy-authorization', 'cookie', 'srtpKey', 'inline',
]);

/** Deep copy of `value` with secret keys redacted and strings scrubbed. Bounded depth. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length}]`;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.has(k) ? '[REDACTED]' : redactValue(v, depth + 1);
  }
  return out;
}

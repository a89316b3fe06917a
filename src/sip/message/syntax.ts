/**
 * Low-level RFC 3261 §25.1 syntax helpers shared by the header parsers: token checks,
 * list splitting, quoted strings and generic parameters. All functions throw
 * `SipParseError` (code `ERR_SIP_PARSE`) on malformed input and nothing else.
 */
import { SipParseError } from '../errors.js';

/** Ordered generic parameters; keys are lower case, a value of `null` means "no value". */
export type SipParams = Map<string, string | null>;

const TOKEN_EXTRA = "-.!%*_+`'~";

/** RFC 3261 `token` character. */
export function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || TOKEN_EXTRA.includes(c);
}

/** True when `s` is a non-empty RFC 3261 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s[i])) return false;
  return true;
}

/** Throws a 400-class parse error. */
export function fail(message: string, data: Record<string, unknown> = {}): never {
  throw new SipParseError('ERR_SIP_PARSE', message, { data });
}

/** Whitespace as allowed in LWS/SWS (after unfolding): SP and HTAB. */
export function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/** Index of the first non-whitespace character at or after `i`. */
export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s[i])) i++;
  return i;
}

/**
 * Splits a header value on commas that are outside quoted strings and `<...>`
 * (RFC 3261 §7.3.1). Parts are trimmed. An empty part is kept (callers reject it).
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '<') inAngle = true;
    else if (c === '>') inAngle = false;
    else if (c === ',' && !inAngle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

/**
 * Reads a quoted-string starting at `s[i] === '"'`. Returns the unescaped content and
 * the index after the closing quote. Unterminated → parse error (RFC 4475 §3.1.2.6).
 */
export function readQuoted(s: string, i: number): { value: string; end: number } {
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') {
      if (j + 1 >= s.length) break;
      out += s[j + 1];
      j++;
    } else if (c === '"') {
      return { value: out, end: j + 1 };
    } else out += c;
  }
  return fail('unterminated quoted string');
}

/** Quotes a display name or parameter value, escaping `"` and `\` (RFC 3261 §25.1 quoted-pair). */
export function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, (m) => '\\' + m) + '"';
}

/**
 * Parses `*( SEMI generic-param )` starting at `s[i]` (which must be `;` or the end).
 * SWS around `;` and `=` is allowed (RFC 4475 §3.1.1.1). Values may be tokens, hosts
 * or quoted strings (kept with their quotes). An empty parameter name is an error.
 */
export function parseParams(s: string, i: number, params: SipParams = new Map()): SipParams {
  i = skipWs(s, i);
  while (i < s.length) {
    if (s[i] !== ';') fail('expected ";" before parameter', { at: i });
    i = skipWs(s, i + 1);
    let j = i;
    while (j < s.length && isTokenChar(s[j])) j++;
    const name = s.slice(i, j);
    if (name.length === 0) fail('empty parameter name');
    i = skipWs(s, j);
    let value: string | null = null;
    if (s[i] === '=') {
      i = skipWs(s, i + 1);
      if (s[i] === '"') {
        const q = readQuoted(s, i);
        value = s.slice(i, q.end);
        i = q.end;
      } else {
        j = i;
        while (j < s.length && (isTokenChar(s[j]) || s[j] === ':' || s[j] === '[' || s[j] === ']')) j++;
        value = s.slice(i, j);
        if (value.length === 0) fail('empty parameter value', { name });
        i = j;
      }
    }
    params.set(name.toLowerCase(), value);
    i = skipWs(s, i);
  }
  return params;
}

/** Serializes parameters as `;name=value;flag`. */
export function formatParams(params: SipParams): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** Removes surrounding quotes from a parameter value, if any. */
export function unquoteParam(v: string | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') return readQuoted(v, 0).value;
  return v;
}

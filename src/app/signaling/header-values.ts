/**
 * Small, allocation-light readers for the header values the app needs (RFC 3261 §20, §25.1):
 * splitting comma lists outside quotes and angle brackets, name-addr with parameters, and the
 * user/host of a SIP URI. drachtio-srf has parsers too, but these also run on test fakes and
 * treat bad input as `null`, never as an exception.
 */

/** A parsed name-addr / addr-spec with header parameters (after `>`). */
export interface NameAddrValue {
  display?: string;
  uri: string;
  /** Header parameters, names lower-cased; a flag parameter has value ''. */
  params: Record<string, string>;
}

/** Splits a header value on commas that are outside "quotes" and <angle brackets>. */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((s) => s !== '');
}

function parseParams(text: string): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (const part of text.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (!/^[a-z0-9.!%*_+`'~-]+$/.test(name)) return null;
    let v = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    params[name] = v;
  }
  return params;
}

/** Parses one name-addr (`"Bob" <sip:bob@h>;tag=x`) or addr-spec (`sip:bob@h;expires=60`). */
export function parseNameAddr(value: string): NameAddrValue | null {
  const v = value.trim();
  if (v === '') return null;
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return null;
    let display = v.slice(0, lt).trim();
    if (display.startsWith('"') && display.endsWith('"') && display.length >= 2) display = display.slice(1, -1);
    const uri = v.slice(lt + 1, gt).trim();
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) return null;
    const rest = v.slice(gt + 1).trim();
    if (rest !== '' && !rest.startsWith(';')) return null;
    const params = parseParams(rest);
    if (!params) return null;
    return display === '' ? { uri, params } : { display, uri, params };
  }
  // addr-spec: parameters after the URI belong to the header (RFC 3261 §20.10)
  const semi = v.indexOf(';');
  const uri = semi < 0 ? v : v.slice(0, semi);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^\s;,]+$/.test(uri)) return null;
  const params = parseParams(semi < 0 ? '' : v.slice(semi));
  if (!params) return null;
  return { uri, params };
}

/** user, host and port of a sip:/sips: URI; null for other schemes or garbage. */
export function parseSipUri(uri: string): { scheme: 'sip' | 'sips'; user?: string; host: string; port?: number; params: Record<string, string> } | null {
  const m = /^(sips?):(?:([^@;?]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?((?:;[^?]*)?)(?:\?.*)?$/i.exec(uri.trim());
  if (!m) return null;
  const params = parseParams(m[5] ?? '') ?? {};
  const user = m[2] === undefined ? undefined : decodeURIComponentSafe(m[2].split(':')[0]);
  return {
    scheme: m[1].toLowerCase() as 'sip' | 'sips', host: m[3].toLowerCase(), params,
    ...(user === undefined ? {} : { user }),
    ...(m[4] === undefined ? {} : { port: Number(m[4]) }),
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

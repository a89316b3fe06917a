import crypto from 'node:crypto';

/**
 * Server side of SIP digest authentication (RFC 3261 §22.4, RFC 7616 / RFC 8760):
 * MD5 and SHA-256, qop=auth, stateless nonces with an expiry (HMAC-signed
 * timestamp), and replay protection (nonce-count must increase per nonce).
 */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

export interface DigestServerOptions {
  realm: string;
  /** Secret that signs nonces; random per process when omitted. */
  nonceSecret?: Buffer;
  /** Nonce lifetime in seconds (stale=true after). Default 300. */
  nonceTtlSeconds?: number;
  /** Algorithms offered, in order of preference. Default SHA-256 then MD5. */
  algorithms?: DigestAlgorithm[];
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /** Bound on tracked nonces for replay protection. Default 100000. */
  maxTrackedNonces?: number;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

export type DigestVerdict =
  | { ok: true; username: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'realm' | 'stale' | 'bad-nonce' | 'replay' | 'unknown-user' | 'bad-response' | 'algorithm'; stale?: boolean };

const H: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

function hash(alg: DigestAlgorithm, s: string): string {
  return crypto.createHash(H[alg]).update(s).digest('hex');
}

/** Parses `Digest k=v, k="v"` into a map (keys lower-cased). Returns null when it is not Digest or malformed. */
export function parseDigestHeader(value: string): Record<string, string> | null {
  const m = /^\s*Digest\s+/i.exec(value);
  if (!m) return null;
  const out: Record<string, string> = {};
  let i = m[0].length;
  const n = value.length;
  const skipWs = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  while (i < n) {
    skipWs();
    const k0 = i;
    while (i < n && /[A-Za-z0-9_-]/.test(value[i])) i++;
    if (i === k0) return null;
    const key = value.slice(k0, i).toLowerCase();
    skipWs();
    if (value[i] !== '=') return null;
    i++;
    skipWs();
    let val = '';
    if (value[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = value[i++];
        if (c === '\\' && i < n) val += value[i++];
        else if (c === '"') {
          closed = true;
          break;
        } else val += c;
      }
      if (!closed) return null;
    } else {
      const v0 = i;
      while (i < n && value[i] !== ',' && value[i] !== ' ' && value[i] !== '\t') i++;
      val = value.slice(v0, i);
      if (val === '') return null;
    }
    out[key] = val;
    skipWs();
    if (i < n) {
      if (value[i] !== ',') return null;
      i++;
    }
  }
  return out;
}

/** HA1 = H(username:realm:password); store this instead of the password where possible. */
export function digestHa1(alg: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hash(alg, `${username}:${realm}:${password}`);
}

/** The response a client computes (used by tests and by outbound auth). */
export function digestResponse(alg: DigestAlgorithm, ha1: string, method: string, c: { nonce: string; uri: string; qop?: string; nc?: string; cnonce?: string }): string {
  const ha2 = hash(alg, `${method}:${c.uri}`);
  return c.qop ? hash(alg, `${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}`) : hash(alg, `${ha1}:${c.nonce}:${ha2}`);
}

export class DigestServer {
  private readonly secret: Buffer;
  private readonly ttlMs: number;
  private readonly algorithms: DigestAlgorithm[];
  private readonly now: () => number;
  private readonly maxTracked: number;
  /** nonce → highest nonce-count seen. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly opts: DigestServerOptions) {
    this.secret = opts.nonceSecret ?? crypto.randomBytes(32);
    this.ttlMs = (opts.nonceTtlSeconds ?? 300) * 1000;
    this.algorithms = opts.algorithms ?? ['SHA-256', 'MD5'];
    this.now = opts.now ?? Date.now;
    this.maxTracked = opts.maxTrackedNonces ?? 100_000;
  }

  get realm(): string {
    return this.opts.realm;
  }

  /** A fresh nonce: base64url(ts ‖ random ‖ HMAC(ts ‖ random)). */
  newNonce(): string {
    const body = Buffer.alloc(16);
    body.writeBigUInt64BE(BigInt(this.now()), 0);
    crypto.randomFillSync(body, 8, 8);
    const mac = crypto.createHmac('sha256', this.secret).update(body).digest().subarray(0, 16);
    return Buffer.concat([body, mac]).toString('base64url');
  }

  /** WWW-Authenticate / Proxy-Authenticate values, one per algorithm offered. */
  challenges(stale = false): string[] {
    const nonce = this.newNonce();
    return this.algorithms.map((alg) => `Digest realm="${this.opts.realm}", nonce="${nonce}", algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`);
  }

  private nonceState(nonce: string): 'ok' | 'stale' | 'bad' {
    let raw: Buffer;
    try {
      raw = Buffer.from(nonce, 'base64url');
    } catch {
      return 'bad';
    }
    if (raw.length !== 32) return 'bad';
    const body = raw.subarray(0, 16);
    const mac = crypto.createHmac('sha256', this.secret).update(body).digest().subarray(0, 16);
    if (!crypto.timingSafeEqual(mac, raw.subarray(16))) return 'bad';
    const ts = Number(body.readBigUInt64BE(0));
    const age = this.now() - ts;
    if (age < -5000) return 'bad';
    return age > this.ttlMs ? 'stale' : 'ok';
  }

  /**
   * Verifies an Authorization / Proxy-Authorization header for `method`.
   * `lookupHa1(username, algorithm)` returns the stored HA1 or undefined for unknown users.
   */
  verify(header: string | undefined, method: string, lookupHa1: (username: string, alg: DigestAlgorithm) => string | undefined): DigestVerdict {
    if (!header) return { ok: false, reason: 'missing' };
    const p = parseDigestHeader(header);
    if (!p || !p.username || !p.nonce || !p.uri || !p.response || !p.realm) return { ok: false, reason: 'malformed' };
    const alg = (p.algorithm ?? 'MD5').toUpperCase() === 'SHA-256' ? 'SHA-256' : (p.algorithm ?? 'MD5').toUpperCase() === 'MD5' ? 'MD5' : null;
    if (!alg || !this.algorithms.includes(alg)) return { ok: false, reason: 'algorithm' };
    if (p.realm !== this.opts.realm) return { ok: false, reason: 'realm' };
    const state = this.nonceState(p.nonce);
    if (state === 'bad') return { ok: false, reason: 'bad-nonce' };
    if (state === 'stale') return { ok: false, reason: 'stale', stale: true };
    if (p.qop !== undefined && (p.qop !== 'auth' || !p.nc || !p.cnonce || !/^[0-9a-fA-F]{8}$/.test(p.nc))) return { ok: false, reason: 'malformed' };
    const ha1 = lookupHa1(p.username, alg);
    if (ha1 === undefined) return { ok: false, reason: 'unknown-user' };
    const expected = digestResponse(alg, ha1, method, { nonce: p.nonce, uri: p.uri, qop: p.qop, nc: p.nc, cnonce: p.cnonce });
    const a = Buffer.from(expected);
    const b = Buffer.from(p.response.toLowerCase());
    if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return { ok: false, reason: 'bad-response' };
    // Replay protection: with qop the nonce-count must grow; without qop a nonce is good once.
    const nc = p.qop ? parseInt(p.nc!, 16) : 1;
    const prev = this.seen.get(p.nonce);
    if (prev !== undefined && nc <= prev) return { ok: false, reason: 'replay' };
    if (this.seen.size >= this.maxTracked) this.evict();
    this.seen.set(p.nonce, nc);
    return { ok: true, username: p.username };
  }

  /** Drops tracked nonces that are stale anyway; then the oldest half if still full. */
  private evict(): void {
    for (const n of this.seen.keys()) if (this.nonceState(n) !== 'ok') this.seen.delete(n);
    if (this.seen.size >= this.maxTracked) {
      let drop = Math.ceil(this.seen.size / 2);
      for (const n of this.seen.keys()) {
        if (drop-- <= 0) break;
        this.seen.delete(n);
      }
    }
  }

  /** Number of nonces tracked for replay protection (bounded). */
  get trackedNonces(): number {
    return this.seen.size;
  }
}

import crypto from 'node:crypto';

/**
 * Browser tokens: an alternative to digest for WebSocket clients, in the spirit of
 * repro's WSCookieAuthSharedSecret. A token is `base64url(JSON claims).base64url(HMAC-SHA256)`
 * with claims { sub: SIP identity (user part or AOR), exp: unix seconds, iat? }.
 * It travels on the WebSocket URL (`?token=`) or in a cookie (`tandem_token=`).
 */
export interface TokenClaims {
  sub: string;
  exp: number;
  iat?: number;
}

export type TokenVerdict = { ok: true; claims: TokenClaims } | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'expired' };

export class TokenAuth {
  constructor(private readonly secret: Buffer | string, private readonly now: () => number = Date.now) {
    if ((typeof secret === 'string' ? Buffer.byteLength(secret) : secret.length) < 16) {
      throw new RangeError('token secret must be at least 16 bytes');
    }
  }

  private mac(payload: string): Buffer {
    return crypto.createHmac('sha256', this.secret).update(payload).digest();
  }

  /** Issues a token for `sub` valid for `ttlSeconds`. */
  issue(sub: string, ttlSeconds: number): string {
    const iat = Math.floor(this.now() / 1000);
    const payload = Buffer.from(JSON.stringify({ sub, exp: iat + ttlSeconds, iat })).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  verify(token: string | undefined | null): TokenVerdict {
    if (!token) return { ok: false, reason: 'missing' };
    if (token.length > 4096) return { ok: false, reason: 'malformed' };
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
    const payload = token.slice(0, dot);
    const sig = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(payload);
    if (sig.length !== expected.length || !crypto.timingSafeEqual(sig, expected)) return { ok: false, reason: 'signature' };
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const c = claims as Partial<TokenClaims>;
    if (!c || typeof c.sub !== 'string' || c.sub === '' || typeof c.exp !== 'number') return { ok: false, reason: 'malformed' };
    if (c.exp * 1000 <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, claims: { sub: c.sub, exp: c.exp, iat: c.iat } };
  }

  /** Finds a token in a WebSocket upgrade request: `?token=` on the URL, else the `tandem_token` cookie. */
  static fromUpgrade(url: string | undefined, cookieHeader: string | undefined): string | null {
    if (url) {
      const q = url.indexOf('?');
      if (q >= 0) {
        const t = new URLSearchParams(url.slice(q + 1)).get('token');
        if (t) return t;
      }
    }
    if (cookieHeader) {
      for (const part of cookieHeader.split(';')) {
        const [k, ...v] = part.trim().split('=');
        if (k === 'tandem_token') return decodeURIComponent(v.join('='));
      }
    }
    return null;
  }
}

/** Small stand-ins for drachtio-srf's req/res, with the same fields the app reads. */
import { digestHa1, digestResponse, parseDigestHeader, type DigestAlgorithm } from '../../../src/app/auth/digest-server.js';
import type { AppRequest, AppResponse, SendOptions } from '../../../src/app/signaling/srf-types.js';

export class FakeReq implements AppRequest {
  readonly headers = new Map<string, string>();
  source_address = '192.0.2.10';
  source_port: number | string = 5060;
  protocol = 'udp';
  body = '';

  constructor(readonly method: string, readonly uri: string, headers: Record<string, string>, readonly callId = 'call-1@test') {
    for (const [k, v] of Object.entries(headers)) this.headers.set(k.toLowerCase(), v);
    if (!this.headers.has('call-id')) this.headers.set('call-id', callId);
  }

  from(protocol: string, address: string, port: number): this {
    this.protocol = protocol;
    this.source_address = address;
    this.source_port = port;
    return this;
  }

  get(name: string): string | undefined {
    return this.headers.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.headers.has(name.toLowerCase());
  }
}

export interface Sent {
  status: number;
  reason?: string;
  headers: Record<string, string>;
}

export class FakeRes implements AppResponse {
  readonly sent: Sent[] = [];

  send(status: number, a?: string | SendOptions, b?: SendOptions): void {
    const reason = typeof a === 'string' ? a : undefined;
    const opts = typeof a === 'object' ? a : b;
    this.sent.push({ status, ...(reason ? { reason } : {}), headers: { ...(opts?.headers ?? {}) } });
  }

  get last(): Sent {
    if (this.sent.length === 0) throw new Error('nothing sent');
    return this.sent[this.sent.length - 1];
  }
}

let cnonceN = 0;

/** An Authorization / Proxy-Authorization value answering `challenge`. */
export function answerChallenge(challenge: string, o: { user: string; password: string; method: string; uri: string; nc?: string }): string {
  const p = parseDigestHeader(challenge)!;
  const alg = (p.algorithm ?? 'MD5') as DigestAlgorithm;
  const ha1 = digestHa1(alg, o.user, p.realm, o.password);
  const nc = o.nc ?? '00000001';
  const cnonce = `cn${++cnonceN}`;
  const response = digestResponse(alg, ha1, o.method, { nonce: p.nonce, uri: o.uri, qop: 'auth', nc, cnonce });
  return `Digest username="${o.user}", realm="${p.realm}", nonce="${p.nonce}", uri="${o.uri}", response="${response}", algorithm=${alg}, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
}

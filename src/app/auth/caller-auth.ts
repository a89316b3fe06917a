import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import { flowOf, isWebSocket, type FlowTokenSource } from '../signaling/flow.js';
import type { AppRequest } from '../signaling/srf-types.js';
import type { Trunk, TrunkDirectory } from '../trunks/trunk-directory.js';
import type { UserDirectory } from '../users/user-directory.js';
import type { DigestServer } from './digest-server.js';
import type { TokenAuth } from './token-auth.js';

/** Who is calling, once authenticated. */
export type Caller =
  | { kind: 'user'; user: string; method: 'digest' | 'token'; overWebSocket: boolean; flowId?: string }
  | { kind: 'trunk'; trunk: Trunk };

/** The verdict on a new INVITE: a caller, or the response to send (never a route). */
export type AuthVerdict =
  | { ok: true; caller: Caller }
  | { ok: false; status: 400 | 403 | 407; reason: string; headers: Record<string, string> };

export interface CallerAuthOptions {
  digest: DigestServer;
  users: UserDirectory;
  trunks: TrunkDirectory;
  /** Browser tokens; absent when auth.tokenSecret is empty. */
  tokens?: TokenAuth;
  /** Where the token of a WebSocket flow comes from (server-side hook, see docs/app.md). */
  flowTokens?: FlowTokenSource;
  logger?: Logger;
}

/**
 * Authenticates a new INVITE, in this order:
 * 1. source address of a configured trunk, over UDP/TCP/TLS (never WebSocket) → that trunk (no digest:
 *    carriers do not answer challenges);
 * 2. a WebSocket flow whose upgrade carried a valid browser token → the token's `sub`;
 * 3. SIP digest with Proxy-Authorization (RFC 3261 §22.3): missing/stale credentials → 407 with
 *    Proxy-Authenticate; wrong password or unknown user → 403; malformed → 400.
 * Unknown callers are therefore challenged and then refused; nothing unauthenticated is routed.
 * A browser with a bad or expired token gets 403 (it can not answer a digest challenge with a token).
 */
export class CallerAuthenticator {
  private readonly log: Logger;

  constructor(private readonly opts: CallerAuthOptions) {
    this.log = opts.logger ?? silentLogger();
  }

  authenticate(req: AppRequest): AuthVerdict {
    // Trunks are SIP peers over UDP/TCP/TLS; a browser's WebSocket is never taken for a trunk,
    // even from a trunk's IP address.
    const viaWebSocket = /^wss?$/i.test(String(req.protocol ?? ''));
    const trunk = viaWebSocket ? undefined : this.opts.trunks.fromSource(req.source_address);
    if (trunk) return { ok: true, caller: { kind: 'trunk', trunk } };

    const flowId = flowOf(req);
    const ws = isWebSocket(req);
    const token = flowId && this.opts.tokens && this.opts.flowTokens ? this.opts.flowTokens.tokenFor(flowId) : undefined;
    if (token !== undefined && this.opts.tokens) {
      const v = this.opts.tokens.verify(token);
      if (v.ok) return { ok: true, caller: { kind: 'user', user: v.claims.sub, method: 'token', overWebSocket: ws, ...(flowId ? { flowId } : {}) } };
      this.log.warn({ callId: req.callId, reason: v.reason, source: req.source_address }, 'INVITE with a bad browser token');
      return { ok: false, status: 403, reason: 'Forbidden', headers: {} };
    }

    const verdict = this.opts.digest.verify(req.get('Proxy-Authorization'), 'INVITE', this.opts.users.lookupHa1);
    if (verdict.ok) return { ok: true, caller: { kind: 'user', user: verdict.username, method: 'digest', overWebSocket: ws, ...(flowId ? { flowId } : {}) } };
    const challenge = (stale: boolean): AuthVerdict => ({
      ok: false, status: 407, reason: 'Proxy Authentication Required',
      headers: { 'Proxy-Authenticate': this.opts.digest.challenges(stale)[0] },
    });
    const log = { callId: req.callId, reason: verdict.reason, source: req.source_address };
    switch (verdict.reason) {
      case 'missing':
        return challenge(false);
      case 'stale':
      case 'bad-nonce':
      case 'replay':
      case 'realm':
      case 'algorithm':
        this.log.info(log, 'INVITE challenged again');
        return challenge(verdict.reason === 'stale');
      case 'malformed':
        this.log.info(log, 'INVITE with malformed credentials');
        return { ok: false, status: 400, reason: 'Malformed Proxy-Authorization', headers: {} };
      default:
        this.log.warn(log, 'INVITE authentication failed');
        return { ok: false, status: 403, reason: 'Forbidden', headers: {} };
    }
  }
}

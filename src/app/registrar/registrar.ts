import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type { DigestServer } from '../auth/digest-server.js';
import type { TokenAuth } from '../auth/token-auth.js';
import { flowOf, isWebSocket, type FlowMonitor, type FlowTokenSource } from '../signaling/flow.js';
import { parseNameAddr, parseSipUri, splitHeaderList } from '../signaling/header-values.js';
import type { AppRequest, AppResponse, AppSrf } from '../signaling/srf-types.js';
import type { UserDirectory } from '../users/user-directory.js';
import type { Binding, RegistrarStore } from './registrar-store.js';

/** Registrar options; times in seconds. */
export interface RegistrarOptions {
  digest: DigestServer;
  users: UserDirectory;
  store: RegistrarStore;
  /** Below this (and above 0): 423 Interval Too Brief with Min-Expires (§10.3 step 7). Default 60. */
  minExpires?: number;
  /** Longer requests are shortened to this. Default 3600. */
  maxExpires?: number;
  /** Expiry when neither the Contact nor the Expires header gives one. Default 3600. */
  defaultExpires?: number;
  /** Bindings per AOR; more gets 403 (protects the store). Default 10. */
  maxContactsPerAor?: number;
  /** Server-side hook reporting closed connections; bindings made over them are removed. */
  flows?: FlowMonitor;
  /** Browser tokens: a WebSocket flow whose upgrade carried a valid token registers as the token's `sub` without digest. */
  tokens?: TokenAuth;
  flowTokens?: FlowTokenSource;
  /** Drop expired bindings from the store every this many ms (0 = never). Default 60000. */
  purgeIntervalMs?: number;
  logger?: Logger;
  /** ms clock. Default Date.now. */
  now?: () => number;
}

/** What the registrar did with one REGISTER (returned for tests and metrics). */
export type RegisterOutcome =
  | { status: 200; aor: string; contacts: Binding[] }
  | { status: 400 | 401 | 403 | 423 | 500; reason: string };

interface ContactChange {
  contact: string;
  expires: number;
  q?: number;
  instanceId?: string;
  regId?: number;
}

const MAX_EXPIRES_VALUE = 2 ** 32 - 1;

/**
 * The registrar (RFC 3261 §10.3) as a drachtio-srf REGISTER handler:
 * digest challenge (401, RFC 3261 §22.4) via {@link DigestServer}; the authenticated user may
 * only change its own AOR; several contacts per AOR; per-contact expiry with min/max and
 * 423 Interval Too Brief; `Contact: *` with `Expires: 0` removes all; Call-ID/CSeq ordering
 * (step 7); the 200 OK lists every current binding with its remaining expiry (step 8).
 * Bindings remember the flow (transport connection) they came on, and are removed when a
 * {@link FlowMonitor} reports that flow closed (RFC 7118 §5).
 */
export class Registrar {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly min: number;
  private readonly max: number;
  private readonly def: number;
  private readonly maxContacts: number;
  private readonly unsubscribe: (() => void) | undefined;
  private readonly purgeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: RegistrarOptions) {
    this.log = opts.logger ?? silentLogger();
    this.now = opts.now ?? Date.now;
    this.min = opts.minExpires ?? 60;
    this.max = opts.maxExpires ?? 3600;
    this.def = Math.min(opts.defaultExpires ?? 3600, this.max);
    this.maxContacts = opts.maxContactsPerAor ?? 10;
    this.unsubscribe = opts.flows?.onFlowClosed((flow) => {
      void this.flowClosed(flow).catch((err: unknown) => this.log.error({ err, flow }, 'removing the bindings of a closed flow failed'));
    });
    const every = opts.purgeIntervalMs ?? 60_000;
    if (every > 0) {
      this.purgeTimer = setInterval(() => {
        void this.opts.store.purgeExpired(this.now()).catch((err: unknown) => this.log.error({ err }, 'purging expired bindings failed'));
      }, every);
      this.purgeTimer.unref();
    }
  }

  /** Routes REGISTER of `srf` to this registrar. */
  attach(srf: AppSrf): void {
    srf.register((req, res) => {
      void this.handle(req, res);
    });
  }

  /** Removes every binding made over `flow` (a WebSocket/TCP connection closed). */
  async flowClosed(flow: string): Promise<Binding[]> {
    const removed = await this.opts.store.removeByFlow(flow);
    if (removed.length > 0) this.log.info({ flow, aors: [...new Set(removed.map((b) => b.aor))], count: removed.length }, 'flow closed: bindings removed');
    return removed;
  }

  /** Handles one REGISTER; answers it on `res` and returns what it did. Never throws. */
  async handle(req: AppRequest, res: AppResponse): Promise<RegisterOutcome> {
    let outcome: RegisterOutcome;
    let headers: Record<string, string> = {};
    try {
      [outcome, headers] = await this.process(req);
    } catch (err) {
      this.log.error({ err, callId: req.callId }, 'REGISTER failed');
      outcome = { status: 500, reason: 'Server Internal Error' };
    }
    try {
      if (outcome.status === 200) res.send(200, { headers });
      else res.send(outcome.status, outcome.reason, { headers });
    } catch (err) {
      this.log.warn({ err, callId: req.callId }, 'could not send the REGISTER response');
    }
    return outcome;
  }

  private async process(req: AppRequest): Promise<[RegisterOutcome, Record<string, string>]> {
    const fail = (status: 400 | 401 | 403 | 423 | 500, reason: string, headers: Record<string, string> = {}): [RegisterOutcome, Record<string, string>] =>
      [{ status, reason }, headers];
    const to = parseNameAddr(req.get('To') ?? '');
    const toUri = to ? parseSipUri(to.uri) : null;
    if (!toUri?.user) return fail(400, 'Bad To Header');
    const callId = req.get('Call-ID') ?? req.callId;
    const cseq = /^\s*(\d{1,10})\s+REGISTER\s*$/i.exec(req.get('CSeq') ?? '');
    if (!callId || !cseq) return fail(400, 'Bad Request');
    const cseqNo = Number(cseq[1]);

    // §10.3 steps 3-6: authenticate, and the user may change only its own AOR.
    const flowToken = this.flowToken(req);
    if (flowToken === 'invalid') return fail(403, 'Forbidden');
    const verdict = flowToken ?? this.opts.digest.verify(req.get('Authorization'), 'REGISTER', this.opts.users.lookupHa1);
    if (!verdict.ok) {
      const log = { callId, reason: verdict.reason, user: toUri.user, source: req.source_address };
      switch (verdict.reason) {
        case 'missing':
        case 'stale':
        case 'bad-nonce':
        case 'replay':
        case 'realm':
        case 'algorithm':
          if (verdict.reason !== 'missing') this.log.info(log, 'REGISTER challenged again');
          return fail(401, 'Unauthorized', { 'WWW-Authenticate': this.opts.digest.challenges(verdict.reason === 'stale')[0] });
        case 'malformed':
          this.log.info(log, 'REGISTER with malformed credentials');
          return fail(400, 'Malformed Authorization');
        default:
          this.log.warn(log, 'REGISTER authentication failed');
          return fail(403, 'Forbidden');
      }
    }
    if (verdict.username !== toUri.user) {
      this.log.warn({ callId, user: verdict.username, aorUser: toUri.user }, 'REGISTER for another user\'s AOR');
      return fail(403, 'Forbidden');
    }
    const aor = this.opts.users.aor(verdict.username);
    const now = this.now();

    // Expires header (§10.2.1.1); malformed values fall back to the default (§10.3 step 7).
    const expHeader = req.get('Expires');
    const headerExpires = expHeader !== undefined && /^\s*\d{1,10}\s*$/.test(expHeader) ? Math.min(Number(expHeader), MAX_EXPIRES_VALUE) : undefined;
    const contactHeader = req.get('Contact');
    const current = await this.opts.store.lookup(aor, now);

    // Fetch only (no Contact): answer with the current bindings (§10.2.3).
    if (contactHeader === undefined || contactHeader.trim() === '') return this.ok(aor, current, now);

    // Contact: * (§10.2.2): only with Expires: 0 and alone.
    if (contactHeader.trim() === '*') {
      if (headerExpires !== 0) return fail(400, 'Invalid Contact * (needs Expires: 0)');
      for (const b of current) {
        if (b.callId !== callId || cseqNo > b.cseq) await this.opts.store.remove(aor, b.contact);
      }
      this.log.info({ aor, callId }, 'all bindings removed');
      return this.ok(aor, await this.opts.store.lookup(aor, now), now);
    }

    const changes: ContactChange[] = [];
    for (const item of splitHeaderList(contactHeader)) {
      if (item === '*') return fail(400, 'Invalid Contact * among other contacts');
      const na = parseNameAddr(item);
      if (!na || !/^(sips?|tel):/i.test(na.uri)) return fail(400, 'Bad Contact');
      let expires = this.def;
      const p = na.params.expires;
      if (p !== undefined && /^\d{1,10}$/.test(p)) expires = Math.min(Number(p), MAX_EXPIRES_VALUE);
      else if (headerExpires !== undefined) expires = headerExpires;
      const q = na.params.q !== undefined && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(na.params.q) ? Number(na.params.q) : undefined;
      const instance = na.params['+sip.instance'];
      const regId = na.params['reg-id'] !== undefined && /^\d{1,10}$/.test(na.params['reg-id']) ? Number(na.params['reg-id']) : undefined;
      changes.push({
        contact: na.uri, expires,
        ...(q === undefined ? {} : { q }),
        ...(instance ? { instanceId: instance } : {}),
        ...(regId === undefined ? {} : { regId }),
      });
    }

    // Step 7: every change is checked before any is applied.
    const tooBrief = changes.find((c) => c.expires > 0 && c.expires < this.min);
    if (tooBrief) return fail(423, 'Interval Too Brief', { 'Min-Expires': String(this.min) });
    for (const c of changes) {
      const existing = current.find((b) => b.contact === c.contact);
      if (existing && existing.callId === callId && cseqNo <= existing.cseq) {
        this.log.info({ aor, callId, cseq: cseqNo, stored: existing.cseq }, 'REGISTER out of order');
        return fail(500, 'Out Of Order Request');
      }
    }
    const adding = changes.filter((c) => c.expires > 0 && !current.some((b) => b.contact === c.contact)).length;
    const removing = changes.filter((c) => c.expires === 0 && current.some((b) => b.contact === c.contact)).length;
    if (current.length + adding - removing > this.maxContacts) return fail(403, 'Too Many Contacts');

    const flowId = flowOf(req);
    const source = { transport: String(req.protocol ?? '').toLowerCase(), address: req.source_address, port: Number(req.source_port) };
    const userAgent = req.get('User-Agent');
    for (const c of changes) {
      if (c.expires === 0) {
        await this.opts.store.remove(aor, c.contact);
        continue;
      }
      const seconds = Math.min(c.expires, this.max);
      await this.opts.store.put({
        aor, contact: c.contact, expiresAt: now + seconds * 1000, callId, cseq: cseqNo, source,
        ...(flowId ? { flowId } : {}),
        ...(c.q === undefined ? {} : { q: c.q }),
        ...(c.instanceId ? { instanceId: c.instanceId } : {}),
        ...(c.regId === undefined ? {} : { regId: c.regId }),
        ...(userAgent ? { userAgent } : {}),
      });
    }
    const after = await this.opts.store.lookup(aor, now);
    this.log.info({ aor, callId, contacts: after.length, ws: isWebSocket(req) }, 'registered');
    return this.ok(aor, after, now);
  }

  /** The token of the request's WebSocket flow: a verdict, 'invalid', or undefined when there is none. */
  private flowToken(req: AppRequest): { ok: true; username: string } | 'invalid' | undefined {
    const flow = flowOf(req);
    if (!flow || !this.opts.tokens || !this.opts.flowTokens) return undefined;
    const token = this.opts.flowTokens.tokenFor(flow);
    if (token === undefined) return undefined;
    const v = this.opts.tokens.verify(token);
    if (!v.ok) {
      this.log.warn({ callId: req.callId, reason: v.reason, source: req.source_address }, 'REGISTER with a bad browser token');
      return 'invalid';
    }
    return { ok: true, username: v.claims.sub };
  }

  private ok(aor: string, bindings: Binding[], now: number): [RegisterOutcome, Record<string, string>] {
    const headers: Record<string, string> = { Date: new Date(now).toUTCString() };
    if (bindings.length > 0) {
      headers.Contact = bindings
        .map((b) => `<${b.contact}>;expires=${Math.max(0, Math.ceil((b.expiresAt - now) / 1000))}${b.q === undefined ? '' : `;q=${b.q}`}`)
        .join(', ');
    }
    return [{ status: 200, aor, contacts: bindings }, headers];
  }

  /** Stops listening for flow events. Idempotent. The store is the caller's to close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }
}

import type { Logger } from '../../common/logger.js';
import type { GroupConfig } from '../../config/schema.js';
import { silentLogger } from '../../common/logger.js';
import type { CallerAuthenticator } from '../auth/caller-auth.js';
import type { PeerProfiles } from '../profiles/peer-profiles.js';
import type { Binding, RegistrarStore } from '../registrar/registrar-store.js';
import type { DialPlan } from '../routing/dial-plan.js';
import { parseNameAddr, parseSipUri } from '../signaling/header-values.js';
import type { AppRequest, AppResponse, AppSrf } from '../signaling/srf-types.js';
import type { TrunkDirectory } from '../trunks/trunk-directory.js';
import type { UserDirectory } from '../users/user-directory.js';
import type { CallSessionFactory } from './call-session-factory.js';
import { planCall, type CallPlan } from './plan-call.js';

export interface InviteHandlerOptions {
  auth: CallerAuthenticator;
  dialPlan: DialPlan;
  store: RegistrarStore;
  users: UserDirectory;
  trunks: TrunkDirectory;
  profiles: PeerProfiles;
  /** Ring groups by name (config `groups[]`), for `group:NAME` routes; absent = no groups. */
  groups?: (name: string) => GroupConfig | undefined;
  /** Domain for identities (auth.realm). */
  domain: string;
  /** The B2BUA session seam; absent until src/session exists → planned calls get 503. */
  sessions?: CallSessionFactory;
  /** Trunk address health (OPTIONS keep-alive): trunk legs are tried up addresses first. */
  trunkOrder?: (trunk: string, addresses: readonly string[]) => string[];
  logger?: Logger;
  now?: () => number;
}

/** What happened to one INVITE (returned for tests and metrics). */
export type InviteOutcome =
  | { stage: 'auth'; status: number }
  | { stage: 'plan'; status: number; plan: CallPlan }
  | { stage: 'session'; plan: Extract<CallPlan, { ok: true }> }
  | { stage: 'no-session'; status: 503; plan: Extract<CallPlan, { ok: true }> };

function userOf(nameAddr: string | undefined): string | undefined {
  if (!nameAddr) return undefined;
  const na = parseNameAddr(nameAddr);
  return na ? parseSipUri(na.uri)?.user ?? (/^tel:([^;]+)/i.exec(na.uri)?.[1]) : undefined;
}

/**
 * The new-INVITE handler (RFC 3261 §13.3 UAS side of the B2BUA): authenticates the caller
 * ({@link CallerAuthenticator}), routes the Request-URI user through the {@link DialPlan},
 * looks the target's bindings up, decides the {@link CallPlan} with {@link planCall}, and
 * hands the call to the {@link CallSessionFactory}. Rejections carry no route.
 */
export class InviteHandler {
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: InviteHandlerOptions) {
    this.log = opts.logger ?? silentLogger();
    this.now = opts.now ?? Date.now;
  }

  attach(srf: AppSrf): void {
    srf.invite((req, res) => {
      void this.handle(req, res);
    });
  }

  async handle(req: AppRequest, res: AppResponse): Promise<InviteOutcome> {
    const log = this.log.child({ callId: req.get('Call-ID') ?? req.callId, leg: 'a' });
    const send = (status: number, reason: string, headers: Record<string, string> = {}): void => {
      try {
        res.send(status, reason, { headers });
      } catch (err) {
        log.warn({ err, status }, 'could not send the INVITE response');
      }
    };
    const verdict = this.opts.auth.authenticate(req);
    if (!verdict.ok) {
      send(verdict.status, verdict.reason, verdict.headers);
      return { stage: 'auth', status: verdict.status };
    }
    const caller = verdict.caller;
    const dialed = parseSipUri(req.uri)?.user ?? '';
    const route = this.opts.dialPlan.route(dialed, caller.kind);
    let plan: CallPlan;
    try {
      const bindings = route.ok && route.target.kind === 'user' ? await this.opts.store.lookup(this.opts.users.aor(route.target.user), this.now()) : [];
      // Group routes: every member's current bindings (looked up before the pure planCall).
      const members = new Map<string, readonly Binding[]>();
      const group = route.ok && route.target.kind === 'group' ? this.opts.groups?.(route.target.group) : undefined;
      for (const m of group?.members ?? []) {
        if (!members.has(m) && this.opts.users.has(m)) members.set(m, await this.opts.store.lookup(this.opts.users.aor(m), this.now()));
      }
      plan = planCall({
        caller, route, bindings, profiles: this.opts.profiles, domain: this.opts.domain,
        memberBindings: (m) => members.get(m) ?? [],
        ...(this.opts.groups ? { group: this.opts.groups } : {}),
        presented: { fromUser: userOf(req.get('From')), assertedUser: userOf(req.get('P-Asserted-Identity')) },
        user: (n) => this.opts.users.get(n),
        trunk: (n) => this.opts.trunks.get(n),
      });
    } catch (err) {
      log.error({ err }, 'call planning failed');
      send(500, 'Server Internal Error');
      return { stage: 'auth', status: 500 };
    }
    const who = caller.kind === 'trunk' ? { trunk: caller.trunk.name } : { user: caller.user, auth: caller.method };
    if (!plan.ok) {
      log.info({ ...who, dialed, status: plan.status, reason: plan.reason }, 'call rejected');
      send(plan.status, plan.reason);
      return { stage: 'plan', status: plan.status, plan };
    }
    if (plan.fork === 'sequential' && route.ok && route.target.kind === 'trunk' && this.opts.trunkOrder) {
      const order = this.opts.trunkOrder(route.target.trunk, plan.b.map((l) => l.trunkAddress ?? ''));
      plan = { ...plan, b: [...plan.b].sort((x, y) => order.indexOf(x.trunkAddress ?? '') - order.indexOf(y.trunkAddress ?? '')) };
    }
    log.info({ ...who, dialed, rule: plan.rule, a: plan.a.kind, b: plan.b.map((l) => `${l.kind}/${l.profile.name}`), fork: plan.fork, ...(plan.ring ? { group: plan.ring.group } : {}) }, 'call planned');
    if (!this.opts.sessions) {
      send(503, 'Service Unavailable', { 'Retry-After': '60' });
      return { stage: 'no-session', status: 503, plan };
    }
    try {
      await this.opts.sessions.create({ req, res, caller, plan, logger: log });
    } catch (err) {
      log.error({ err }, 'call session failed');
      send(500, 'Server Internal Error');
    }
    return { stage: 'session', plan };
  }
}

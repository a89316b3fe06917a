import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';
import type { DialRuleConfig, GroupConfig, TandemConfig } from '../config/schema.js';
import { CallerAuthenticator } from './auth/caller-auth.js';
import { DigestServer } from './auth/digest-server.js';
import { TokenAuth } from './auth/token-auth.js';
import type { CallSessionFactory } from './calls/call-session-factory.js';
import { InviteHandler } from './calls/invite-handler.js';
import { PeerProfiles } from './profiles/peer-profiles.js';
import { Registrar } from './registrar/registrar.js';
import { MemoryRegistrarStore, type RegistrarStore } from './registrar/registrar-store.js';
import { DialPlan, type DialRule } from './routing/dial-plan.js';
import type { FlowMonitor, FlowTokenSource } from './signaling/flow.js';
import type { AppSrf } from './signaling/srf-types.js';
import { TrunkDirectory } from './trunks/trunk-directory.js';
import { TrunkServices, type TrunksHealth } from './trunks/trunk-services.js';
import type { TrunkSrf } from './trunks/trunk-srf.js';
import { UserDirectory } from './users/user-directory.js';

/** Config sections the app reads. */
export type AppConfig = Pick<TandemConfig, 'auth' | 'registrar' | 'users' | 'profiles' | 'trunks' | 'dialplan'> & Partial<Pick<TandemConfig, 'groups'>>;

/** Server-side hooks and replaceable parts; all optional. */
export interface AppDeps {
  store?: RegistrarStore;
  flows?: FlowMonitor;
  flowTokens?: FlowTokenSource;
  sessions?: CallSessionFactory;
  logger?: Logger;
  now?: () => number;
  /** Secret signing digest nonces (share it between instances behind one realm). Random when absent. */
  nonceSecret?: Buffer;
}

/** dialplan.rules[] entry (config form, `to: "kind:name"`) → {@link DialRule}. */
export function toDialRule(r: DialRuleConfig): DialRule {
  const i = r.to.indexOf(':');
  const kind = r.to.slice(0, i);
  const name = r.to.slice(i + 1);
  const to: DialRule['to'] = kind === 'user' ? { user: name } : kind === 'endpoint' ? { endpoint: name } : kind === 'trunk' ? { trunk: name } : { group: name };
  return { name: r.name, from: [...r.from], match: r.match, strip: r.strip, ...(r.prepend ? { prepend: r.prepend } : {}), to };
}

/** Ring groups (config `groups[]`) by name. */
function groupLookup(groups: readonly GroupConfig[]): (name: string) => GroupConfig | undefined {
  const byName = new Map(groups.map((g) => [g.name, g]));
  return (name) => byName.get(name);
}

/** The app's parts, built from the configuration (also usable without an srf, in tests). */
export class TandemApp {
  readonly digest: DigestServer;
  readonly users: UserDirectory;
  readonly profiles: PeerProfiles;
  readonly trunks: TrunkDirectory;
  readonly dialPlan: DialPlan;
  readonly store: RegistrarStore;
  readonly registrar: Registrar;
  readonly auth: CallerAuthenticator;
  readonly invites: InviteHandler;
  private readonly ownsStore: boolean;
  private closed = false;
  private trunkServices: TrunkServices | null = null;
  private readonly trunkConfigs: AppConfig['trunks'];
  private readonly log: Logger;

  constructor(config: AppConfig, deps: AppDeps = {}) {
    const log = deps.logger ?? silentLogger();
    this.log = log;
    this.trunkConfigs = config.trunks;
    const now = deps.now ?? Date.now;
    const alg = config.auth.digestAlgorithm;
    this.digest = new DigestServer({
      realm: config.auth.realm, algorithms: [alg], nonceTtlSeconds: config.auth.nonceTtlSeconds, now,
      ...(deps.nonceSecret ? { nonceSecret: deps.nonceSecret } : {}),
    });
    this.users = new UserDirectory(config.users, config.auth.realm, alg);
    this.profiles = new PeerProfiles(config.profiles);
    this.trunks = new TrunkDirectory(config.trunks);
    this.dialPlan = new DialPlan({
      rules: config.dialplan.rules.map(toDialRule),
      ...(config.dialplan.countryCode ? { countryCode: config.dialplan.countryCode } : {}),
      ...(config.dialplan.nationalPrefix ? { nationalPrefix: config.dialplan.nationalPrefix } : {}),
      ...(config.dialplan.internationalPrefix ? { internationalPrefix: config.dialplan.internationalPrefix } : {}),
    });
    this.ownsStore = !deps.store;
    this.store = deps.store ?? new MemoryRegistrarStore(now);
    const tokens = config.auth.tokenSecret ? new TokenAuth(config.auth.tokenSecret, now) : undefined;
    this.registrar = new Registrar({
      digest: this.digest, users: this.users, store: this.store, now, logger: log.child({ part: 'registrar' }),
      minExpires: config.registrar.minExpires, maxExpires: config.registrar.maxExpires, defaultExpires: config.registrar.defaultExpires,
      ...(deps.flows ? { flows: deps.flows } : {}),
      ...(tokens ? { tokens } : {}), ...(deps.flowTokens ? { flowTokens: deps.flowTokens } : {}),
    });
    this.auth = new CallerAuthenticator({
      digest: this.digest, users: this.users, trunks: this.trunks, logger: log.child({ part: 'auth' }),
      ...(tokens ? { tokens } : {}), ...(deps.flowTokens ? { flowTokens: deps.flowTokens } : {}),
    });
    this.invites = new InviteHandler({
      auth: this.auth, dialPlan: this.dialPlan, store: this.store, users: this.users, trunks: this.trunks,
      profiles: this.profiles, domain: config.auth.realm, now, logger: log.child({ part: 'calls' }),
      groups: groupLookup(config.groups ?? []),
      ...(deps.sessions ? { sessions: deps.sessions } : {}),
      trunkOrder: (trunk, addresses) => this.trunkServices?.monitor.order(trunk, addresses) ?? [...addresses],
    });
  }

  /**
   * Starts outbound trunk registration and OPTIONS keep-alive over a connected drachtio-srf
   * (call once the srf is connected). Idempotent.
   */
  startTrunks(srf: TrunkSrf, opts: { downAfter?: number } = {}): TrunkServices {
    if (!this.trunkServices) {
      this.trunkServices = new TrunkServices({
        srf, trunks: this.trunkConfigs, logger: this.log.child({ part: 'trunks' }),
        ...(opts.downAfter ? { downAfter: opts.downAfter } : {}),
      });
      if (!this.closed) this.trunkServices.start();
    }
    return this.trunkServices;
  }

  /** Trunk registration and address health, for /healthz (ok when nothing runs). */
  trunkHealth(): TrunksHealth {
    return this.trunkServices?.health() ?? { ok: true, trunks: {} };
  }

  /** Routes REGISTER and INVITE of a connected drachtio-srf to the app. */
  attach(srf: AppSrf): void {
    this.registrar.attach(srf);
    this.invites.attach(srf);
  }

  /** Idempotent; closes the store only when the app created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.trunkServices?.close();
    this.registrar.close();
    if (this.ownsStore) await this.store.close();
  }
}

import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type { Trunk } from './trunk-directory.js';
import { realTimers, requestFinal, trunkUri, type TrunkSrf, type TrunkTimers } from './trunk-srf.js';

/** Options of a {@link TrunkRegistration}. */
export interface TrunkRegistrationOptions {
  srf: TrunkSrf;
  /** The trunk; must have `register`. */
  trunk: Trunk;
  /** Refresh at this fraction of the granted expiry. Default 0.85. */
  refreshRatio?: number;
  /** First retry delay after a failure, ms (doubles up to `maxRetryMs`). Default 5000. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Wait for the final response, ms. Default 32000 (Timer F, RFC 3261 §17.1.2.2). */
  timeoutMs?: number;
  /** Picks the address to register to (e.g. the first up one); default the first address. */
  pickAddress?: (trunk: Trunk) => string;
  logger?: Logger;
  timers?: TrunkTimers;
}

/** Registration status (for /healthz). */
export interface RegistrationStatus {
  state: 'idle' | 'registering' | 'registered' | 'failed';
  lastStatus: number | null;
  /** Granted expiry, s. */
  expires: number | null;
  /** When the binding expires (ms since epoch) while registered. */
  expiresAt: number | null;
  /** REGISTERs that got a 2xx. */
  successes: number;
}

/**
 * Outbound registration to a trunk (RFC 3261 §10.2): REGISTER with the configured user and
 * `Expires`; drachtio-srf answers a 401/407 challenge with digest credentials (RFC 3261 §22.2)
 * from `auth`. Refreshed at `refreshRatio` of the granted expiry (the 2xx's Contact `expires`
 * parameter or `Expires` header); a failure retries with exponential backoff.
 */
export class TrunkRegistration {
  private readonly timers: TrunkTimers;
  private readonly log: Logger;
  private timer: unknown = null;
  private closed = false;
  private failures = 0;
  private readonly callId = `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  private cseq = 1;
  private readonly st: RegistrationStatus = { state: 'idle', lastStatus: null, expires: null, expiresAt: null, successes: 0 };

  constructor(private readonly opts: TrunkRegistrationOptions) {
    if (!opts.trunk.register) throw new Error(`trunk ${opts.trunk.name} has no register section`);
    this.timers = opts.timers ?? realTimers;
    this.log = (opts.logger ?? silentLogger()).child({ trunk: opts.trunk.name });
  }

  get status(): RegistrationStatus {
    return { ...this.st };
  }

  start(): void {
    void this.register();
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.register();
    }, ms);
  }

  private async register(): Promise<void> {
    if (this.closed) return;
    const t = this.opts.trunk;
    const reg = t.register!;
    const address = this.opts.pickAddress?.(t) ?? t.addresses[0]!;
    const host = address.replace(/:\d+$/, '');
    const aor = `sip:${reg.user}@${host}`;
    this.st.state = this.st.state === 'registered' ? 'registered' : 'registering';
    const res = await requestFinal(this.opts.srf, trunkUri(address, t.transport), {
      method: 'REGISTER',
      headers: {
        From: `<${aor}>`, To: `<${aor}>`, 'Call-ID': this.callId, CSeq: `${this.cseq++} REGISTER`,
        Contact: `<sip:${reg.user}@localhost>`, Expires: String(reg.expires),
      },
      auth: { username: reg.user, password: reg.password },
    }, this.opts.timeoutMs ?? 32_000, this.timers);
    if (this.closed) return;
    // drachtio-srf's digest retry used the next CSeq number
    this.cseq++;
    this.st.lastStatus = res ? res.status : null;
    if (res && res.status >= 200 && res.status < 300) {
      const granted = grantedExpires(res, reg.expires);
      this.failures = 0;
      this.st.state = 'registered';
      this.st.successes++;
      this.st.expires = granted;
      this.st.expiresAt = this.timers.now() + granted * 1000;
      this.log.info({ address, expires: granted }, 'registered to trunk');
      this.schedule(Math.max(1000, Math.floor(granted * 1000 * (this.opts.refreshRatio ?? 0.85))));
      return;
    }
    this.failures++;
    this.st.state = 'failed';
    this.st.expires = null;
    this.st.expiresAt = null;
    const base = this.opts.retryMs ?? 5000;
    const delay = Math.min(this.opts.maxRetryMs ?? 300_000, base * 2 ** Math.min(this.failures - 1, 16));
    this.log.warn({ address, status: res?.status ?? 'timeout', retryMs: delay }, 'trunk registration failed');
    this.schedule(delay);
  }

  /** Stops refreshing (does not unregister); idempotent. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}

function grantedExpires(res: { get(name: string): string | undefined }, requested: number): number {
  const c = /;\s*expires\s*=\s*(\d+)/i.exec(res.get('Contact') ?? '');
  if (c) return Number(c[1]);
  const e = /^\s*(\d+)/.exec(res.get('Expires') ?? '');
  if (e) return Number(e[1]);
  return requested;
}

import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type { Trunk } from './trunk-directory.js';
import { realTimers, requestFinal, trunkUri, type TrunkSrf, type TrunkTimers } from './trunk-srf.js';

/** Options of a {@link TrunkMonitor}. */
export interface TrunkMonitorOptions {
  srf: TrunkSrf;
  /** Trunks to watch; those with `optionsPingSeconds` 0 are not pinged (always up). */
  trunks: readonly Trunk[];
  /** Consecutive failed pings that mark an address down. Default 2. */
  downAfter?: number;
  /** Wait for a ping's final response, ms. Default: min(interval, 5000). */
  pingTimeoutMs?: number;
  /** Domain used in From. Default `localhost` (replaced by the SIP server with its own address). */
  domain?: string;
  logger?: Logger;
  timers?: TrunkTimers;
}

/** State of one trunk address. */
export interface AddressStatus {
  address: string;
  up: boolean;
  failures: number;
  lastStatus: number | null;
  lastPingAt: number | null;
}

/**
 * OPTIONS keep-alive (RFC 3261 §11) to every address of each trunk with `optionsPingSeconds`:
 * any final response (even 4xx/5xx other than 408/503) proves the peer is alive; a timeout, 408
 * or 503 counts as a failure, `downAfter` failures in a row mark the address down, one success
 * marks it up again. Calls to a trunk use its up addresses first ({@link order}).
 */
export class TrunkMonitor {
  private readonly state = new Map<string, AddressStatus[]>();
  private readonly timers: TrunkTimers;
  private readonly log: Logger;
  private readonly handles = new Set<unknown>();
  private closed = false;

  constructor(private readonly opts: TrunkMonitorOptions) {
    this.timers = opts.timers ?? realTimers;
    this.log = opts.logger ?? silentLogger();
    for (const t of opts.trunks) {
      this.state.set(t.name, t.addresses.map((address) => ({ address, up: true, failures: 0, lastStatus: null, lastPingAt: null })));
    }
  }

  /** Starts pinging (first ping at once); resolves when the first round has been answered or timed out. */
  async start(): Promise<void> {
    const first: Promise<void>[] = [];
    for (const t of this.opts.trunks) {
      if (t.optionsPingSeconds <= 0) continue;
      for (const s of this.state.get(t.name) ?? []) first.push(this.ping(t, s));
    }
    await Promise.all(first);
  }

  private schedule(t: Trunk, s: AddressStatus): void {
    if (this.closed) return;
    const h = this.timers.setTimeout(() => {
      this.handles.delete(h);
      void this.ping(t, s);
    }, t.optionsPingSeconds * 1000);
    this.handles.add(h);
  }

  private async ping(t: Trunk, s: AddressStatus): Promise<void> {
    if (this.closed) return;
    const domain = this.opts.domain ?? 'localhost';
    const timeout = this.opts.pingTimeoutMs ?? Math.min(t.optionsPingSeconds * 1000, 5000);
    const res = await requestFinal(this.opts.srf, trunkUri(s.address, t.transport), {
      method: 'OPTIONS', headers: { From: `<sip:tandem@${domain}>`, To: `<${trunkUri(s.address, t.transport)}>`, Accept: 'application/sdp' },
    }, timeout, this.timers);
    if (this.closed) return;
    s.lastPingAt = this.timers.now();
    s.lastStatus = res ? res.status : null;
    const ok = res !== null && res.status !== 408 && res.status !== 503;
    if (ok) {
      if (!s.up) this.log.info({ trunk: t.name, address: s.address, status: res.status }, 'trunk address up');
      s.up = true;
      s.failures = 0;
    } else {
      s.failures++;
      if (s.up && s.failures >= (this.opts.downAfter ?? 2)) {
        s.up = false;
        this.log.warn({ trunk: t.name, address: s.address, status: s.lastStatus }, 'trunk address down');
      }
    }
    this.schedule(t, s);
  }

  /** True unless the address was marked down (unknown trunks/addresses are up). */
  isUp(trunk: string, address: string): boolean {
    return this.state.get(trunk)?.find((s) => s.address === address)?.up ?? true;
  }

  /**
   * The trunk's addresses for a call, each group in configured order: up ones whose last ping
   * succeeded (or not pinged yet), then up ones whose last ping failed, then down ones (a last
   * resort: the OPTIONS view may be stale).
   */
  order(trunk: string, addresses: readonly string[]): string[] {
    const st = this.state.get(trunk) ?? [];
    const rank = (a: string): number => {
      const s = st.find((x) => x.address === a);
      if (!s) return 0;
      return !s.up ? 2 : s.failures > 0 ? 1 : 0;
    };
    return addresses.map((a, i) => ({ a, i, r: rank(a) })).sort((x, y) => x.r - y.r || x.i - y.i).map((x) => x.a);
  }

  status(): Record<string, AddressStatus[]> {
    const out: Record<string, AddressStatus[]> = {};
    for (const [k, v] of this.state) out[k] = v.map((s) => ({ ...s }));
    return out;
  }

  /** Stops pinging; idempotent. */
  close(): void {
    this.closed = true;
    for (const h of this.handles) this.timers.clearTimeout(h);
    this.handles.clear();
  }
}

import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type { Trunk } from './trunk-directory.js';
import { TrunkMonitor, type AddressStatus } from './trunk-monitor.js';
import { TrunkRegistration, type RegistrationStatus } from './trunk-registration.js';
import type { TrunkSrf, TrunkTimers } from './trunk-srf.js';

/** Options of {@link TrunkServices}. */
export interface TrunkServicesOptions {
  srf: TrunkSrf;
  trunks: readonly Trunk[];
  logger?: Logger;
  timers?: TrunkTimers;
  /** Failed pings before an address is down. Default 2. */
  downAfter?: number;
}

/** Health of the trunks (for /healthz). */
export interface TrunksHealth {
  ok: boolean;
  trunks: Record<string, { registration?: RegistrationStatus; addresses: AddressStatus[] }>;
}

/**
 * The running side of the trunks: outbound registrations ({@link TrunkRegistration}) and OPTIONS
 * keep-alive ({@link TrunkMonitor}). Registration goes to the first up address.
 */
export class TrunkServices {
  readonly monitor: TrunkMonitor;
  private readonly regs = new Map<string, TrunkRegistration>();

  constructor(private readonly opts: TrunkServicesOptions) {
    const log = opts.logger ?? silentLogger();
    this.monitor = new TrunkMonitor({
      srf: opts.srf, trunks: opts.trunks, logger: log,
      ...(opts.timers ? { timers: opts.timers } : {}), ...(opts.downAfter ? { downAfter: opts.downAfter } : {}),
    });
    for (const t of opts.trunks) {
      if (!t.register) continue;
      this.regs.set(t.name, new TrunkRegistration({
        srf: opts.srf, trunk: t, logger: log, ...(opts.timers ? { timers: opts.timers } : {}),
        pickAddress: (tr) => this.monitor.order(tr.name, tr.addresses)[0]!,
      }));
    }
  }

  /** Starts pinging; registrations start once the first OPTIONS round told which addresses answer. */
  start(): void {
    void this.monitor.start().then(() => {
      for (const r of this.regs.values()) r.start();
    });
  }

  registration(trunk: string): RegistrationStatus | undefined {
    return this.regs.get(trunk)?.status;
  }

  health(): TrunksHealth {
    const addrs = this.monitor.status();
    const trunks: TrunksHealth['trunks'] = {};
    let ok = true;
    for (const t of this.opts.trunks) {
      const registration = this.regs.get(t.name)?.status;
      const addresses = addrs[t.name] ?? [];
      if (registration && registration.state === 'failed') ok = false;
      if (addresses.length > 0 && addresses.every((a) => !a.up)) ok = false;
      trunks[t.name] = { ...(registration ? { registration } : {}), addresses };
    }
    return { ok, trunks };
  }

  close(): void {
    this.monitor.close();
    for (const r of this.regs.values()) r.close();
  }
}

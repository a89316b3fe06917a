/**
 * Where registrations live. The default is in memory; a Redis store (scale-out
 * behind a real drachtio-server or a Kamailio dispatcher) implements the same
 * interface. Every method is async so a network store fits without change.
 */
export interface Binding {
  /** Address of record, normalized: `sip:alice@example.com`. */
  aor: string;
  /** The Contact URI as registered. */
  contact: string;
  /** Absolute expiry, ms since the epoch. */
  expiresAt: number;
  /** Call-ID + CSeq of the REGISTER that last refreshed it (RFC 3261 §10.3 step 7). */
  callId: string;
  cseq: number;
  /** The transport connection it came on (WebSocket/TCP), so calls reuse it; absent for UDP. */
  flowId?: string;
  /** Where the REGISTER came from (source address as seen, for NAT). */
  source?: { transport: string; address: string; port: number };
  /** q-value, 0..1. */
  q?: number;
  /** +sip.instance / reg-id (RFC 5626), when the UA sent them. */
  instanceId?: string;
  regId?: number;
  userAgent?: string;
}

export interface RegistrarStore {
  /** Adds or refreshes a binding (same aor + contact replaces). */
  put(binding: Binding): Promise<void>;
  /** Removes one binding. */
  remove(aor: string, contact: string): Promise<void>;
  /** Removes all bindings of an AOR (`Contact: *` with Expires: 0). */
  removeAll(aor: string): Promise<void>;
  /** Current (unexpired) bindings of an AOR, highest q first. */
  lookup(aor: string, now?: number): Promise<Binding[]>;
  /** Removes every binding that arrived on `flowId` (a WebSocket closed); returns them. */
  removeByFlow(flowId: string): Promise<Binding[]>;
  /** Drops expired bindings; returns how many. */
  purgeExpired(now?: number): Promise<number>;
  /** Number of bindings held (for metrics). */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** In-memory store: Map aor → Map contact → Binding, plus a flow index. */
export class MemoryRegistrarStore implements RegistrarStore {
  private readonly byAor = new Map<string, Map<string, Binding>>();
  private readonly byFlow = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  private static flowKey(b: Binding): string {
    return `${b.aor}\u0000${b.contact}`;
  }

  async put(b: Binding): Promise<void> {
    let m = this.byAor.get(b.aor);
    if (!m) this.byAor.set(b.aor, (m = new Map()));
    const old = m.get(b.contact);
    if (old?.flowId) this.unindex(old);
    m.set(b.contact, { ...b });
    if (b.flowId) {
      let s = this.byFlow.get(b.flowId);
      if (!s) this.byFlow.set(b.flowId, (s = new Set()));
      s.add(MemoryRegistrarStore.flowKey(b));
    }
  }

  private unindex(b: Binding): void {
    if (!b.flowId) return;
    const s = this.byFlow.get(b.flowId);
    s?.delete(MemoryRegistrarStore.flowKey(b));
    if (s && s.size === 0) this.byFlow.delete(b.flowId);
  }

  async remove(aor: string, contact: string): Promise<void> {
    const m = this.byAor.get(aor);
    const b = m?.get(contact);
    if (!m || !b) return;
    this.unindex(b);
    m.delete(contact);
    if (m.size === 0) this.byAor.delete(aor);
  }

  async removeAll(aor: string): Promise<void> {
    const m = this.byAor.get(aor);
    if (!m) return;
    for (const b of m.values()) this.unindex(b);
    this.byAor.delete(aor);
  }

  async lookup(aor: string, now = this.now()): Promise<Binding[]> {
    const m = this.byAor.get(aor);
    if (!m) return [];
    return [...m.values()].filter((b) => b.expiresAt > now).sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.expiresAt - a.expiresAt).map((b) => ({ ...b }));
  }

  async removeByFlow(flowId: string): Promise<Binding[]> {
    const keys = this.byFlow.get(flowId);
    if (!keys) return [];
    const removed: Binding[] = [];
    for (const k of [...keys]) {
      const [aor, contact] = k.split('\u0000');
      const b = this.byAor.get(aor)?.get(contact);
      if (b) removed.push({ ...b });
      await this.remove(aor, contact);
    }
    this.byFlow.delete(flowId);
    return removed;
  }

  async purgeExpired(now = this.now()): Promise<number> {
    let n = 0;
    for (const [aor, m] of this.byAor) {
      for (const [contact, b] of m) {
        if (b.expiresAt <= now) {
          await this.remove(aor, contact);
          n++;
        }
      }
    }
    return n;
  }

  async size(): Promise<number> {
    let n = 0;
    for (const m of this.byAor.values()) n += m.size;
    return n;
  }

  async close(): Promise<void> {
    this.byAor.clear();
    this.byFlow.clear();
  }
}

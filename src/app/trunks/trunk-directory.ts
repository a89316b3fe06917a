import net from 'node:net';
import type { TrunkConfig } from '../../config/schema.js';

/** A trunk as the app uses it. */
export type Trunk = Readonly<TrunkConfig>;

/** host and optional port of one `addresses[]` entry. */
export function splitHostPort(a: string): { host: string; port?: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(a);
  if (!m) return { host: a };
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return m[2] === undefined ? { host } : { host, port: Number(m[2]) };
}

/** Resolves a host name to addresses (injected; `dns.promises.lookup` in production). */
export type HostResolver = (host: string) => Promise<string[]>;

/**
 * Trunks by name and by source address. An inbound request is a trunk's only when it comes
 * from one of the trunk's addresses (IP literals directly; host names once {@link refresh}
 * resolved them). The source port is not compared: carriers send from changing ports.
 */
export class TrunkDirectory {
  private readonly byName = new Map<string, Trunk>();
  private bySource = new Map<string, Trunk>();

  constructor(trunks: readonly TrunkConfig[]) {
    for (const t of trunks) this.byName.set(t.name, t);
    this.bySource = this.indexLiterals();
  }

  private indexLiterals(): Map<string, Trunk> {
    const m = new Map<string, Trunk>();
    for (const t of this.byName.values()) {
      for (const a of t.addresses) {
        const { host } = splitHostPort(a);
        if (net.isIP(host) && !m.has(normalizeIp(host))) m.set(normalizeIp(host), t);
      }
    }
    return m;
  }

  /** Resolves host-name addresses and rebuilds the source index (call at start and periodically). */
  async refresh(resolve: HostResolver): Promise<void> {
    const m = this.indexLiterals();
    for (const t of this.byName.values()) {
      for (const a of t.addresses) {
        const { host } = splitHostPort(a);
        if (net.isIP(host)) continue;
        let ips: string[] = [];
        try {
          ips = await resolve(host);
        } catch {
          ips = [];
        }
        for (const ip of ips) if (!m.has(normalizeIp(ip))) m.set(normalizeIp(ip), t);
      }
    }
    this.bySource = m;
  }

  get(name: string): Trunk | undefined {
    return this.byName.get(name);
  }

  /** The trunk whose addresses include `address`, or undefined. */
  fromSource(address: string): Trunk | undefined {
    return this.bySource.get(normalizeIp(address));
  }
}

function normalizeIp(a: string): string {
  const s = a.startsWith('[') ? a.slice(1, -1) : a;
  return s.startsWith('::ffff:') && net.isIPv4(s.slice(7)) ? s.slice(7) : s.toLowerCase();
}

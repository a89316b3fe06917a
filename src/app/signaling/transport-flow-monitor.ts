import { TokenAuth } from '../auth/token-auth.js';
import { flowKey, type FlowId, type FlowMonitor, type FlowTokenSource } from './flow.js';

/** What the adapter needs from a SIP transport layer (src/sip's `TransportLayer` fits structurally). */
export interface FlowEventSource {
  on(event: 'message', listener: (msg: unknown, info: { transport: string; flowId: string; remoteAddress: string; remotePort: number }) => void): unknown;
  on(event: 'connectionClosed', listener: (connectionId: string) => void): unknown;
  /** The WebSocket upgrade of an open connection (request target and Cookie header), when known. */
  upgradeOf?(connectionId: string): { url: string; cookie?: string } | undefined;
}

/**
 * {@link FlowMonitor} and {@link FlowTokenSource} over an in-process SIP transport layer
 * (embedded mode): remembers, from inbound messages, which app-visible flow key
 * (`transport:address:port`, what drachtio reports) each transport connection id stands for,
 * reports the key when the connection closes (RFC 7118 §5: bindings of a closed WebSocket go,
 * calls on it end), and gives the browser token the WebSocket upgrade carried (`?token=` or the
 * `tandem_token` cookie). Bounded by the number of open connections.
 * Wiring: `new TransportFlowMonitor(sipStackCore.stack.transport)`.
 */
export class TransportFlowMonitor implements FlowMonitor, FlowTokenSource {
  private readonly keys = new Map<string, FlowId>();
  private readonly ids = new Map<FlowId, string>();
  private readonly listeners = new Set<(flow: FlowId) => void>();

  constructor(private readonly source: FlowEventSource) {
    source.on('message', (_msg, info) => {
      if (info.transport === 'udp' || this.keys.has(info.flowId)) return;
      const key = flowKey(info.transport, info.remoteAddress, info.remotePort);
      this.keys.set(info.flowId, key);
      this.ids.set(key, info.flowId);
    });
    source.on('connectionClosed', (id) => {
      const key = this.keys.get(id);
      if (key === undefined) return;
      this.keys.delete(id);
      if (this.ids.get(key) === id) this.ids.delete(key);
      for (const l of [...this.listeners]) l(key);
    });
  }

  onFlowClosed(listener: (flow: FlowId) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The token presented on the WebSocket upgrade of `flow` (open connections only). */
  tokenFor(flow: FlowId): string | undefined {
    const id = this.ids.get(flow);
    if (id === undefined || !this.source.upgradeOf) return undefined;
    const up = this.source.upgradeOf(id);
    if (!up) return undefined;
    return TokenAuth.fromUpgrade(up.url, up.cookie) ?? undefined;
  }

  /** Connections currently tracked (for tests and metrics). */
  get size(): number {
    return this.keys.size;
  }
}

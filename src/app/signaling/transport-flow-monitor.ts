import { flowKey, type FlowId, type FlowMonitor } from './flow.js';

/** What the adapter needs from a SIP transport layer (src/sip's `TransportLayer` fits structurally). */
export interface FlowEventSource {
  on(event: 'message', listener: (msg: unknown, info: { transport: string; flowId: string; remoteAddress: string; remotePort: number }) => void): unknown;
  on(event: 'connectionClosed', listener: (connectionId: string) => void): unknown;
}

/**
 * {@link FlowMonitor} over an in-process SIP transport layer (embedded mode): remembers, from
 * inbound messages, which app-visible flow key (`transport:address:port`, what drachtio reports)
 * each transport connection id stands for, and reports the key when the connection closes
 * (RFC 7118 §5: bindings of a closed WebSocket go). Bounded by the number of open connections.
 * Wiring: `new TransportFlowMonitor(sipStackCore.stack.transport)`.
 */
export class TransportFlowMonitor implements FlowMonitor {
  private readonly keys = new Map<string, FlowId>();
  private readonly listeners = new Set<(flow: FlowId) => void>();

  constructor(source: FlowEventSource) {
    source.on('message', (_msg, info) => {
      if (info.transport === 'udp' || this.keys.has(info.flowId)) return;
      this.keys.set(info.flowId, flowKey(info.transport, info.remoteAddress, info.remotePort));
    });
    source.on('connectionClosed', (id) => {
      const key = this.keys.get(id);
      if (key === undefined) return;
      this.keys.delete(id);
      for (const l of [...this.listeners]) l(key);
    });
  }

  onFlowClosed(listener: (flow: FlowId) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Connections currently tracked (for tests and metrics). */
  get size(): number {
    return this.keys.size;
  }
}

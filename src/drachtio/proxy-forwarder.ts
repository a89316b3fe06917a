import type { Logger } from '../common/logger.js';
import type {
  CoreClientTransaction, CoreServerTransaction, Destination, InboundInfo, ListeningPoint, SipCore,
} from './sip-core.js';
import { SipText, canonicalHeaderName, hostPortOf, splitList, uriOf, uriParam } from './sip-text.js';

/** Options of one proxy operation (srf `req.proxy` / `srf.proxyRequest`). */
export interface ProxyOperation {
  st: CoreServerTransaction;
  request: SipText;
  destinations: string[];
  recordRoute: boolean;
  /** Called with every final response received from a target (srf's fullResponse). */
  onFinalFromTarget: (res: SipText, info: InboundInfo) => void;
  /** Called once when the operation ends (response forwarded upstream). */
  onDone: () => void;
}

/** Destination of a SIP URI: host, port (5060/5061) and transport (param, sips → tls, else udp). */
export function destinationFor(uri: string): Destination {
  const hp = hostPortOf(uri);
  const param = uriParam(uri, 'transport');
  let transport: Destination['transport'] = hp.scheme === 'sips' ? 'tls' : 'udp';
  if (param === 'tcp' || param === 'udp' || param === 'tls' || param === 'ws' || param === 'wss') transport = param;
  if (hp.scheme === 'sips' && transport === 'tcp') transport = 'tls';
  const port = hp.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
  const host = hp.host.startsWith('[') ? hp.host.slice(1, -1) : hp.host;
  return { transport, host, port };
}

/** The response with our (top) Via value removed (RFC 3261 §16.7 step 3). */
export function stripTopVia(res: SipText): SipText {
  const out = res.clone();
  const idx = out.headers.findIndex((h) => canonicalHeaderName(h.name) === 'via');
  if (idx === -1) return out;
  const values = splitList(out.headers[idx].value);
  if (values.length <= 1) out.headers.splice(idx, 1);
  else out.headers[idx] = { name: out.headers[idx].name, value: values.slice(1).join(', ') };
  return out;
}

/**
 * A stateful proxy for one request (RFC 3261 §16), serial over its destinations:
 * forwards the request (Request-URI = target, Max-Forwards − 1, optional Record-Route),
 * relays provisional responses, tries the next target on a non-2xx final response,
 * relays the 2xx (and its retransmissions) or the last final response upstream, and
 * CANCELs the pending branch when the caller CANCELs.
 */
export class ProxyForwarder {
  private index = 0;
  private current: CoreClientTransaction | undefined;
  private canceled = false;
  private finished = false;
  private lastFinal: SipText | undefined;
  /** True when {@link lastFinal} came from a target (forwarded as is), false when we built it. */
  private lastFinalFromTarget = false;

  constructor(
    private readonly core: SipCore,
    private readonly lp: ListeningPoint,
    private readonly op: ProxyOperation,
    private readonly log: Logger,
  ) {
    op.st.onCancel(() => {
      this.canceled = true;
      void this.current?.cancel([]);
    });
  }

  /** Record-Route value pointing at us (loose routing). */
  static recordRouteFor(lp: ListeningPoint): string {
    const scheme = lp.transport === 'tls' || lp.transport === 'wss' ? 'sips' : 'sip';
    const t = lp.transport === 'udp' ? '' : `;transport=${lp.transport}`;
    return `<${scheme}:${lp.host}:${lp.port}${t};lr>`;
  }

  /** Starts with the first destination. Resolves false when no request could be sent at all. */
  async start(): Promise<boolean> {
    return this.tryNext();
  }

  private async tryNext(): Promise<boolean> {
    while (this.index < this.op.destinations.length && !this.canceled) {
      const target = this.op.destinations[this.index++];
      try {
        const out = this.op.request.clone();
        out.uri = target;
        out.remove('route');
        const mf = Number(out.get('max-forwards') ?? '70');
        out.set('Max-Forwards', String(Number.isFinite(mf) ? mf - 1 : 69));
        if (this.op.recordRoute) out.prepend('Record-Route', ProxyForwarder.recordRouteFor(this.lp));
        const ct = await this.core.sendRequest(out, { destination: destinationFor(target), proxy: true });
        this.current = ct;
        ct.onResponse((res, info) => this.onResponse(ct, res, info));
        ct.onFailure((status, reason) => this.onFailure(ct, status, reason));
        return true;
      } catch (err) {
        this.log.warn({ err, target }, 'drachtio proxy: could not forward to target');
      }
    }
    this.finish();
    return false;
  }

  private onResponse(ct: CoreClientTransaction, res: SipText, info: InboundInfo): void {
    if (res.status === 100) return;
    const up = stripTopVia(res);
    if (res.status < 200) {
      if (ct === this.current && !this.finished) this.op.st.respond(up, { proxied: true });
      return;
    }
    if (res.status < 300) {
      // a 2xx (first or retransmitted) always goes upstream
      const first = !this.finished;
      this.op.st.respond(up, { proxied: true });
      if (first) {
        this.op.onFinalFromTarget(res, info);
        this.finished = true;
        this.op.onDone();
      }
      return;
    }
    if (ct !== this.current || this.finished) return;
    this.op.onFinalFromTarget(res, info);
    this.lastFinal = up;
    this.lastFinalFromTarget = true;
    if (this.canceled || this.index >= this.op.destinations.length) {
      this.finish();
      return;
    }
    void this.tryNext();
  }

  private onFailure(ct: CoreClientTransaction, status: number, reason: string): void {
    if (ct !== this.current || this.finished) return;
    const res = SipText.response(status, reason);
    for (const v of this.op.request.getAll('via')) res.add('Via', v);
    for (const n of ['From', 'To', 'Call-ID', 'CSeq']) res.add(n, this.op.request.get(n) ?? '');
    this.lastFinal = res;
    this.lastFinalFromTarget = false;
    if (this.canceled || this.index >= this.op.destinations.length) this.finish();
    else void this.tryNext();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    let res = this.lastFinal;
    // a response we build ourselves is a UAS response (To tag from the core, §16.7 step 6 / §8.2.6)
    const proxied = res !== undefined && this.lastFinalFromTarget;
    if (!res) {
      res = SipText.response(this.canceled ? 487 : 408, this.canceled ? 'Request Terminated' : 'Request Timeout');
      for (const v of this.op.request.getAll('via')) res.add('Via', v);
      for (const n of ['From', 'To', 'Call-ID', 'CSeq']) res.add(n, this.op.request.get(n) ?? '');
    }
    try {
      this.op.st.respond(res, { proxied });
    } catch {
      // already answered (e.g. 487 after CANCEL)
    }
    this.op.onDone();
  }
}

/** True when the URI of a Route value names one of our listening points. */
export function routeIsUs(route: string, lps: ListeningPoint[]): boolean {
  try {
    const d = destinationFor(uriOf(route));
    return lps.some((lp) => lp.host === d.host && lp.port === d.port);
  } catch {
    return false;
  }
}

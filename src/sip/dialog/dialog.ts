import { InvalidStateError } from '../../common/errors.js';
import type { NameAddr } from '../message/name-addr.js';
import { SipRequest } from '../message/sip-request.js';
import type { SipResponse } from '../message/sip-response.js';
import type { SipUri } from '../message/sip-uri.js';
import type { TransportName } from '../message/sip-message.js';

/** Dialog identifier (RFC 3261 §12): Call-ID, local tag, remote tag. */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** Dialog state (RFC 3261 §12). */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Options of {@link Dialog.createRequest}. */
export interface InDialogRequestOptions {
  /** Extra headers in order. */
  headers?: Array<[string, string]>;
  /** Body (Content-Type is the caller's business). */
  body?: Buffer | string;
  /** CSeq number to use instead of the next one (ACK and CANCEL reuse the INVITE's). */
  cseq?: number;
}

/**
 * A SIP dialog (RFC 3261 §12): id, state, local/remote sequence numbers, URIs, remote
 * target, route set, and the flow the peer is reachable on (so a browser behind NAT is
 * reached over its WebSocket). Pure state: sending is done by the stack.
 */
export class Dialog {
  readonly id: DialogId;
  readonly role: 'uac' | 'uas';
  state: DialogState;
  /** Last CSeq number we used. */
  localSeq: number;
  /** Last CSeq number the peer used; undefined until it sends a request (UAC side). */
  remoteSeq: number | undefined;
  /** Our URI with our tag (From of our requests). */
  localUri: NameAddr;
  /** Peer URI with its tag (To of our requests). */
  remoteUri: NameAddr;
  /** Where in-dialog requests go (peer Contact), refreshed by target refresh requests. */
  remoteTarget: SipUri;
  /** Route set (§12.1.1 / §12.1.2), in the order used for Route. */
  routeSet: NameAddr[];
  /** True for sips (§12.1.1). */
  readonly secure: boolean;
  /** Flow to the peer (connection id), when the dialog came over a connection. */
  flowId: string | undefined;
  /** Transport the dialog was established on. */
  transport: TransportName | undefined;
  /** CSeq of the INVITE that created the dialog. */
  readonly inviteSeq: number;

  private constructor(init: {
    id: DialogId; role: 'uac' | 'uas'; state: DialogState; localSeq: number; remoteSeq: number | undefined;
    localUri: NameAddr; remoteUri: NameAddr; remoteTarget: SipUri; routeSet: NameAddr[]; secure: boolean;
    flowId?: string; transport?: TransportName; inviteSeq: number;
  }) {
    this.id = init.id;
    this.role = init.role;
    this.state = init.state;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.secure = init.secure;
    this.flowId = init.flowId;
    this.transport = init.transport;
    this.inviteSeq = init.inviteSeq;
  }

  /** Dialog key: `callId|localTag|remoteTag`. */
  get key(): string {
    return Dialog.keyOf(this.id);
  }

  /** Key of a dialog id. */
  static keyOf(id: DialogId): string {
    return `${id.callId}|${id.localTag}|${id.remoteTag}`;
  }

  /** Key of the dialog an incoming request belongs to (local tag = To tag). */
  static keyOfIncoming(req: SipRequest): string | undefined {
    const toTag = req.to().tag;
    if (!toTag) return undefined;
    return Dialog.keyOf({ callId: req.callId, localTag: toTag, remoteTag: req.from().tag ?? '' });
  }

  /**
   * UAC dialog from a 1xx (with To tag) or 2xx response to our request (§12.1.2): route set
   * = Record-Route reversed, remote target = Contact, local seq = request CSeq.
   */
  static asUac(req: SipRequest, res: SipResponse, flowId?: string, transport?: TransportName): Dialog {
    const to = res.to();
    if (!to.tag) throw new InvalidStateError('ERR_SIP_NO_TO_TAG', 'response has no To tag; no dialog');
    const from = req.from();
    const contact = res.contacts()[0];
    const reqUri = req.requestUri();
    return new Dialog({
      id: { callId: req.callId, localTag: from.tag ?? '', remoteTag: to.tag },
      role: 'uac',
      state: res.status < 200 ? 'early' : 'confirmed',
      localSeq: req.cseq().seq,
      remoteSeq: undefined,
      localUri: from,
      remoteUri: to,
      remoteTarget: contact ? contact.uri : reqUri,
      routeSet: res.recordRoutes().reverse(),
      secure: reqUri.scheme === 'sips',
      flowId, transport,
      inviteSeq: req.cseq().seq,
    });
  }

  /**
   * UAS dialog from a request and our 1xx/2xx with To tag (§12.1.1): route set =
   * Record-Route in order, remote target = request Contact, remote seq = request CSeq.
   */
  static asUas(req: SipRequest, res: SipResponse): Dialog {
    const to = res.to();
    if (!to.tag) throw new InvalidStateError('ERR_SIP_NO_TO_TAG', 'response has no To tag; no dialog');
    const from = req.from();
    const contact = req.contacts()[0];
    const reqUri = req.requestUri();
    return new Dialog({
      id: { callId: req.callId, localTag: to.tag, remoteTag: from.tag ?? '' },
      role: 'uas',
      state: res.status < 200 ? 'early' : 'confirmed',
      localSeq: 0,
      remoteSeq: req.cseq().seq,
      localUri: to,
      remoteUri: from,
      remoteTarget: contact ? contact.uri : from.uri,
      routeSet: req.recordRoutes(),
      secure: reqUri.scheme === 'sips',
      flowId: req.inbound && req.inbound.transport !== 'udp' ? req.inbound.flowId : undefined,
      transport: req.inbound?.transport,
      inviteSeq: req.cseq().seq,
    });
  }

  /**
   * Updates a UAC dialog with another response to the dialog-creating INVITE: a 2xx confirms
   * it and recomputes the route set (§12.1.2); Contact refreshes the remote target.
   */
  updateFromResponse(res: SipResponse): void {
    if (this.state === 'terminated') return;
    const contact = res.contacts()[0];
    if (contact) this.remoteTarget = contact.uri;
    if (res.status >= 200 && res.status < 300) {
      if (this.state === 'early' && this.role === 'uac') this.routeSet = res.recordRoutes().reverse();
      this.state = 'confirmed';
    } else if (res.status >= 300 && this.state === 'early') this.state = 'terminated';
  }

  /**
   * An in-dialog request from the peer (§12.2.2). Returns 0 when acceptable, or the status
   * to reject it with (500 for an out-of-order CSeq). Updates the remote seq, refreshes the
   * target on re-INVITE/UPDATE with Contact, and ends the dialog on BYE.
   */
  receiveRequest(req: SipRequest): number {
    if (req.method === 'ACK' || req.method === 'CANCEL') return 0;
    const seq = req.cseq().seq;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return 500;
    this.remoteSeq = seq;
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      const contact = req.contacts()[0];
      if (contact) this.remoteTarget = contact.uri;
    }
    if (req.method === 'BYE') this.state = 'terminated';
    return 0;
  }

  /** Target refresh from a 2xx to our re-INVITE/UPDATE (§12.2.1.2). */
  refreshFromResponse(res: SipResponse): void {
    const contact = res.contacts()[0];
    if (contact && res.status >= 200 && res.status < 300) this.remoteTarget = contact.uri;
  }

  /**
   * Builds an in-dialog request (§12.2.1.1): Request-URI = remote target with a loose-routing
   * route set (Route = route set), or the first route's URI with a strict one (Route = the
   * rest + remote target); To/From with tags, Call-ID, CSeq (incremented unless given),
   * Max-Forwards 70. Via and Contact are added by the stack when sent. BYE ends the dialog.
   */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    if (this.state === 'terminated' && method !== 'ACK') {
      throw new InvalidStateError('ERR_SIP_DIALOG_TERMINATED', 'dialog is terminated', { data: { method } });
    }
    let seq: number;
    if (options.cseq !== undefined) seq = options.cseq;
    else if (method === 'ACK' || method === 'CANCEL') seq = this.inviteSeq;
    else seq = ++this.localSeq;
    const first = this.routeSet[0];
    const strict = first !== undefined && !first.uri.params.has('lr');
    const req = new SipRequest(method, strict ? stripForRequestUri(first.uri) : this.remoteTarget.toString());
    const routes = strict ? [...this.routeSet.slice(1).map((r) => r.toString()), `<${this.remoteTarget.toString()}>`] : this.routeSet.map((r) => r.toString());
    for (const r of routes) req.add('Route', r);
    req.add('Max-Forwards', '70');
    req.add('From', this.localUri.toString());
    req.add('To', this.remoteUri.toString());
    req.add('Call-ID', this.id.callId);
    req.add('CSeq', `${seq} ${method}`);
    for (const [n, v] of options.headers ?? []) req.add(n, v);
    if (options.body !== undefined) req.body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    if (method === 'BYE') this.state = 'terminated';
    return req;
  }
}

function stripForRequestUri(uri: SipUri): string {
  const u = uri.clone();
  u.headers.clear();
  return u.toString();
}

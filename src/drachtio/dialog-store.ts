import type { ClientConnection } from './client-connection.js';
import type { CoreServerTransaction, Destination, SipTransportName } from './sip-core.js';

/** A SIP dialog as the drachtio layer tracks it for an app (RFC 3261 §12). */
export interface AppDialog {
  /** drachtio dialog id: `<Call-ID>;from-tag=<From tag of the dialog-creating request>`. */
  id: string;
  role: 'uac' | 'uas';
  /** INVITE or SUBSCRIBE. */
  method: string;
  state: 'early' | 'confirmed';
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Full From (uac) / To (uas) value with our tag, used as From of our requests. */
  localHeader: string;
  /** Full To (uac) / From (uas) value with the peer's tag, used as To of our requests. */
  remoteHeader: string;
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  /** Route set as Route header values, in order of use. */
  routeSet: string[];
  localContact: string;
  client: ClientConnection;
  transport: SipTransportName;
  flowId?: string;
  destination?: Destination;
  /** CSeq of the INVITE whose 2xx the app will ACK (uac). */
  ackSeq?: number;
  /** 200 OK came after we sent CANCEL: ACK then BYE (drachtio's ACK/BYE race handling). */
  ackBye?: boolean;
  /** Server transaction of the initial INVITE (uas), for ACK-timeout mapping. */
  inviteSt?: CoreServerTransaction;
  /** BYE sent or received: no more requests from the app. */
  terminating?: boolean;
}

/** Dialogs by drachtio id and by (Call-ID, local tag, remote tag). */
export class DialogStore {
  private readonly byId = new Map<string, AppDialog>();
  private readonly byKey = new Map<string, AppDialog>();

  static key(callId: string, localTag: string, remoteTag: string): string {
    return `${callId}\n${localTag}\n${remoteTag}`;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): AppDialog | undefined {
    return this.byId.get(id);
  }

  find(callId: string, localTag: string, remoteTag: string): AppDialog | undefined {
    return this.byKey.get(DialogStore.key(callId, localTag, remoteTag));
  }

  findByCallId(callId: string): AppDialog | undefined {
    for (const d of this.byId.values()) if (d.callId === callId) return d;
    return undefined;
  }

  findBySt(st: CoreServerTransaction): AppDialog | undefined {
    for (const d of this.byId.values()) if (d.inviteSt === st) return d;
    return undefined;
  }

  /** Adds or re-keys a dialog (the remote tag may change from early to confirmed). */
  put(d: AppDialog): void {
    for (const [k, v] of this.byKey) if (v === d) this.byKey.delete(k);
    this.byId.set(d.id, d);
    this.byKey.set(DialogStore.key(d.callId, d.localTag, d.remoteTag), d);
  }

  remove(d: AppDialog): void {
    if (this.byId.get(d.id) === d) this.byId.delete(d.id);
    this.byKey.delete(DialogStore.key(d.callId, d.localTag, d.remoteTag));
  }

  all(): AppDialog[] {
    return [...this.byId.values()];
  }

  clear(): void {
    this.byId.clear();
    this.byKey.clear();
  }
}

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
  /** Our last SDP in this dialog (offer or answer) and its Content-Type: the body of a session refresh. */
  localSdp?: string;
  localContentType?: string;
  /** RFC 4028 session timer, while one runs (see `SessionTimers`). */
  sessionTimer?: DialogSessionTimer;
  /**
   * UAC early dialog (RFC 3262 §4): RSeq of the last reliable provisional response passed to the
   * app, the To tag it came with, and the RAck value a PRACK for it carries (`RSeq CSeq INVITE`).
   */
  reliable?: { rseq: number; toTag: string; rack: string };
}

/** The running RFC 4028 session timer of a confirmed INVITE dialog. */
export interface DialogSessionTimer {
  /** Session interval, seconds. */
  intervalSeconds: number;
  /** We send the refreshes; otherwise we expect them and end the dialog when none comes. */
  weRefresh: boolean;
  /** Min-SE put in our refreshes, seconds. */
  minSE: number;
  /** Clock handle of the pending refresh/expiry (undefined while a refresh is in flight). */
  handle: unknown;
  /** Our refreshes answered 491 (glare) since the timer was armed. */
  glareRetries: number;
}

/** Options of a {@link DialogStore}. */
export interface DialogStoreOptions {
  /** Called for each dialog leaving the store (removed, replaced, or cleared): stop its timers there. */
  onRemove?: (d: AppDialog) => void;
}

/**
 * Dialogs by drachtio id and by (Call-ID, local tag, remote tag), with indexes by Call-ID
 * and by INVITE server transaction so no lookup scans every dialog (the hot path of a
 * loaded B2BUA does one by Call-ID per new request from an app).
 */
export class DialogStore {
  private readonly byId = new Map<string, AppDialog>();
  private readonly byKey = new Map<string, AppDialog>();
  /** The key each dialog is filed under in {@link byKey} (re-keyed when its remote tag changes). */
  private readonly keyOf = new Map<AppDialog, string>();
  /** Dialogs per Call-ID, in insertion order. */
  private readonly byCallId = new Map<string, AppDialog[]>();
  private readonly bySt = new Map<CoreServerTransaction, AppDialog>();
  private readonly onRemove: ((d: AppDialog) => void) | undefined;

  constructor(options: DialogStoreOptions = {}) {
    this.onRemove = options.onRemove;
  }

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
    const list = this.byCallId.get(callId);
    if (!list) return undefined;
    for (const d of list) if (this.byId.get(d.id) === d) return d;
    return undefined;
  }

  findBySt(st: CoreServerTransaction): AppDialog | undefined {
    const d = this.bySt.get(st);
    return d !== undefined && this.byId.get(d.id) === d && d.inviteSt === st ? d : undefined;
  }

  /** Adds or re-keys a dialog (the remote tag may change from early to confirmed). */
  put(d: AppDialog): void {
    const oldKey = this.keyOf.get(d);
    if (oldKey !== undefined && this.byKey.get(oldKey) === d) this.byKey.delete(oldKey);
    const key = DialogStore.key(d.callId, d.localTag, d.remoteTag);
    const prev = this.byId.get(d.id);
    if (prev !== undefined && prev !== d) {
      this.unindex(prev);
      this.onRemove?.(prev);
    }
    this.byId.set(d.id, d);
    this.byKey.set(key, d);
    this.keyOf.set(d, key);
    let list = this.byCallId.get(d.callId);
    if (!list) {
      list = [];
      this.byCallId.set(d.callId, list);
    }
    if (!list.includes(d)) list.push(d);
    if (d.inviteSt) this.bySt.set(d.inviteSt, d);
  }

  remove(d: AppDialog): void {
    if (this.byId.get(d.id) === d) this.byId.delete(d.id);
    this.byKey.delete(DialogStore.key(d.callId, d.localTag, d.remoteTag));
    this.unindex(d);
    this.onRemove?.(d);
  }

  all(): AppDialog[] {
    return [...this.byId.values()];
  }

  clear(): void {
    if (this.onRemove) for (const d of this.byId.values()) this.onRemove(d);
    this.byId.clear();
    this.byKey.clear();
    this.keyOf.clear();
    this.byCallId.clear();
    this.bySt.clear();
  }

  private unindex(d: AppDialog): void {
    const key = this.keyOf.get(d);
    if (key !== undefined && this.byKey.get(key) === d) this.byKey.delete(key);
    this.keyOf.delete(d);
    const list = this.byCallId.get(d.callId);
    if (list) {
      const i = list.indexOf(d);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) this.byCallId.delete(d.callId);
    }
    if (d.inviteSt && this.bySt.get(d.inviteSt) === d) this.bySt.delete(d.inviteSt);
  }
}

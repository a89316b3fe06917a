// Fakes shared by the CallSession tests: a drachtio-srf dialog and a UAS response object that
// record what the session did to them. Not a peer: only the session's own API surface.
import { EventEmitter } from 'node:events';
import type { AppRequest, AppResponse, SendOptions } from '../../../src/app/signaling/srf-types.js';
import type { ProvisionalResponse, SentInvite, SessionDialog, SessionSrf } from '../../../src/session/index.js';

/** A dialog: records destroy() headers and modify() offers; answers modify() with `modifyAnswer`. */
export class FakeDialog extends EventEmitter implements SessionDialog {
  destroyed: Array<Record<string, string> | undefined> = [];
  modifies: string[] = [];
  modifyAnswer = '';
  constructor(public local: { sdp: string }, public remote: { sdp: string }) {
    super();
  }
  async destroy(opts?: { headers?: Record<string, string> }): Promise<unknown> {
    this.destroyed.push(opts?.headers);
    return undefined;
  }
  async modify(sdp: string): Promise<string> {
    this.modifies.push(sdp);
    return this.modifyAnswer;
  }
}

/** The A leg's response object: records every status sent. */
export class FakeRes implements AppResponse {
  sent: Array<{ status: number; opts?: SendOptions }> = [];
  get finalResponseSent(): boolean {
    return this.sent.some((s) => s.status >= 200);
  }
  send(status: number, a?: string | SendOptions, b?: SendOptions): void {
    this.sent.push({ status, ...(typeof a === 'object' ? { opts: a } : b ? { opts: b } : {}) });
  }
}

/** An INVITE (or re-INVITE) as drachtio-srf hands it to the app: no headers, only what the session reads. */
export class FakeReq extends EventEmitter implements AppRequest {
  readonly method = 'INVITE';
  constructor(
    readonly callId: string,
    readonly body: string,
    readonly protocol: string = 'ws',
    readonly source_address: string = '127.0.0.1',
    readonly source_port: number = 5060,
    readonly uri: string = 'sip:x@tandem.test',
  ) {
    super();
  }
  get(): string | undefined {
    return undefined;
  }
  has(): boolean {
    return false;
  }
}

/** The progress callbacks createUAC gets. */
export type UacProgress = { cbRequest?: (err: unknown, req: SentInvite) => void; cbProvisional?: (res: ProvisionalResponse) => void };

/**
 * drachtio-srf as the session sees it. `createUAC` runs `uac` (replace it to script the B leg;
 * by default: an optional 180, then a dialog answering with `answer`), records the offer and the
 * dialog and puts the offer in the dialog's local SDP; `createUAS` answers 200 with the session's
 * SDP on a dialog whose remote SDP is `offer`.
 */
export class FakeSrf implements SessionSrf {
  uac: (progress: UacProgress) => Promise<SessionDialog>;
  offers: string[] = [];
  uacDialogs: FakeDialog[] = [];
  uas: FakeDialog[] = [];
  uacCalls = 0;
  private readonly offer: string;

  constructor(opts: { answer: string; offer?: string; ringing?: boolean }) {
    this.offer = opts.offer ?? '';
    this.uac = async (progress) => {
      if (opts.ringing === true) progress.cbProvisional?.({ status: 180 });
      return new FakeDialog({ sdp: '' }, { sdp: opts.answer });
    };
  }

  async createUAC(_uri: string, opts: { localSdp: string }, progress: UacProgress): Promise<SessionDialog> {
    this.uacCalls++;
    this.offers.push(opts.localSdp);
    const d = (await this.uac(progress)) as FakeDialog;
    d.local.sdp = opts.localSdp;
    this.uacDialogs.push(d);
    return d;
  }

  async createUAS(_req: AppRequest, res: AppResponse, opts: { localSdp: string }): Promise<SessionDialog> {
    res.send(200, { body: opts.localSdp });
    const d = new FakeDialog({ sdp: opts.localSdp }, { sdp: this.offer });
    this.uas.push(d);
    return d;
  }
}

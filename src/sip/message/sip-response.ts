import { SipMessage } from './sip-message.js';

/** A SIP response (RFC 3261 §7.2). */
export class SipResponse extends SipMessage {
  readonly isRequest = false;
  /** Status code 100–699. */
  status: number;
  /** Reason phrase (may be empty, RFC 4475 §3.1.1.13). */
  reason: string;
  /** SIP-Version, normally `SIP/2.0`. */
  version: string;

  constructor(status: number, reason: string, version = 'SIP/2.0') {
    super();
    this.status = status;
    this.reason = reason;
    this.version = version;
  }

  /** `SIP-Version SP Status-Code SP Reason-Phrase` (the second SP is kept when the phrase is empty). */
  startLine(): string {
    return `${this.version} ${this.status} ${this.reason}`;
  }

  /** A deep copy (body shared). */
  clone(): SipResponse {
    const r = new SipResponse(this.status, this.reason, this.version);
    r.headers = this.headers.map((h) => ({ ...h }));
    r.body = this.body;
    r.inbound = this.inbound;
    return r;
  }
}

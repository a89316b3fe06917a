import { SipMessage } from './sip-message.js';
import { SipUri } from './sip-uri.js';

/** A SIP request (RFC 3261 §7.1). */
export class SipRequest extends SipMessage {
  readonly isRequest = true;
  /** Method, case-sensitive (RFC 3261 §7.1; `INVITE` ≠ `invite`). */
  method: string;
  /** Request-URI as written. */
  uri: string;
  /** SIP-Version, normally `SIP/2.0`. */
  version: string;

  constructor(method: string, uri: string | SipUri, version = 'SIP/2.0') {
    super();
    this.method = method;
    this.uri = typeof uri === 'string' ? uri : uri.toString();
    this.version = version;
  }

  /** The Request-URI parsed (parse error when malformed). */
  requestUri(): SipUri {
    return SipUri.parse(this.uri);
  }

  /** `Method SP Request-URI SP SIP-Version`. */
  startLine(): string {
    return `${this.method} ${this.uri} ${this.version}`;
  }

  /** A deep copy (headers, body reference shared — bodies are treated as immutable). */
  clone(): SipRequest {
    const r = new SipRequest(this.method, this.uri, this.version);
    r.headers = this.headers.map((h) => ({ ...h }));
    r.body = this.body;
    r.inbound = this.inbound;
    return r;
  }
}

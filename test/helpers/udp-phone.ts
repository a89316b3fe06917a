/**
 * A phone on a real UDP socket for gateway tests: answers every request but ACK with 200
 * (RFC 3261 §8.2.6), an initial INVITE with a To tag and an SDP answer, and records INVITEs
 * and BYEs (arrival time and Reason, RFC 3326). Subclasses add behaviour through the hooks.
 */
import dgram from 'node:dgram';
import { copyHeaders, hdr, parseSip, type SipMsg } from './sip-text.js';

export interface UdpPhoneOptions {
  /** The SDP answer to an INVITE (used as is unless `answerSdp` is overridden). */
  answer: string;
}

export class UdpPhone {
  readonly sock = dgram.createSocket('udp4');
  /** Initial INVITEs (no To tag) received. */
  invites = 0;
  /** BYEs received: when, and their Reason header. */
  readonly byeLog: Array<{ at: number; reason: string }> = [];
  port = 0;

  constructor(protected readonly o: UdpPhoneOptions) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.sock.bind(0, '127.0.0.1', () => resolve()));
    this.port = this.sock.address().port;
    this.sock.on('message', (buf, rinfo) => {
      const m = parseSip(buf.toString('utf8'));
      this.onMessage(m, rinfo);
      if (m.status !== 0 || m.method === 'ACK') return;
      const copy = copyHeaders(m, ['via', 'record-route', 'from', 'call-id', 'cseq']);
      let to = hdr(m, 'to');
      let body = '';
      if (m.method === 'INVITE') {
        if (!to.includes('tag=')) {
          this.invites++;
          to += ';tag=phone1';
        }
        body = this.answerSdp(m);
      }
      if (m.method === 'BYE') this.byeLog.push({ at: Date.now(), reason: hdr(m, 'reason') });
      this.sock.send([
        'SIP/2.0 200 OK', ...copy, `to: ${to}`, `Contact: <sip:phone@127.0.0.1:${this.port}>`,
        ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
      ].join('\r\n'), rinfo.port, rinfo.address);
    });
  }

  /** Called first for every message received (requests and responses). */
  protected onMessage(_m: SipMsg, _from: dgram.RemoteInfo): void {}

  /** The SDP answering `invite` (called for every INVITE, before the 200 is sent). */
  protected answerSdp(_invite: SipMsg): string {
    return this.o.answer;
  }

  close(): void {
    this.sock.close();
  }
}

// A minimal raw-UDP SIP user agent for the SDP interop tests: just enough of RFC 3261
// to send INVITE/ACK/BYE with a given SDP body and to answer one incoming INVITE.
// (Tandem's own SIP stack is tested elsewhere; these tests must not depend on it.)
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface SipMessage {
  startLine: string;
  status?: number;
  method?: string;
  headers: Map<string, string[]>;
  body: string;
  raw: string;
}

export function parseSip(buf: Buffer): SipMessage {
  const raw = buf.toString('utf8');
  const sep = raw.indexOf('\r\n\r\n');
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep + 4);
  const [startLine, ...lines] = head.split('\r\n');
  const headers = new Map<string, string[]>();
  const compact: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', c: 'content-type', l: 'content-length' };
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    let name = l.slice(0, i).trim().toLowerCase();
    name = compact[name] ?? name;
    headers.set(name, [...(headers.get(name) ?? []), l.slice(i + 1).trim()]);
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  return m ? { startLine, status: Number(m[1]), headers, body, raw } : { startLine, method: startLine.split(' ')[0], headers, body, raw };
}

const hdr = (m: SipMessage, n: string): string => m.headers.get(n)?.[0] ?? '';
const token = (): string => randomBytes(6).toString('hex');

/** One UDP socket acting as a UA on 127.0.0.1. */
export class RawSipUa {
  private readonly queue: Array<{ msg: SipMessage; port: number; address: string }> = [];
  private waiter: (() => void) | null = null;

  private constructor(private readonly sock: dgram.Socket, readonly port: number) {
    sock.on('message', (buf, rinfo) => {
      this.queue.push({ msg: parseSip(buf), port: rinfo.port, address: rinfo.address });
      this.waiter?.();
    });
  }

  static async open(): Promise<RawSipUa> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    return new RawSipUa(sock, sock.address().port);
  }

  close(): void {
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }

  send(text: string, port: number, host = '127.0.0.1'): void {
    this.sock.send(Buffer.from(text, 'utf8'), port, host);
  }

  /** Next message matching `pred`, or rejects after `timeoutMs`. */
  async next(pred: (m: SipMessage) => boolean, timeoutMs = 10000): Promise<{ msg: SipMessage; port: number; address: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((q) => pred(q.msg));
      if (i >= 0) return this.queue.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SIP: no matching message within ${timeoutMs} ms; got: ${this.queue.map((q) => q.msg.startLine).join(' | ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /**
   * Sends an INVITE with `sdp` to `target` (sip:user@127.0.0.1:port) and
   * returns the final response. On 2xx it sends the ACK; `bye()` ends the call.
   */
  async invite(target: string, sdp: string): Promise<{ final: SipMessage; bye: () => Promise<SipMessage> }> {
    const m = /@([\d.]+):(\d+)/.exec(target);
    if (!m) throw new Error(`bad target ${target}`);
    const [host, port] = [m[1], Number(m[2])];
    const callId = `${token()}@tandem.test`;
    const fromTag = token();
    const me = `127.0.0.1:${this.port}`;
    const req = (method: string, uri: string, cseq: number, extra: string[], body = ''): string => [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${me};branch=z9hG4bK${token()};rport`,
      'Max-Forwards: 70',
      `From: <sip:tandem@${me}>;tag=${fromTag}`,
      ...extra,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:tandem@${me}>`,
      'User-Agent: tandem-sdp-test',
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    const invite = req('INVITE', target, 1, [`To: <${target}>`], sdp);
    this.send(invite, port, host);
    const retrans = setInterval(() => this.send(invite, port, host), 500);
    let final: SipMessage;
    try {
      for (;;) {
        const { msg } = await this.next((x) => x.status !== undefined && hdr(x, 'call-id') === callId && hdr(x, 'cseq').endsWith('INVITE'));
        if (msg.status !== undefined && msg.status >= 100) clearInterval(retrans);
        if (msg.status !== undefined && msg.status >= 200) {
          final = msg;
          break;
        }
      }
    } finally {
      clearInterval(retrans);
    }
    const to = hdr(final, 'to');
    const contact = /<([^>]+)>/.exec(hdr(final, 'contact'))?.[1] ?? target;
    const cm = /@?([\d.]+):(\d+)/.exec(contact.replace(/^sips?:[^@]*@/, '@'));
    const [dHost, dPort] = cm ? [cm[1], Number(cm[2])] : [host, port];
    if (final.status !== undefined && final.status < 300) {
      this.send(req('ACK', contact, 1, [`To: ${to}`]), dPort, dHost);
    } else {
      // ACK for a non-2xx final response (same branch would be needed; loopback peers accept this)
      this.send(req('ACK', target, 1, [`To: ${to}`]), port, host);
    }
    const bye = async (): Promise<SipMessage> => {
      this.send(req('BYE', contact, 2, [`To: ${to}`]), dPort, dHost);
      const { msg } = await this.next((x) => x.status !== undefined && hdr(x, 'call-id') === callId && hdr(x, 'cseq').endsWith('BYE'));
      return msg;
    };
    return { final, bye };
  }

  /**
   * Waits for an INVITE, lets `answer(offerSdp)` produce the SDP answer, sends
   * 200 OK with it and waits for the ACK. Returns the INVITE's SDP.
   */
  async answerInvite(answer: (offer: string) => string, timeoutMs = 15000): Promise<{ offer: string; answerSdp: string; ack: SipMessage }> {
    const { msg: inv, port, address } = await this.next((x) => x.method === 'INVITE', timeoutMs);
    const toTag = token();
    const resp = (status: string, body = ''): string => [
      `SIP/2.0 ${status}`,
      ...(inv.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${hdr(inv, 'from')}`,
      `To: ${hdr(inv, 'to')};tag=${toTag}`,
      `Call-ID: ${hdr(inv, 'call-id')}`,
      `CSeq: ${hdr(inv, 'cseq')}`,
      `Contact: <sip:tandem@127.0.0.1:${this.port}>`,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    this.send(resp('100 Trying'), port, address);
    const answerSdp = answer(inv.body);
    const ok = resp('200 OK', answerSdp);
    this.send(ok, port, address);
    const retrans = setInterval(() => this.send(ok, port, address), 500);
    try {
      const { msg: ack } = await this.next((x) => x.method === 'ACK' && hdr(x, 'call-id') === hdr(inv, 'call-id'), timeoutMs);
      return { offer: inv.body, answerSdp, ack };
    } finally {
      clearInterval(retrans);
    }
  }

  /** Answers any BYE for a while (baresip hangs up on quit). */
  answerBye(msg: SipMessage, port: number, address: string): void {
    this.send([
      'SIP/2.0 200 OK',
      ...(msg.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${hdr(msg, 'from')}`,
      `To: ${hdr(msg, 'to')}`,
      `Call-ID: ${hdr(msg, 'call-id')}`,
      `CSeq: ${hdr(msg, 'cseq')}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'), port, address);
  }
}

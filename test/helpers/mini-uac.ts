/**
 * A minimal SIP UAC over UDP for media tests (moved here from
 * test/integration/media/rtp-leg-baresip.test.ts so the engine acceptance tests reuse it).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

/**
 * A minimal SIP UAC over UDP, just enough to put baresip in a call: INVITE
 * with our SDP, ACK the 200, BYE at the end. (Test scaffolding only; the
 * product's SIP stack lives in src/sip.)
 */
export class MiniUac {
  private readonly callId = `${randomBytes(8).toString('hex')}@tandem.test`;
  private readonly fromTag = randomBytes(4).toString('hex');
  private toTag = '';
  private remoteTarget = '';
  private cseq = 1;
  private readonly waiters: Array<(m: string) => void> = [];

  private constructor(private readonly sock: dgram.Socket, private readonly port: number, private readonly peer: { host: string; port: number }) {
    sock.on('message', (m) => {
      const text = m.toString('utf8');
      const w = this.waiters.shift();
      if (w) w(text);
    });
  }

  static async create(peer: { host: string; port: number }): Promise<MiniUac> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    return new MiniUac(sock, sock.address().port, peer);
  }

  private next(timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('SIP response timeout')), timeoutMs);
      this.waiters.push((m) => { clearTimeout(t); resolve(m); });
    });
  }

  private send(lines: string[], body = ''): void {
    const msg = `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    this.sock.send(msg, this.peer.port, this.peer.host);
  }

  private headers(method: string, uri: string, cseq: number): string[] {
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      'Max-Forwards: 70',
      `From: <sip:tandem@127.0.0.1:${this.port}>;tag=${this.fromTag}`,
      `To: <${uri}>${this.toTag ? `;tag=${this.toTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:tandem@127.0.0.1:${this.port}>`,
    ];
  }

  /** Sends INVITE with `sdp`, returns the 200 OK's SDP body. */
  async invite(uri: string, sdp: string): Promise<string> {
    this.send([...this.headers('INVITE', uri, this.cseq), 'Content-Type: application/sdp'], sdp);
    for (;;) {
      const m = await this.next(10000);
      const status = Number(/^SIP\/2\.0 (\d+)/.exec(m)?.[1] ?? 0);
      if (status < 200) continue;
      if (status !== 200) throw new Error(`INVITE failed: ${m.split('\r\n')[0]}`);
      this.toTag = /\r\nTo:[^\r\n]*;tag=([^;\s\r\n]+)/i.exec(m)?.[1] ?? '';
      this.remoteTarget = /\r\nContact:\s*<([^>]+)>/i.exec(m)?.[1] ?? uri;
      this.send(this.headers('ACK', this.remoteTarget, this.cseq));
      return m.slice(m.indexOf('\r\n\r\n') + 4);
    }
  }

  async bye(): Promise<void> {
    this.cseq++;
    this.send(this.headers('BYE', this.remoteTarget, this.cseq));
    await this.next(3000).catch(() => '');
  }

  close(): void { this.sock.close(); }
}


/**
 * A SIP trunk on a real UDP socket, as a carrier would behave: demands digest (RFC 3261 §22)
 * on REGISTER (401) and INVITE (407), grants a short registration expiry, answers OPTIONS,
 * answers an authorized INVITE 200 with SDP, BYE 200. Records every message it received.
 */
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { copyHeaders, digestParams, hdr, md5, parseSip, type SipMsg as PeerMsg } from '../../helpers/sip-text.js';

/** Checks a digest `Authorization`/`Proxy-Authorization` (MD5, with or without qop=auth). */
export function digestValid(h: string, method: string, user: string, password: string, realm: string, nonce: string): boolean {
  const p = digestParams(h.replace(/^\s*Digest\s+/i, ''));
  if (p.get('username') !== user || p.get('realm') !== realm || p.get('nonce') !== nonce) return false;
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${p.get('uri') ?? ''}`);
  const qop = p.get('qop');
  const expected = qop ? md5(`${ha1}:${nonce}:${p.get('nc')}:${p.get('cnonce')}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  return p.get('response') === expected;
}

/**
 * The `trunks` entry of the trunk tests: trunk 'carrier' over UDP at `addresses` (failover order),
 * registering as tandem / trunk-pw (60 s asked), asserting caller ID +442071234000 (P-Asserted-Identity).
 */
export function carrierTrunkConfig(addresses: string[], optionsPingSeconds: number): Record<string, unknown> {
  return {
    name: 'carrier', addresses, transport: 'udp', optionsPingSeconds,
    register: { user: 'tandem', password: 'trunk-pw', expires: 60 },
    callerId: { assert: true, defaultNumber: '+442071234000' },
  };
}

export interface TrunkPeerOptions {
  user: string; password: string; realm: string; grantExpires: number; answerSdp: string;
  /** Answer every INVITE with this status (e.g. 503: an overloaded carrier node) instead of the digest flow. */
  rejectInvite?: number;
  host?: string;
}

export class TrunkPeer {
  readonly sock = dgram.createSocket('udp4');
  readonly received: PeerMsg[] = [];
  /** REGISTERs answered 200 (authorized). */
  readonly registered: PeerMsg[] = [];
  /** INVITEs answered 200 (authorized). */
  readonly answered: PeerMsg[] = [];
  port = 0;
  /** The carrier's address: not 127.0.0.1, so local clients are not taken for the trunk (source match). */
  readonly host: string;
  private readonly nonce = crypto.randomBytes(8).toString('hex');

  constructor(private readonly o: TrunkPeerOptions) {
    this.host = o.host ?? '127.0.0.2';
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.sock.bind(port, this.host, () => resolve()));
    this.port = this.sock.address().port;
    this.sock.on('message', (buf, rinfo) => this.onMessage(parseSip(buf.toString('utf8')), rinfo.port, rinfo.address));
  }

  private reply(m: PeerMsg, status: string, extra: string[], body = '', port: number, address: string, toTag?: string): void {
    let to = hdr(m, 'to');
    if (toTag && !/;tag=/.test(to)) to += `;tag=${toTag}`;
    const copy = copyHeaders(m, ['via', 'record-route', 'from', 'call-id', 'cseq']);
    const lines = [`SIP/2.0 ${status}`, ...copy, `To: ${to}`, ...extra, ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body];
    this.sock.send(lines.join('\r\n'), port, address);
  }

  private onMessage(m: PeerMsg, port: number, address: string): void {
    if (m.status !== 0) return;
    this.received.push(m);
    const challenge = `Digest realm="${this.o.realm}", nonce="${this.nonce}", algorithm=MD5`;
    switch (m.method) {
      case 'REGISTER': {
        const auth = hdr(m, 'authorization');
        if (!auth) return this.reply(m, '401 Unauthorized', [`WWW-Authenticate: ${challenge}`], '', port, address, 'reg');
        if (!digestValid(auth, 'REGISTER', this.o.user, this.o.password, this.o.realm, this.nonce)) return this.reply(m, '403 Forbidden', [], '', port, address, 'reg');
        this.registered.push(m);
        const contact = /<[^>]+>/.exec(hdr(m, 'contact'))?.[0] ?? '';
        return this.reply(m, '200 OK', [`Contact: ${contact};expires=${this.o.grantExpires}`], '', port, address, 'reg');
      }
      case 'OPTIONS':
        return this.reply(m, '200 OK', ['Allow: INVITE, ACK, BYE, CANCEL, OPTIONS'], '', port, address, 'opt');
      case 'INVITE': {
        if (this.o.rejectInvite) return this.reply(m, `${this.o.rejectInvite} Service Unavailable`, [], '', port, address, 'busy');
        const auth = hdr(m, 'proxy-authorization');
        if (!auth) return this.reply(m, '407 Proxy Authentication Required', [`Proxy-Authenticate: ${challenge}`], '', port, address, 'inv407');
        if (!digestValid(auth, 'INVITE', this.o.user, this.o.password, this.o.realm, this.nonce)) return this.reply(m, '403 Forbidden', [], '', port, address, 'inv403');
        this.answered.push(m);
        return this.reply(m, '200 OK', [`Contact: <sip:carrier@${this.host}:${this.port}>`], this.o.answerSdp, port, address, 'carrier1');
      }
      case 'BYE':
      case 'CANCEL':
        return this.reply(m, '200 OK', [], '', port, address);
      default:
        return undefined;
    }
  }

  close(): void {
    this.sock.close();
  }
}

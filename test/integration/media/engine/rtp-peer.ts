// A raw RTP peer (plays the SIP phone): sends a G.711 µ-law tone, records what it receives, or echoes.
import dgram from 'node:dgram';
import { linearToUlaw, ulawDecode } from '../../../../src/media/codecs/g711.js';

export class RtpPeer {
  private readonly sock = dgram.createSocket('udp4');
  private seq = Math.floor(Math.random() * 65535);
  private ts = Math.floor(Math.random() * 2 ** 31);
  private phase = 0;
  private readonly chunks: Int16Array[] = [];
  /** Receive timestamps (ms, performance.now) by RTP seq of echoed packets, for added-latency measurement. */
  received = 0;
  echo = false;
  record = true;
  remote: { address: string; port: number } | null = null;
  onPacket: ((pkt: Buffer) => void) | null = null;

  private constructor(readonly ssrc: number) {}

  static async bind(ssrc = (Math.random() * 0xffffffff) >>> 0): Promise<RtpPeer> {
    const p = new RtpPeer(ssrc);
    await new Promise<void>((resolve) => p.sock.bind(0, '127.0.0.1', resolve));
    p.sock.on('message', (msg, rinfo) => p.onMessage(msg, rinfo.address, rinfo.port));
    return p;
  }

  get port(): number {
    return this.sock.address().port;
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    if (msg.length < 12 || (msg[1] & 0x7f) >= 72 && (msg[1] & 0x7f) <= 95) return;
    this.received++;
    this.onPacket?.(msg);
    if (this.echo) {
      this.sock.send(msg, port, address);
      return;
    }
    if (this.record && (msg[1] & 0x7f) === 0) {
      const payload = msg.subarray(12 + (msg[0] & 0x0f) * 4);
      const pcm = new Int16Array(payload.length);
      ulawDecode(payload, pcm);
      this.chunks.push(pcm);
    }
  }

  /** One 20 ms PCMU packet of a `freq` Hz tone toward `remote`. */
  sendTone(freq: number, amplitude = 8000): void {
    if (!this.remote) return;
    const pkt = Buffer.alloc(12 + 160);
    pkt[0] = 0x80; pkt[1] = 0;
    pkt.writeUInt16BE(this.seq, 2); pkt.writeUInt32BE(this.ts >>> 0, 4); pkt.writeUInt32BE(this.ssrc, 8);
    const step = (2 * Math.PI * freq) / 8000;
    for (let i = 0; i < 160; i++) {
      pkt[12 + i] = linearToUlaw(Math.round(amplitude * Math.sin(this.phase)));
      this.phase += step;
    }
    this.phase %= 2 * Math.PI;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 160) >>> 0;
    this.sock.send(pkt, this.remote.port, this.remote.address);
  }

  samples(): Int16Array {
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const all = new Int16Array(n);
    let off = 0;
    for (const c of this.chunks) { all.set(c, off); off += c.length; }
    return all;
  }

  close(): void {
    try { this.sock.close(); } catch { /* closed */ }
  }
}

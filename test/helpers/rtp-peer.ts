/**
 * A raw UDP RTP peer for media tests: sends a G.711 tone at a given ptime
 * (optionally SDES-SRTP via werift's SRTP, so Tandem's SRTP is checked against
 * an independent implementation), can inject random loss and jitter, records
 * and decodes what it receives, and records RFC 4733 events.
 */
import dgram from 'node:dgram';
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../../src/media/codecs/g711.js';
import { OpusDecoder, OpusEncoder } from '../../src/media/codecs/opus.js';
import { WeriftSrtpSession } from '../../src/media/srtp/werift-srtp-session.js';
import { TandemSrtpSession } from '../../src/media/srtp/tandem-srtp-session.js';
import type { SrtpProtection, SrtpSessionKeys } from '../../src/media/srtp/srtp-protection.js';
import { generateTone } from './tone.js';
import { seededRandom as rng } from './seeded-random.js';

export type G711 = 'PCMU' | 'PCMA';
/** Codecs the peer speaks. Opus runs at 8 kHz PCM internally, RTP clock 48 kHz. */
export type PeerCodec = G711 | 'opus';

export interface RtpPeerOptions {
  codec: PeerCodec;
  /** Payload type to send. Default 0 for PCMU, 8 for PCMA, 111 for opus. */
  pt?: number;
  /** Packetization time. Default 20 ms. */
  ptimeMs?: number;
  /** Tone frequency. Default 1000 Hz. */
  freq?: number;
  /** Tone amplitude 0..1. Default 0.5. */
  amplitude?: number;
  /** Received PT → codec for decoding. Default { [pt]: codec }. */
  receiveCodecs?: Record<number, PeerCodec>;
  /** PT of telephone-event packets to record. Default 101. */
  dtmfPt?: number;
  /** SRTP keys from the peer's point of view (local = what it sends with). */
  srtp?: SrtpSessionKeys;
  /** SRTP implementation for the peer. Default 'werift' (independent of Tandem's). */
  srtpImpl?: 'werift' | 'tandem';
  /** Probability to drop each outgoing packet. Default 0. */
  lossRate?: number;
  /** Uniform random extra delay 0..jitterMs per outgoing packet (may reorder). Default 0. */
  jitterMs?: number;
  ssrc?: number;
  /** Seed for loss/jitter decisions. Default 1. */
  seed?: number;
}

export interface DtmfEventRecord { event: number; end: boolean; duration: number; ts: number; pt: number }

export class RtpPeer {
  readonly sock: dgram.Socket;
  readonly port: number;
  /** Decoded received audio (8 kHz), placed by RTP timestamp (gaps stay silent). */
  private rec = new Int16Array(8000 * 4);
  private recEnd = 0;
  private recSsrc = -1;
  private recOriginTs = 0;
  private recOriginPos = 0;
  private opusDec: OpusDecoder | null = null;
  private opusEnc: OpusEncoder | null = null;
  private readonly pcmScratch = new Int16Array(5760);
  readonly dtmf: DtmfEventRecord[] = [];
  receivedPackets = 0;
  receivedBad = 0;
  sentPackets = 0;
  /** Source of the last received packet. */
  lastFrom: { address: string; port: number } | null = null;
  /** SSRC/seq/ts of received packets (for continuity checks). */
  readonly rxHeaders: Array<{ ssrc: number; seq: number; ts: number; pt: number; marker: boolean; at: number }> = [];
  target: { address: string; port: number } | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private seq = Math.floor(Math.random() * 30000);
  private ts = Math.floor(Math.random() * 1e9);
  private phase = 0;
  private readonly srtp: SrtpProtection | null;
  private readonly rand: () => number;
  private readonly opts: Required<Omit<RtpPeerOptions, 'srtp' | 'receiveCodecs' | 'srtpImpl'>> & { receiveCodecs: Record<number, PeerCodec> };
  private closed = false;

  private constructor(sock: dgram.Socket, opts: RtpPeerOptions) {
    this.sock = sock;
    this.port = sock.address().port;
    const pt = opts.pt ?? (opts.codec === 'PCMU' ? 0 : opts.codec === 'PCMA' ? 8 : 111);
    this.opts = {
      codec: opts.codec, pt, ptimeMs: opts.ptimeMs ?? 20, freq: opts.freq ?? 1000, amplitude: opts.amplitude ?? 0.5,
      receiveCodecs: opts.receiveCodecs ?? { [pt]: opts.codec }, dtmfPt: opts.dtmfPt ?? 101,
      lossRate: opts.lossRate ?? 0, jitterMs: opts.jitterMs ?? 0, ssrc: opts.ssrc ?? ((Math.random() * 0xffffffff) >>> 0), seed: opts.seed ?? 1,
    };
    this.rand = rng(this.opts.seed);
    this.srtp = opts.srtp ? ((opts.srtpImpl ?? 'werift') === 'werift' ? new WeriftSrtpSession(opts.srtp) : new TandemSrtpSession(opts.srtp)) : null;
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
  }

  static async create(opts: RtpPeerOptions, address = '127.0.0.1'): Promise<RtpPeer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, address, () => { sock.removeListener('error', reject); resolve(); });
    });
    return new RtpPeer(sock, opts);
  }

  /** Decoded audio received so far. */
  get received(): Int16Array {
    return this.rec.slice(0, this.recEnd);
  }

  /** Forgets what was received so far. */
  clearReceived(): void { this.recEnd = 0; this.recSsrc = -1; this.rec.fill(0); this.rxHeaders.length = 0; }

  private place(ssrc: number, ts: number, rate: number, pcm: Int16Array, n: number): void {
    const div = rate / 8000;
    let pos = -1;
    if (ssrc === this.recSsrc) {
      pos = this.recOriginPos + Math.round((((ts - this.recOriginTs) | 0)) / div);
      if (pos < 0 || pos > this.recEnd + 8000 * 5) pos = -1;
    }
    if (pos < 0) {
      // New source or a wild jump: continue at the end.
      this.recSsrc = ssrc;
      this.recOriginTs = ts;
      this.recOriginPos = this.recEnd;
      pos = this.recEnd;
    }
    if (pos + n > this.rec.length) {
      const nb = new Int16Array(Math.max(this.rec.length * 2, pos + n + 8000));
      nb.set(this.rec.subarray(0, this.recEnd));
      this.rec = nb;
    }
    this.rec.set(pcm.subarray(0, n), pos);
    this.recEnd = Math.max(this.recEnd, pos + n);
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    if (msg.length < 12 || msg[0] >> 6 !== 2) { this.receivedBad++; return; }
    if (msg[1] >= 192 && msg[1] <= 223) return; // RTCP (muxed or not) is ignored here
    let pkt: Buffer | null = msg;
    if (this.srtp) pkt = this.srtp.unprotectRtp(msg);
    if (!pkt) { this.receivedBad++; return; }
    this.lastFrom = { address, port };
    const pt = pkt[1] & 0x7f;
    const cc = pkt[0] & 0x0f;
    let off = 12 + cc * 4;
    if (pkt[0] & 0x10) off += 4 + pkt.readUInt16BE(off + 2) * 4;
    const payload = pkt.subarray(off);
    this.receivedPackets++;
    this.rxHeaders.push({ ssrc: pkt.readUInt32BE(8), seq: pkt.readUInt16BE(2), ts: pkt.readUInt32BE(4), pt, marker: (pkt[1] & 0x80) !== 0, at: Date.now() });
    if (pt === this.opts.dtmfPt && payload.length >= 4) {
      this.dtmf.push({ event: payload[0], end: (payload[1] & 0x80) !== 0, duration: payload.readUInt16BE(2), ts: pkt.readUInt32BE(4), pt });
      return;
    }
    const codec = this.opts.receiveCodecs[pt];
    if (!codec) { this.receivedBad++; return; }
    const pcm = this.pcmScratch;
    let n = payload.length;
    if (codec === 'PCMU') ulawDecode(payload, pcm, n);
    else if (codec === 'PCMA') alawDecode(payload, pcm, n);
    else {
      this.opusDec ??= new OpusDecoder({ sampleRate: 8000 });
      try { n = this.opusDec.decode(payload, pcm); } catch { this.receivedBad++; return; }
    }
    this.place(pkt.readUInt32BE(8), pkt.readUInt32BE(4), codec === 'opus' ? 48000 : 8000, pcm, n);
  }

  /** Starts sending the tone to `target` every ptime (real time). */
  start(target?: { address: string; port: number }): void {
    if (target) this.target = target;
    if (this.timer) return;
    // Paced by the wall clock, not by timer callbacks (which drift under load):
    // like a real audio clock, frames that fell due during a stall go out at once.
    const t0 = Date.now();
    let frames = 0;
    const pump = (): void => {
      const due = Math.floor((Date.now() - t0) / this.opts.ptimeMs) + 1;
      for (let k = 0; frames < due && k < 50; k++, frames++) this.sendFrame();
      if (frames < due) frames = due;
    };
    pump();
    this.timer = setInterval(pump, Math.max(5, Math.floor(this.opts.ptimeMs / 4)));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sends one tone frame now. */
  sendFrame(): void {
    const n = (8000 * this.opts.ptimeMs) / 1000;
    const pcm = generateTone({ rate: 8000, freq: this.opts.freq, amplitude: this.opts.amplitude, durationMs: this.opts.ptimeMs, offset: this.phase });
    this.phase += n;
    if (this.opts.codec === 'opus') {
      this.opusEnc ??= new OpusEncoder({ sampleRate: 8000, frameMs: this.opts.ptimeMs });
      this.sendPayload(this.opts.pt, this.opusEnc.encode(pcm), n * 6, this.sentPackets === 0);
      return;
    }
    const payload = new Uint8Array(n);
    if (this.opts.codec === 'PCMU') ulawEncode(pcm, payload, n);
    else alawEncode(pcm, payload, n);
    this.sendPayload(this.opts.pt, payload, n, this.sentPackets === 0);
  }

  /** Sends an RFC 4733 event packet (the caller handles timing/repeats). */
  sendDtmf(event: number, duration: number, end: boolean, tsOverride?: number, pt = this.opts.dtmfPt, marker = false): void {
    const p = Buffer.alloc(4);
    p[0] = event; p[1] = (end ? 0x80 : 0) | 10; p.writeUInt16BE(duration, 2);
    this.sendPayload(pt, p, 0, marker, tsOverride);
  }

  /** Sends a raw, already-built datagram to the target (no SRTP, no loss). */
  sendRaw(buf: Buffer): void {
    if (this.target && !this.closed) this.sock.send(buf, this.target.port, this.target.address);
  }

  private sendPayload(pt: number, payload: Uint8Array, tsAdvance: number, marker: boolean, tsOverride?: number): void {
    if (!this.target || this.closed) return;
    const p = Buffer.alloc(12 + payload.length);
    p[0] = 0x80; p[1] = (marker ? 0x80 : 0) | pt;
    p.writeUInt16BE(this.seq & 0xffff, 2);
    p.writeUInt32BE((tsOverride ?? this.ts) >>> 0, 4);
    p.writeUInt32BE(this.opts.ssrc, 8);
    p.set(payload, 12);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + tsAdvance) >>> 0;
    this.sentPackets++;
    const out = this.srtp ? this.srtp.protectRtp(p) : p;
    if (this.opts.lossRate > 0 && this.rand() < this.opts.lossRate) return;
    const { port, address } = this.target;
    if (this.opts.jitterMs > 0) {
      const t = setTimeout(() => { this.pending.delete(t); if (!this.closed) this.sock.send(out, port, address); }, this.rand() * this.opts.jitterMs);
      this.pending.add(t);
    } else {
      this.sock.send(out, port, address);
    }
  }

  /** Current RTP timestamp (next packet's). */
  get timestamp(): number { return this.ts; }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.stop();
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    this.opusDec?.close();
    this.opusEnc?.close();
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }
}

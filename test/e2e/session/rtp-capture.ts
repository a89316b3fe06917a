/**
 * What really reached a peer that cannot report it itself (SIPp's media port): tcpdump on `lo`
 * inside the test's network namespace writes the UDP datagrams toward one port to a pcap file;
 * this module reads it back (libpcap format, Ethernet / Linux cooked / null link types, IPv4) and
 * parses RTP (RFC 3550 §5.1), RFC 4733 telephone-events (§2.3) and G.711 audio.
 */
import fs from 'node:fs';
import path from 'node:path';
import { alawToLinear, ulawToLinear } from '../../../src/media/codecs/g711.js';
import { dtmfEventName, parseTelephoneEvent } from '../../../src/media/dtmf/rfc4733.js';
import { spawnManaged, type ManagedProcess } from '../../helpers/proc.js';

/** One captured RTP packet. */
export interface CapturedRtp {
  /** Capture time, ms. */
  at: number;
  srcPort: number;
  dstPort: number;
  pt: number;
  marker: boolean;
  seq: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
}

/** One RFC 4733 event: all packets sharing an RTP timestamp (§2.3.1). */
export interface CapturedEvent { digit: string; ts: number; duration: number; ended: boolean; packets: number }

/** A running capture of UDP toward `dstPort` on lo. */
export class RtpCapture {
  private constructor(private readonly proc: ManagedProcess, readonly file: string) {}

  /** Starts tcpdump and resolves once it listens (its "listening on lo" line). */
  static async start(o: { dstPort: number; dir: string; timeoutMs?: number }): Promise<RtpCapture> {
    const file = path.join(o.dir, `rtp-${o.dstPort}.pcap`);
    let ready: () => void = () => undefined;
    const listening = new Promise<void>((r) => { ready = r; });
    const proc = spawnManaged('tcpdump', ['-i', 'lo', '-n', '-U', '-s', '2048', '-w', file, 'udp', 'and', 'dst', 'port', String(o.dstPort)], {
      timeoutMs: o.timeoutMs ?? 120000,
      onOutput: (chunk) => { if (/listening on/.test(chunk)) ready(); },
    });
    await Promise.race([
      listening,
      proc.exited.then((r) => { throw new Error(`tcpdump exited (${r.code}): ${r.stderr}`); }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('tcpdump did not start listening')), 5000).unref()),
    ]);
    return new RtpCapture(proc, file);
  }

  /** Stops tcpdump (SIGTERM: it flushes) and returns the RTP packets captured. */
  async stop(): Promise<CapturedRtp[]> {
    await this.proc.stop();
    return fs.existsSync(this.file) ? readPcapRtp(fs.readFileSync(this.file)) : [];
  }
}

/** RTP packets in a pcap file's UDP/IPv4 datagrams (non-RTP datagrams are skipped). */
export function readPcapRtp(buf: Buffer): CapturedRtp[] {
  if (buf.length < 24) return [];
  const magicLe = buf.readUInt32LE(0);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  const nano = magicLe === 0xa1b23c4d || buf.readUInt32BE(0) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20);
  const linkLen = link === 1 ? 14 : link === 113 ? 16 : link === 276 ? 20 : link === 0 ? 4 : link === 101 ? 0 : -1;
  if (linkLen < 0) throw new Error(`pcap link type ${link} not handled`);
  const out: CapturedRtp[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const at = u32(off) * 1000 + u32(off + 4) / (nano ? 1e6 : 1e3);
    const incl = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ip = frame.subarray(linkLen);
    if (ip.length < 28 || ip[0] >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0] & 0x0f) * 4);
    const rtp = udp.subarray(8, udp.readUInt16BE(4));
    if (rtp.length < 12 || rtp[0] >> 6 !== 2) continue;
    let p = 12 + (rtp[0] & 0x0f) * 4;
    if (rtp[0] & 0x10) {
      if (rtp.length < p + 4) continue;
      p += 4 + rtp.readUInt16BE(p + 2) * 4;
    }
    let end = rtp.length;
    if (rtp[0] & 0x20) end -= rtp[rtp.length - 1];
    if (p > end) continue;
    const pt = rtp[1] & 0x7f;
    if (pt >= 72 && pt <= 76) continue; // RTCP (RFC 5761 §4)
    out.push({
      at, srcPort: udp.readUInt16BE(0), dstPort: udp.readUInt16BE(2), pt, marker: (rtp[1] & 0x80) !== 0,
      seq: rtp.readUInt16BE(2), ts: rtp.readUInt32BE(4), ssrc: rtp.readUInt32BE(8), payload: Buffer.from(rtp.subarray(p, end)),
    });
  }
  return out;
}

/** The telephone-events among `pkts` (payload type `pt`), in order of first arrival. */
export function telephoneEvents(pkts: readonly CapturedRtp[], pt: number): CapturedEvent[] {
  const byTs = new Map<number, CapturedEvent>();
  for (const p of pkts) {
    if (p.pt !== pt) continue;
    const ev = parseTelephoneEvent(p.payload);
    if (!ev) continue;
    let e = byTs.get(p.ts);
    if (!e) {
      e = { digit: dtmfEventName(ev.event) ?? `?${ev.event}`, ts: p.ts, duration: 0, ended: false, packets: 0 };
      byTs.set(p.ts, e);
    }
    e.packets++;
    e.duration = Math.max(e.duration, ev.duration);
    if (ev.end) e.ended = true;
  }
  return [...byTs.values()];
}

/** G.711 payloads (A-law or µ-law) decoded to linear PCM, concatenated in arrival order. */
export function decodeG711(pkts: readonly CapturedRtp[], law: 'PCMA' | 'PCMU'): Int16Array {
  const dec = law === 'PCMA' ? alawToLinear : ulawToLinear;
  const out = new Int16Array(pkts.reduce((n, p) => n + p.payload.length, 0));
  let i = 0;
  for (const p of pkts) for (const b of p.payload) out[i++] = dec(b);
  return out;
}

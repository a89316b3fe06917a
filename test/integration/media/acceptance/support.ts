/**
 * Shared pieces of the engine acceptance tests: a node-datachannel "browser"
 * with a paced tone sender (Opus or PCMU) that also sends RFC 4733 events at
 * 48 kHz, a receiver that decodes audio and detects DTMF, and `setupCall()`
 * which wires browser ↔ MediaEngine (WebRTC leg ↔ bridge ↔ RTP leg) ↔ raw RTP
 * phone, optionally through impairment proxies on each side.
 */
import { Decoder, Encoder } from '@evan/opus';
import { ulawDecode, ulawEncode } from '../../../../src/media/codecs/g711.js';
import { DtmfDetector, type DtmfKeyPress } from '../../../../src/media/dtmf/dtmf-detector.js';
import type { MediaEngine } from '../../../../src/media/engine/index.js';
import type { PayloadFormat } from '../../../../src/media/leg.js';
import { generateSrtpKey } from '../../../../src/media/srtp/srtp-suite.js';
import type { WebRtcLocalParams } from '../../../../src/media/webrtc/index.js';
import { ImpairProxy, type ImpairSpec } from '../../../helpers/impair.js';
import { RtpPeer, type PeerCodec } from '../../../helpers/rtp-peer.js';
import { generateTone, toneDominates } from '../../../helpers/tone.js';
import { NdcBrowser, buildLegSdp } from '../webrtc/ndc-browser.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** telephone-event PT on the browser side (48 kHz, as Chrome) and on the SIP side (8 kHz). */
export const BROWSER_TE_PT = 126;
export const SIP_TE_PT = 101;

/** Fraction of 100 ms blocks where `freq` dominates (and beats 440/1000), after `skipMs`. */
export function toneFraction(samples: Int16Array, rate: number, freq: number, skipMs = 0): number {
  return toneDominates(samples, rate, freq, { candidates: [440, 1000], skipMs }).fraction;
}

/** The browser's outgoing RTP stream: one SSRC/sequence/timestamp for audio and telephone-events. */
export class BrowserStream {
  private seq = Math.floor(Math.random() * 30000);
  private ts = Math.floor(Math.random() * 2 ** 30);
  private phase = 0;
  private readonly enc: Encoder | null;
  private timer: NodeJS.Timeout | null = null;
  /** Event being sent: start timestamp, code, total and elapsed duration (48 kHz units). */
  private ev: { ts: number; code: number; total: number; sent: number; ends: number; gapMs: number } | null = null;
  private readonly queue: Array<{ code: number; ms: number; gapMs: number }> = [];
  private gapUntil = 0;
  sent = 0;
  muted = false;

  constructor(private readonly b: NdcBrowser, readonly codec: 'opus' | 'PCMU', readonly freq: number, private readonly pt: number, readonly ssrc = (Math.random() * 0xffffffff) >>> 0) {
    this.enc = codec === 'opus' ? new Encoder({ channels: 1, sample_rate: 48000, application: 'audio' }) : null;
  }

  private packet(pt: number, payload: Uint8Array, marker: boolean, ts: number): Buffer {
    const p = Buffer.alloc(12 + payload.length);
    p[0] = 0x80; p[1] = (marker ? 0x80 : 0) | pt;
    p.writeUInt16BE(this.seq, 2); p.writeUInt32BE(ts >>> 0, 4); p.writeUInt32BE(this.ssrc, 8);
    p.set(payload, 12);
    this.seq = (this.seq + 1) & 0xffff;
    return p;
  }

  /** One 20 ms frame of audio (plus a telephone-event packet when a digit is playing). */
  frame(): void {
    const rate = this.codec === 'opus' ? 48000 : 8000;
    const n = rate / 50;
    const pcm = generateTone({ rate, freq: this.freq, amplitude: 0.25, durationMs: 20, offset: this.phase });
    this.phase += n;
    let payload: Uint8Array;
    if (this.enc) payload = this.enc.encode(pcm);
    else { payload = new Uint8Array(n); ulawEncode(pcm, payload, n); }
    if (!this.muted) { this.b.send(this.packet(this.pt, payload, this.sent === 0, this.ts)); this.sent++; }
    this.dtmfTick();
    this.ts = (this.ts + (this.codec === 'opus' ? 960 : 160)) >>> 0;
  }

  /** Queue digits (RFC 4733 §2.5.1.2: one event per digit, updates every 20 ms, end sent three times). */
  sendDigits(digits: Array<{ key: number; ms: number }>, gapMs = 100): void {
    for (const d of digits) this.queue.push({ code: d.key, ms: d.ms, gapMs });
  }

  get dtmfIdle(): boolean { return this.ev === null && this.queue.length === 0; }

  private dtmfTick(): void {
    const now = Date.now();
    if (this.ev === null) {
      if (this.queue.length === 0 || now < this.gapUntil) return;
      const next = this.queue.shift()!;
      this.ev = { ts: this.ts, code: next.code, total: next.ms * 48, sent: 0, ends: 0, gapMs: next.gapMs };
    }
    const e = this.ev;
    const first = e.sent === 0;
    e.sent = Math.min(e.total, e.sent + 960);
    const end = e.sent >= e.total;
    const pl = Buffer.alloc(4);
    pl[0] = e.code; pl[1] = (end ? 0x80 : 0) | 10; pl.writeUInt16BE(e.sent, 2);
    this.b.send(this.packet(BROWSER_TE_PT, pl, first, e.ts));
    if (end && ++e.ends >= 3) { this.gapUntil = now + e.gapMs; this.ev = null; }
  }

  /** Start sending every 20 ms, paced by the wall clock (frames due after a stall go out at once). */
  start(): void {
    if (this.timer) return;
    const t0 = Date.now();
    let frames = 0;
    const pump = (): void => {
      const due = Math.floor((Date.now() - t0) / 20) + 1;
      for (let k = 0; frames < due && k < 10; k++, frames++) this.frame();
      if (frames < due) frames = due;
    };
    pump();
    this.timer = setInterval(pump, 5);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** What the browser receives: decoded audio (Opus at 48 kHz, PCMU at 8 kHz), DTMF key presses, packet times. */
export class BrowserReceiver {
  private readonly dec: Decoder | null;
  private chunks: Int16Array[] = [];
  readonly keys: DtmfKeyPress[] = [];
  private readonly detector = new DtmfDetector(48000);
  packets = 0;
  /** SSRCs of the audio packets received. */
  readonly ssrcs = new Set<number>();
  readonly arrivals: number[] = [];
  readonly rate: number;

  constructor(readonly codec: 'opus' | 'PCMU', private readonly pt: number) {
    this.dec = codec === 'opus' ? new Decoder({ channels: 1, sample_rate: 48000 }) : null;
    this.rate = codec === 'opus' ? 48000 : 8000;
  }

  push(rtp: Buffer): void {
    if (rtp.length < 12) return;
    const pt = rtp[1] & 0x7f;
    let off = 12 + (rtp[0] & 0x0f) * 4;
    if (rtp[0] & 0x10) off += 4 + rtp.readUInt16BE(off + 2) * 4;
    let end = rtp.length;
    if (rtp[0] & 0x20) end -= rtp[rtp.length - 1];
    if (off >= end) return;
    const payload = rtp.subarray(off, end);
    if (pt === BROWSER_TE_PT) {
      const k = this.detector.feed(rtp.readUInt32BE(4), payload);
      if (k) this.keys.push(k);
      return;
    }
    if (pt !== this.pt) return;
    this.packets++;
    this.ssrcs.add(rtp.readUInt32BE(8));
    this.arrivals.push(Date.now());
    if (this.dec) {
      const out = this.dec.decode(payload);
      this.chunks.push(new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength)));
    } else {
      const pcm = new Int16Array(payload.length);
      ulawDecode(payload, pcm, payload.length);
      this.chunks.push(pcm);
    }
  }

  /** Audio packets received within [from, to) (ms since epoch). */
  packetsBetween(from: number, to: number): number {
    return this.arrivals.filter((t) => t >= from && t < to).length;
  }

  samples(): Int16Array {
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const all = new Int16Array(n);
    let o = 0;
    for (const c of this.chunks) { all.set(c, o); o += c.length; }
    return all;
  }

  clear(): void { this.chunks = []; this.arrivals.length = 0; }
}

/** SIP-side formats as the session layer would hand them to the engine. */
export function sipFormats(codec: 'PCMU' | 'PCMA', ptimeMs: number): PayloadFormat[] {
  return [
    { pt: codec === 'PCMU' ? 0 : 8, name: codec, clockRate: 8000, ptimeMs },
    { pt: SIP_TE_PT, name: 'telephone-event', clockRate: 8000 },
  ];
}

/** Adds telephone-event/48000 to the leg's answer SDP (buildLegSdp writes one codec). */
export function withTelephoneEvent(sdp: string, pt: number): string {
  return sdp.replace(/(m=audio \d+ UDP\/TLS\/RTP\/SAVPF \d+)/, `$1 ${BROWSER_TE_PT}`)
    .replace(`a=rtpmap:${pt} `, `a=rtpmap:${BROWSER_TE_PT} telephone-event/48000\r\na=fmtp:${BROWSER_TE_PT} 0-16\r\na=rtpmap:${pt} `);
}

export interface CallSpec {
  callId: string;
  /** Browser codec: 'opus' (transcoding toward G.711) or 'PCMU'. */
  browserCodec: 'opus' | 'PCMU';
  /** SIP-side codec and ptime. */
  sipCodec: 'PCMU' | 'PCMA';
  sipPtimeMs?: number;
  /** SDES-SRTP on the SIP side (keys exchanged in the test). */
  srtp?: boolean;
  /** Impairment on the browser side / SIP side (both directions each). */
  impairBrowser?: ImpairSpec;
  impairSip?: ImpairSpec;
  seed?: number;
  /** Do not start the phone's wall-clock-paced sender (the test calls `phone.sendFrame()` itself). */
  phoneManual?: boolean;
}

export interface TestCall {
  callId: string;
  browser: NdcBrowser;
  tx: BrowserStream;
  rx: BrowserReceiver;
  phone: RtpPeer;
  local: WebRtcLocalParams;
  rtpPorts: { rtpPort: number; rtcpPort: number };
  proxies: ImpairProxy[];
  /** Stop senders, close peers and proxies (the engine call is closed by the caller or engine.close()). */
  close(): Promise<void>;
}

/**
 * Browser 440 Hz ↔ engine ↔ phone 1000 Hz. The browser offers (node-datachannel),
 * the engine answers; the phone's address is the SIP-side remote. Both senders
 * are started once DTLS is up.
 */
export async function setupCall(engine: MediaEngine, spec: CallSpec): Promise<TestCall> {
  const browserPt = spec.browserCodec === 'opus' ? 111 : 0;
  const browser = new NdcBrowser(spec.callId, { codec: spec.browserCodec, opusPt: 111 });
  const proxies: ImpairProxy[] = [];
  const kLeg = generateSrtpKey();
  const kPeer = generateSrtpKey();
  const ptime = spec.sipPtimeMs ?? 20;
  const phone = await RtpPeer.create({
    codec: spec.sipCodec as PeerCodec, freq: 1000, ptimeMs: ptime, amplitude: 0.3, dtmfPt: SIP_TE_PT, seed: spec.seed,
    ...(spec.srtp === true ? { srtp: { local: kPeer, remote: kLeg } } : {}),
  });
  try {
    const offer = await browser.offer();
    const alloc = await engine.allocate(spec.callId, { offerer: false, bridge: 'rtp' });
    if (alloc.rtp === null) throw new Error('no RTP leg');
    let phoneTarget = { address: '127.0.0.1', port: alloc.rtp.rtpPort };
    let legRemote = { address: '127.0.0.1', port: phone.port };
    if (spec.impairSip) {
      const p = await ImpairProxy.create({ target: phoneTarget, toTarget: spec.impairSip, toClient: spec.impairSip, seed: (spec.seed ?? 1) + 100 });
      proxies.push(p);
      phoneTarget = { address: '127.0.0.1', port: p.port };
      legRemote = { address: '127.0.0.1', port: p.upstreamPort };
    }
    const webrtc = { ...offer.remote, formats: [...offer.remote.formats, { pt: BROWSER_TE_PT, name: 'telephone-event', clockRate: 48000 }] };
    const local = await engine.apply(spec.callId, {
      webrtc,
      rtp: {
        remote: legRemote, formats: sipFormats(spec.sipCodec, ptime),
        ...(spec.srtp === true ? { srtp: { local: kLeg, remote: kPeer } } : {}),
      },
      bridge: { rtpPtimeMs: ptime },
    });
    let shown = local;
    if (spec.impairBrowser) {
      const c0 = local.candidates[0];
      const p = await ImpairProxy.create({ target: { address: c0.address, port: c0.port }, toTarget: spec.impairBrowser, toClient: spec.impairBrowser, seed: (spec.seed ?? 1) + 200 });
      proxies.push(p);
      shown = { ...local, candidates: [{ ...c0, port: p.port }] };
    }
    browser.answer(withTelephoneEvent(buildLegSdp(shown, { type: 'answer', opusPt: browserPt, codec: spec.browserCodec }), browserPt), shown);
    await browser.waitConnected();
    const tx = new BrowserStream(browser, spec.browserCodec, 440, browserPt);
    const rx = new BrowserReceiver(spec.browserCodec, browserPt);
    browser.onRtp = (p) => rx.push(p);
    tx.start();
    if (spec.phoneManual === true) phone.target = phoneTarget;
    else phone.start(phoneTarget);
    return {
      callId: spec.callId, browser, tx, rx, phone, local, rtpPorts: { rtpPort: alloc.rtp.rtpPort, rtcpPort: alloc.rtp.rtcpPort }, proxies,
      async close() {
        tx.stop();
        browser.onRtp = null;
        browser.close();
        await phone.close();
        await Promise.all(proxies.map((p) => p.close()));
      },
    };
  } catch (e) {
    browser.close();
    await phone.close();
    await Promise.all(proxies.map((p) => p.close()));
    throw e;
  }
}

/** Handles that keep the event loop alive, by type (Timeout excluded: mocha owns some). */
export function liveHandles(): string[] {
  return process.getActiveResourcesInfo().filter((t) => t !== 'Timeout' && t !== 'TTYWrap').sort();
}

/** UDP receive-buffer overflows in this network namespace (/proc/net/snmp Udp: RcvbufErrors). */
export async function udpRcvbufErrors(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const lines = (await readFile('/proc/net/snmp', 'utf8')).split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  return Number(values[names.indexOf('RcvbufErrors')]);
}

import { randomBytes } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import { systemClock, type MediaClock, type MediaTimer } from '../clock.js';
import { newLegCounters, type LegCounters, type MediaLeg, type PayloadFormat } from '../leg.js';
import { classifyPacket, PacketKind } from '../net/demux.js';
import { UdpEndpoint } from '../net/udp-endpoint.js';
import { buildBye, buildCompoundReport } from '../rtp/rtcp-build.js';
import { parseRtcp } from '../rtp/rtcp-parse.js';
import { isGoodbye, isReceiverReport, isSenderReport, type ReportBlock } from '../rtp/rtcp-types.js';
import { msToCompactNtp, ntpMiddle32 } from '../rtp/ntp.js';
import { RtpReceiveStats } from '../rtp/rtp-receive-stats.js';
import { RtpView } from '../rtp/rtp-view.js';
import { TandemSrtpSession } from '../srtp/tandem-srtp-session.js';
import { WeriftSrtpSession } from '../srtp/werift-srtp-session.js';
import { NativeSrtpSession } from '../srtp/native-srtp-session.js';
import { loadNativeSrtp } from '../srtp/native-srtp-addon.js';
import { createSrtpSession } from '../srtp/srtp-impl.js';
import type { SrtpProtection, SrtpSessionKeys } from '../srtp/srtp-protection.js';
import { PortPoolExhaustedError } from '../net/port-pool.js';
import type {
  LatchMode, LegDirection, RemoteEndpoint, RemoteReceptionReport, RtcpCounters, RtpLegOptions, RtpLegUpdate,
} from './rtp-leg-options.js';

const BIND_ATTEMPTS = 16;

interface Dest { address: string; port: number }

/**
 * The SIP-side media leg: RTP/AVP or RTP/SAVP (SDES-SRTP, RFC 4568/3711),
 * RTCP on its own port (RFC 3550 §11) or muxed (RFC 5761), symmetric RTP
 * latching (see LatchMode), inactivity detection, RTCP SR/RR generation from
 * its own statistics (RFC 3550 §6.4, A.3, A.8) and parsing of the peer's
 * reports (loss, jitter, RTT from LSR/DLSR).
 *
 * Hot path: one reused RtpView, no logging, no per-packet objects except the
 * SRTP output buffer. Bad datagrams are counted in `counters`, never thrown.
 */
export class RtpLeg implements MediaLeg {
  readonly kind = 'rtp' as const;
  readonly counters: LegCounters = newLegCounters();
  readonly rtcpCounters: RtcpCounters = { rtcpRx: 0, rtcpTx: 0, rtcpMalformed: 0, rtcpAuthFailures: 0 };
  onRtp: ((packet: Buffer) => void) | null = null;
  /** Called once when no valid RTP arrived for `inactivityTimeoutMs` (re-armed when RTP resumes). */
  onInactive: ((idleMs: number) => void) | null = null;
  /** Called for every valid report about our stream. */
  onReceptionReport: ((r: RemoteReceptionReport) => void) | null = null;
  /** Called when the peer sends an RTCP BYE. */
  onBye: (() => void) | null = null;
  /** The peer's latest report about our stream. */
  remoteReport: RemoteReceptionReport | null = null;

  private readonly clock: MediaClock;
  private readonly log: Logger | null;
  private readonly view = new RtpView();
  private readonly latchMode: LatchMode;
  private readonly relatchAfter: number;
  private readonly relatchIdleMs: number;
  private lastLatchedRxMs = 0;
  private readonly inactivityMs: number;
  private readonly rtcpIntervalMs: number;
  private readonly cname: string;
  private readonly srtpImpl: 'auto' | 'native' | 'tandem' | 'werift';
  private readonly releasePorts: (() => void) | null;

  private remote: RemoteEndpoint | null;
  private ptAccepted = new Uint8Array(128);
  private clockRates = new Uint32Array(128);
  private srtp: SrtpProtection | null = null;
  private sending = true;
  private receiving = true;
  private closed = false;

  // Latching state.
  private rtpDest: Dest | null = null;
  private rtcpDest: Dest | null = null;
  private latchedAddr: string | null = null;
  private latchedPort = 0;
  private candAddr: string | null = null;
  private candPort = 0;
  private candCount = 0;
  private rtcpLatched = false;

  // Statistics.
  private stats: RtpReceiveStats | null = null;
  private lastRxMs: number;
  private inactiveReported = false;
  private txSsrc = 0;
  private txTs = 0;
  private txTsAtMs = 0;
  private txClockRate = 8000;
  private txPackets = 0;
  private txOctets = 0;
  private sentSinceReport = false;
  private readonly localRtcpSsrc: number;

  private inactivityTimer: MediaTimer | null = null;
  private rtcpTimer: MediaTimer | null = null;

  private constructor(
    private readonly rtpSock: UdpEndpoint,
    private readonly rtcpSock: UdpEndpoint | null,
    opts: RtpLegOptions,
    releasePorts: (() => void) | null,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? null;
    this.latchMode = opts.latch ?? 'learning';
    this.relatchAfter = Math.max(1, opts.relatchAfter ?? 5);
    this.relatchIdleMs = Math.max(0, opts.relatchIdleMs ?? 250);
    this.inactivityMs = opts.inactivityTimeoutMs ?? 30000;
    this.rtcpIntervalMs = opts.rtcpIntervalMs ?? 5000;
    this.cname = opts.cname ?? `tandem-${randomBytes(6).toString('hex')}`;
    this.srtpImpl = opts.srtpImpl ?? 'auto';
    this.releasePorts = releasePorts;
    this.remote = opts.remote ?? null;
    this.localRtcpSsrc = randomBytes(4).readUInt32BE(0);
    this.setFormats(opts.formats);
    this.setSrtp(opts.srtp ?? null);
    this.setDirection(opts.direction ?? 'sendrecv');
    this.resetLatch();
    this.lastRxMs = this.clock.now();
    rtpSock.onMessage = (msg, addr, port) => this.onRtpSocket(msg, addr, port);
    if (rtcpSock) rtcpSock.onMessage = (msg, addr, port) => this.onRtcpDatagram(msg, addr, port);
    if (this.inactivityMs > 0) {
      this.inactivityTimer = this.clock.setTimer(() => this.checkInactivity(), Math.min(1000, Math.max(50, this.inactivityMs / 4)), true);
    }
    this.scheduleRtcp(true);
  }

  /**
   * Binds the sockets and returns a ready leg. Throws PortPoolExhaustedError
   * or UdpBindError (typed TandemErrors).
   */
  static async create(opts: RtpLegOptions): Promise<RtpLeg> {
    const address = opts.localAddress ?? '0.0.0.0';
    const mux = opts.rtcpMux ?? false;
    const bindOpts = { address, ipv6: address.includes(':'), recvBufferSize: opts.recvBufferSize };
    if (opts.rtpPort === undefined && opts.pool) {
      const pool = opts.pool;
      let lastErr: unknown = null;
      for (let i = 0; i < BIND_ATTEMPTS; i++) {
        const pair = pool.acquire();
        let rtp: UdpEndpoint | null = null;
        try {
          rtp = await UdpEndpoint.bind({ ...bindOpts, port: pair.rtp });
          const rtcp = mux ? null : await UdpEndpoint.bind({ ...bindOpts, port: pair.rtcp });
          return new RtpLeg(rtp, rtcp, opts, () => pool.release(pair.rtp));
        } catch (err) {
          rtp?.close();
          pool.release(pair.rtp);
          lastErr = err;
        }
      }
      throw new PortPoolExhaustedError({ reason: 'bind failed', attempts: BIND_ATTEMPTS, cause: String(lastErr) });
    }
    const rtpPort = opts.rtpPort ?? 0;
    const rtp = await UdpEndpoint.bind({ ...bindOpts, port: rtpPort });
    if (mux) return new RtpLeg(rtp, null, opts, null);
    try {
      const rtcpPort = opts.rtcpPort ?? (rtpPort === 0 ? 0 : rtpPort + 1);
      const rtcp = await UdpEndpoint.bind({ ...bindOpts, port: rtcpPort });
      return new RtpLeg(rtp, rtcp, opts, null);
    } catch (err) {
      rtp.close();
      throw err;
    }
  }

  /** Local RTP port (for our SDP m= line). */
  get localRtpPort(): number { return this.rtpSock.port; }
  /** Local RTCP port (a=rtcp); equals the RTP port with rtcp-mux. */
  get localRtcpPort(): number { return this.rtcpSock ? this.rtcpSock.port : this.rtpSock.port; }
  /** Where RTP currently goes (latched source or SDP address), or null. */
  get rtpDestination(): Readonly<Dest> | null { return this.rtpDest; }
  /** True once a source has been latched. */
  get latched(): boolean { return this.latchedAddr !== null; }
  get isClosed(): boolean { return this.closed; }
  /** Receive statistics for the current remote source (null before the first packet). */
  get receiveStats(): RtpReceiveStats | null { return this.stats; }

  // ---------------------------------------------------------------- config

  private setFormats(formats: readonly PayloadFormat[]): void {
    this.ptAccepted = new Uint8Array(128);
    this.clockRates = new Uint32Array(128);
    for (const f of formats) {
      if (f.pt >= 0 && f.pt < 128) {
        this.ptAccepted[f.pt] = 1;
        this.clockRates[f.pt] = f.clockRate;
      }
    }
  }

  private setSrtp(keys: SrtpSessionKeys | null): void {
    if (!keys) { this.srtp = null; return; }
    switch (this.srtpImpl) {
      case 'werift': this.srtp = new WeriftSrtpSession(keys); break;
      case 'tandem': this.srtp = new TandemSrtpSession(keys); break;
      case 'native': this.srtp = loadNativeSrtp() ? new NativeSrtpSession(keys) : new TandemSrtpSession(keys); break;
      default: this.srtp = createSrtpSession(keys);
    }
  }

  private setDirection(d: LegDirection): void {
    this.sending = d === 'sendrecv' || d === 'sendonly';
    this.receiving = d === 'sendrecv' || d === 'recvonly';
  }

  private resetLatch(): void {
    this.latchedAddr = null;
    this.latchedPort = 0;
    this.candAddr = null;
    this.candCount = 0;
    this.rtcpLatched = false;
    const r = this.remote;
    this.rtpDest = r ? { address: r.address, port: r.port } : null;
    this.rtcpDest = r ? (this.rtcpSock ? { address: r.address, port: r.rtcpPort ?? r.port + 1 } : { address: r.address, port: r.port }) : null;
  }

  /**
   * Applies a re-offer/answer: new remote endpoint (re-arms latching), new
   * formats, new SRTP keys (fresh crypto contexts), direction (hold = stop
   * sending; resume restarts sending and the inactivity timer).
   */
  update(u: RtpLegUpdate): void {
    if (this.closed) return;
    if (u.formats) this.setFormats(u.formats);
    if (u.srtp !== undefined) this.setSrtp(u.srtp);
    if (u.remote !== undefined) {
      const r = u.remote;
      const changed = !r || !this.remote || r.address !== this.remote.address || r.port !== this.remote.port || r.rtcpPort !== this.remote.rtcpPort;
      this.remote = r;
      if (changed || u.srtp !== undefined) this.resetLatch();
    } else if (u.srtp !== undefined) {
      this.resetLatch();
    }
    if (u.direction) {
      const wasReceiving = this.receiving;
      this.setDirection(u.direction);
      if (this.receiving && !wasReceiving) {
        this.lastRxMs = this.clock.now();
        this.inactiveReported = false;
      }
    }
    this.log?.debug({ remote: this.remote ? `${this.remote.address}:${this.remote.port}` : null, direction: u.direction, srtp: this.srtp !== null }, 'rtp leg updated');
  }

  // ------------------------------------------------------------------ send

  /** Sends a plain RTP packet (encrypting when SRTP is on). Dropped while on hold or with no destination. */
  sendRtp(packet: Buffer): void {
    const dest = this.rtpDest;
    if (this.closed || !this.sending || !dest || packet.length < 12) return;
    const ssrc = packet.readUInt32BE(8);
    if (ssrc !== this.txSsrc) {
      // A new outgoing source: SR counts are per SSRC (RFC 3550 §6.4.1).
      this.txSsrc = ssrc;
      this.txPackets = 0;
      this.txOctets = 0;
    }
    this.txTs = packet.readUInt32BE(4);
    this.txTsAtMs = this.clock.now();
    const pt = packet[1] & 0x7f;
    if (this.clockRates[pt]) this.txClockRate = this.clockRates[pt];
    this.txPackets++;
    this.txOctets += packet.length - 12;
    this.sentSinceReport = true;
    const out = this.srtp ? this.srtp.protectRtp(packet) : packet;
    this.counters.txPackets++;
    this.counters.txBytes += out.length;
    this.rtpSock.send(out, dest.port, dest.address);
  }

  // --------------------------------------------------------------- receive

  private onRtpSocket(msg: Buffer, addr: string, port: number): void {
    if (this.closed) return;
    const kind = classifyPacket(msg);
    if (kind === PacketKind.Rtp) this.onRtpDatagram(msg, addr, port);
    else if (kind === PacketKind.Rtcp && !this.rtcpSock) this.onRtcpDatagram(msg, addr, port);
    else this.counters.malformed++;
  }

  private fromLatched(addr: string, port: number): boolean {
    return port === this.latchedPort && addr === this.latchedAddr;
  }

  private onRtpDatagram(msg: Buffer, addr: string, port: number): void {
    const c = this.counters;
    const latchedNow = this.latchedAddr !== null;
    const fromLatched = latchedNow && this.fromLatched(addr, port);
    if (latchedNow && !fromLatched && this.latchMode === 'strict') {
      c.unexpectedSource++;
      return;
    }
    let pkt = msg;
    if (this.srtp) {
      const plain = this.srtp.unprotectRtp(msg);
      if (!plain) {
        const e = this.srtp.lastError;
        if (e === 'auth') c.srtpAuthFailures++;
        else if (e === 'replay') c.discarded++;
        else c.malformed++;
        return;
      }
      pkt = plain;
    }
    const v = this.view;
    if (!v.wrap(pkt)) {
      c.malformed++;
      return;
    }
    const pt = v.payloadType;
    if (this.ptAccepted[pt] === 0) {
      c.unknownPayloadType++;
      return;
    }
    if (!fromLatched && this.latchMode !== 'off') {
      if (!latchedNow) {
        this.latch(addr, port, 'first valid packet');
      } else {
        // learning: a new source must prove itself with consecutive packets.
        if (this.candAddr === addr && this.candPort === port) this.candCount++;
        else { this.candAddr = addr; this.candPort = port; this.candCount = 1; }
        if (this.candCount < this.relatchAfter || this.clock.now() - this.lastLatchedRxMs < this.relatchIdleMs) {
          c.unexpectedSource++;
          return;
        }
        this.latch(addr, port, 'relatch');
      }
    } else if (fromLatched) {
      this.candCount = 0;
    }
    const now = this.clock.now();
    this.lastLatchedRxMs = now;
    c.rxPackets++;
    c.rxBytes += msg.length;
    let st = this.stats;
    if (!st) st = this.stats = new RtpReceiveStats(this.clockRates[pt] || 8000);
    const gap = st.update(v.ssrc, v.sequence, v.timestamp, now);
    if (gap > 0) c.rxLost += gap;
    this.lastRxMs = now;
    if (this.inactiveReported) this.inactiveReported = false;
    if (!this.receiving) return;
    const h = this.onRtp;
    if (h) h(pkt);
  }

  private latch(addr: string, port: number, why: string): void {
    this.latchedAddr = addr;
    this.latchedPort = port;
    this.candAddr = null;
    this.candCount = 0;
    this.rtpDest = { address: addr, port };
    if (!this.rtcpSock) {
      this.rtcpDest = { address: addr, port };
      this.rtcpLatched = true;
    } else if (!this.rtcpLatched) {
      // Until RTCP itself arrives, assume the NAT maps RTCP like RTP (port + 1).
      this.rtcpDest = { address: addr, port: this.remote?.rtcpPort !== undefined && this.remote.address === addr ? this.remote.rtcpPort : port + 1 };
    }
    this.log?.info({ source: `${addr}:${port}`, why }, 'rtp leg latched');
  }

  private onRtcpDatagram(msg: Buffer, addr: string, port: number): void {
    if (this.closed) return;
    const rc = this.rtcpCounters;
    if (classifyPacket(msg) !== PacketKind.Rtcp) {
      rc.rtcpMalformed++;
      this.counters.malformed++;
      return;
    }
    let pkt = msg;
    if (this.srtp) {
      const plain = this.srtp.unprotectRtcp(msg);
      if (!plain) {
        if (this.srtp.lastError === 'auth') { rc.rtcpAuthFailures++; this.counters.srtpAuthFailures++; }
        else { rc.rtcpMalformed++; this.counters.malformed++; }
        return;
      }
      pkt = plain;
    }
    // Liberal: accept compounds that do not start with SR/RR (RFC 5506 reduced-size; libre sends a lone APP).
    const r = parseRtcp(pkt, pkt.length, false);
    if (!r.ok) {
      rc.rtcpMalformed++;
      this.counters.malformed++;
      return;
    }
    rc.rtcpRx++;
    if (this.rtcpSock && this.latchMode !== 'off' && (!this.rtcpLatched || this.latchMode === 'learning')) {
      // RTCP latching: follow the source of valid RTCP (strict keeps the first).
      if (!this.rtcpLatched || this.latchedAddr === addr) {
        this.rtcpDest = { address: addr, port };
        this.rtcpLatched = true;
      }
    }
    const now = this.clock.now();
    for (const p of r.packets) {
      if (isSenderReport(p) || isReceiverReport(p)) {
        if (isSenderReport(p) && this.stats && p.ssrc === this.stats.ssrc) {
          this.stats.noteSenderReport(ntpMiddle32({ sec: p.sender.ntpSec, frac: p.sender.ntpFrac }), now);
        }
        for (const b of p.reports) if (this.txSsrc !== 0 && b.ssrc === this.txSsrc) this.noteReport(b, now);
      } else if (isGoodbye(p)) {
        const h = this.onBye;
        if (h) h();
      }
    }
  }

  private noteReport(b: ReportBlock, now: number): void {
    let rttMs: number | null = null;
    if (b.lsr !== 0) {
      const a = msToCompactNtp(now);
      const rtt = (a - b.lsr - b.dlsr) >>> 0;
      // A negative result (clock skew) wraps to a huge value: report null.
      rttMs = rtt < 0x80000000 ? (rtt / 65536) * 1000 : null;
    }
    const rep: RemoteReceptionReport = {
      fractionLost: b.fractionLost / 256,
      cumulativeLost: b.cumulativeLost,
      jitterMs: (b.jitter / this.txClockRate) * 1000,
      rttMs,
      atMs: now,
    };
    this.remoteReport = rep;
    const h = this.onReceptionReport;
    if (h) h(rep);
  }

  // ------------------------------------------------------------ timers

  private checkInactivity(): void {
    if (this.closed || !this.receiving || this.inactiveReported) return;
    const idle = this.clock.now() - this.lastRxMs;
    if (idle >= this.inactivityMs) {
      this.inactiveReported = true;
      this.log?.info({ idleMs: idle }, 'rtp leg inactive');
      const h = this.onInactive;
      if (h) h(idle);
    }
  }

  private scheduleRtcp(first: boolean): void {
    if (this.rtcpIntervalMs <= 0 || this.closed) return;
    // RFC 3550 §6.3.1: randomize in [0.5, 1.5] × interval; the first one after half.
    const factor = first ? 0.5 : 0.5 + Math.random();
    this.rtcpTimer = this.clock.setTimer(() => {
      this.rtcpTimer = null;
      this.sendReport();
      this.scheduleRtcp(false);
    }, Math.max(1, Math.round(this.rtcpIntervalMs * factor)), false);
  }

  /** Builds SR (if we sent since the last report) or RR + SDES CNAME (RFC 3550 §6.1, §6.4). Exposed for tests. */
  buildReport(): Buffer {
    const now = this.clock.now();
    const report = buildCompoundReport(now, {
      ssrc: this.txSsrc !== 0 ? this.txSsrc : this.localRtcpSsrc, sentSinceReport: this.sentSinceReport,
      rtpTs: this.txTs, rtpTsAtMs: this.txTsAtMs, clockRate: this.txClockRate, packetCount: this.txPackets, octetCount: this.txOctets,
    }, this.stats?.reportBlock(now), this.cname);
    this.sentSinceReport = false;
    return report;
  }

  private sendReport(): void {
    const dest = this.rtcpDest;
    if (this.closed || !dest) return;
    const plain = this.buildReport();
    const out = this.srtp ? this.srtp.protectRtcp(plain) : plain;
    this.rtcpCounters.rtcpTx++;
    (this.rtcpSock ?? this.rtpSock).send(out, dest.port, dest.address);
  }

  /**
   * Closes sockets and timers and returns the ports to the pool. Idempotent.
   * Sends a final RTCP report + BYE first (RFC 3550 §6.6), best effort.
   */
  close(): void {
    if (this.closed) return;
    const dest = this.rtcpDest;
    if (dest && this.rtcpIntervalMs > 0) {
      try {
        const plain = Buffer.concat([this.buildReport(), buildBye([this.txSsrc !== 0 ? this.txSsrc : this.localRtcpSsrc])]);
        const out = this.srtp ? this.srtp.protectRtcp(plain) : plain;
        this.rtcpCounters.rtcpTx++;
        (this.rtcpSock ?? this.rtpSock).send(out, dest.port, dest.address);
      } catch {
        // best effort: closing must not fail
      }
    }
    this.closed = true;
    this.onRtp = null;
    if (this.inactivityTimer) this.clock.clearTimer(this.inactivityTimer);
    if (this.rtcpTimer) this.clock.clearTimer(this.rtcpTimer);
    this.inactivityTimer = null;
    this.rtcpTimer = null;
    this.rtpSock.close();
    this.rtcpSock?.close();
    this.releasePorts?.();
  }
}

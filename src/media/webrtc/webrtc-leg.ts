import type { Logger } from '../../common/logger.js';
import { InvalidStateError } from '../../common/errors.js';
import { newLegCounters, type LegCounters, type MediaLeg } from '../leg.js';
import { PacketKind, classifyPacket, type PortPool, UdpEndpoint } from '../net/index.js';
import { randomBytes } from 'node:crypto';
import { systemClock, type MediaClock, type MediaTimer } from '../clock.js';
import {
  RtpReceiveStats, buildCompoundReport, isSenderReport, ntpMiddle32, parseRtcp,
} from '../rtp/index.js';
import type { DtlsCertificate } from './certificate.js';
import { DtlsSession } from './dtls-session.js';
import { IceAgent } from './ice-agent.js';
import { type SrtpFactory, type SrtpTransform, defaultSrtpFactory } from './srtp-transform.js';
import type {
  DtlsSetup, DtlsState, IceState, MediaDirection, SrtpProfileName, WebRtcLocalParams, WebRtcRemoteParams,
} from './types.js';

/** DTLS records kept from before the answer: the peer's latest ClientHello flight (one or a few datagrams). */
const MAX_EARLY_DTLS = 8;

export interface WebRtcLegOptions {
  /** Address to bind. Default '0.0.0.0'. */
  bindAddress?: string;
  /** Addresses advertised as host candidates (public/announced address). Default: [bindAddress] or ['127.0.0.1'] for a wildcard bind. */
  announcedAddresses?: readonly string[];
  /** Port pool to take the UDP port from (RTP/RTCP multiplexed on it, RFC 8035). */
  portPool: PortPool;
  /** Behave as ICE-lite (answer checks only). Default false. */
  iceLite?: boolean;
  /** true when our side sends the offer (then we are ICE-controlling unless lite and DTLS setup is actpass). */
  offerer: boolean;
  certificate: DtlsCertificate;
  /** Accepted SRTP profiles in preference order. Default AES_CM_128_HMAC_SHA1_80 (fast path) then AEAD_AES_128_GCM. */
  srtpProfiles?: readonly SrtpProfileName[];
  srtpFactory?: SrtpFactory;
  logger?: Logger;
  clock?: MediaClock;
  /** Mean RTCP report interval toward the browser, ms (RFC 3550 §6.2; randomized ×[0.5,1.5]). Default 5000; 0 = none. */
  rtcpIntervalMs?: number;
  onIceState?(state: IceState): void;
  onDtlsState?(state: DtlsState, error: Error | null): void;
}

/** Summary of a leg's transport state; plain object for stats messages. */
export interface WebRtcLegStats {
  iceState: IceState;
  dtlsState: DtlsState;
  srtpProfile: SrtpProfileName | null;
  selected: { address: string; port: number } | null;
  localPort: number;
  counters: LegCounters;
  /**
   * STUN counters; `restarts` = ICE restarts applied (RFC 8445 §9), `restarting` = one in progress,
   * `roleSwitches` = role changes after a role conflict (RFC 8445 §7.3.1.1), `controlling` = our role now,
   * `previousPairAccepted` = media from the previously selected pair is still accepted (the peer
   * has not been seen on the new pair yet; RFC 8445 §9, §12.1, RFC 7675 §5.1), `previousPairPackets`
   * = packets taken from it during such graces.
   */
  ice: {
    requestsReceived: number; requestsBadAuth: number; responsesReceived: number; requestsSent: number;
    restarts: number; restarting: boolean; roleSwitches: number; controlling: boolean;
    previousPairAccepted: boolean; previousPairPackets: number;
  };
  rtcpReceived: number;
  /** DTLS records received before the answer and handled once it was applied (RFC 5763 §5). */
  dtlsEarlyRecords: number;
}

/**
 * The WebRTC media leg: one UDP 5-tuple (BUNDLE + rtcp-mux, RFC 8843/5761)
 * carrying STUN (ICE, RFC 8445/8839), DTLS (RFC 5764) and SRTP, demultiplexed by
 * first byte (RFC 7983). Incoming SRTP is accepted from the selected pair, from a
 * pair the peer authenticated in the current ICE session (e.g. during an ICE
 * restart, RFC 8445 §12.2), and from the previously selected pair for a bounded
 * grace after a switch (RFC 8445 §9, §12.1; RFC 7675 §5.1; see
 * `IceAgent.isAuthenticatedSource`), whatever its SSRC (no a=ssrc needed); the bridge sees plain RTP.
 */
export class WebRtcLeg implements MediaLeg {
  readonly kind = 'webrtc' as const;
  readonly counters: LegCounters = newLegCounters();
  onRtp: ((packet: Buffer) => void) | null = null;
  /** Decrypted RTCP from the peer (compound packet); terminated per leg. */
  onRtcp: ((packet: Buffer) => void) | null = null;

  private readonly ice: IceAgent;
  private dtls: DtlsSession | null = null;
  private srtp: SrtpTransform | null = null;
  private remote: WebRtcRemoteParams | null = null;
  private dtlsRole: 'client' | 'server' | null = null;
  private canSend = true;
  private canReceive = true;
  private closed = false;
  private rtcpReceived = 0;
  private dtlsSourceAddress: string | null = null;
  private dtlsSourcePort = 0;
  /**
   * DTLS records that arrived before the answer was applied (no DTLS session yet), from an address
   * that passed an ICE check: replayed into the session apply() creates. At most {@link MAX_EARLY_DTLS}.
   */
  private earlyDtls: Buffer[] = [];
  private dtlsEarlyRecords = 0;
  private readonly payloadTypes = new Uint8Array(128);
  private readonly profiles: readonly SrtpProfileName[];
  private readonly srtpFactory: SrtpFactory;
  private readonly announced: readonly string[];
  private readonly clock: MediaClock;
  private rxStats: RtpReceiveStats | null = null;
  private rtcpTimer: MediaTimer | null = null;
  private readonly localRtcpSsrc = randomBytes(4).readUInt32BE(0);
  private readonly cname = randomBytes(8).toString('base64url');
  private txSsrc = 0;
  private txTs = 0;
  private txTsAtMs = 0;
  private txClockRate = 48000;
  private txPackets = 0;
  private txOctets = 0;
  private sentSinceReport = false;
  private readonly clockRates = new Uint32Array(128);

  private constructor(private readonly socket: UdpEndpoint, private readonly opts: WebRtcLegOptions) {
    this.profiles = opts.srtpProfiles ?? ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'];
    this.srtpFactory = opts.srtpFactory ?? defaultSrtpFactory;
    this.clock = opts.clock ?? systemClock;
    const bind = opts.bindAddress ?? '0.0.0.0';
    this.announced = opts.announcedAddresses ?? [bind === '0.0.0.0' ? '127.0.0.1' : bind];
    this.ice = new IceAgent({
      lite: opts.iceLite ?? false,
      controlling: opts.offerer,
      clock: opts.clock,
      send: (buf, port, address) => { this.socket.send(buf, port, address); },
      onStateChange: (s) => this.onIceState(s),
      onSelected: () => this.onIceSelected(),
    });
    socket.onMessage = (msg, address, port) => this.onDatagram(msg, address, port);
  }

  /** Bind a socket from the pool and create the leg. */
  static async create(opts: WebRtcLegOptions): Promise<WebRtcLeg> {
    const pool = opts.portPool;
    let lastErr: unknown = null;
    for (let i = 0; i < 16; i++) {
      const { rtp } = pool.acquire();
      try {
        const sock = await UdpEndpoint.bind({ address: opts.bindAddress ?? '0.0.0.0', port: rtp });
        return new WebRtcLeg(sock, opts);
      } catch (e) {
        pool.release(rtp);
        lastErr = e;
      }
    }
    throw lastErr;
  }

  get localPort(): number {
    return this.socket.port;
  }

  /** Our transport parameters for the SDP core (RFC 8839 §5, RFC 8842 §5). */
  localParams(): WebRtcLocalParams {
    let setup: DtlsSetup = 'actpass';
    if (this.dtlsRole !== null) setup = this.dtlsRole === 'client' ? 'active' : 'passive';
    else if (!this.opts.offerer) setup = 'active';
    return {
      iceUfrag: this.ice.localUfrag, icePwd: this.ice.localPwd, iceLite: this.ice.lite,
      candidates: IceAgent.hostCandidates(this.announced, this.socket.port),
      fingerprint: { ...this.opts.certificate.fingerprint }, setup,
    };
  }

  /**
   * Apply the remote description's parameters (first answer/offer, or a re-offer).
   * A changed remote ufrag is an ICE restart (RFC 8445 §9); DTLS and SRTP are kept
   * unless the remote fingerprint changes (then a new DTLS handshake runs).
   */
  apply(remote: WebRtcRemoteParams): void {
    if (this.closed) throw new InvalidStateError('ERR_LEG_CLOSED', 'WebRTC leg is closed');
    const prev = this.remote;
    this.remote = remote;
    this.setDirection(remote.direction);
    this.payloadTypes.fill(0);
    this.clockRates.fill(0);
    for (const f of remote.formats) {
      if (f.pt >= 0 && f.pt < 128) { this.payloadTypes[f.pt] = 1; this.clockRates[f.pt] = f.clockRate; }
    }
    if (!prev || prev.iceUfrag !== remote.iceUfrag || prev.icePwd !== remote.icePwd) {
      this.ice.setRemote(remote.iceUfrag, remote.icePwd, remote.candidates, remote.iceLite);
    } else {
      this.ice.addRemoteCandidates(remote.candidates);
    }
    const fpChanged = prev !== null && JSON.stringify(prev.fingerprints) !== JSON.stringify(remote.fingerprints);
    if (!this.dtls || fpChanged) {
      this.dtls?.close();
      this.srtp = null;
      this.dtlsRole = this.resolveDtlsRole(remote.setup);
      this.dtls = new DtlsSession({
        role: this.dtlsRole, certificate: this.opts.certificate, remoteFingerprints: remote.fingerprints,
        profiles: this.profiles,
        send: (buf) => this.sendDtls(buf),
        onStateChange: (s, keys, err) => {
          if (s === 'connected' && keys) {
            this.srtp = this.srtpFactory(keys);
            if (this.rtcpTimer === null) this.scheduleRtcp(true);
          }
          if (err) this.opts.logger?.warn({ code: (err as { code?: string }).code, err: err.message }, 'DTLS failed');
          this.opts.onDtlsState?.(s, err);
        },
      });
      // A DTLS server must accept a ClientHello at once, even before our ICE
      // agent has seen a nomination (avoids werift's 1 s retransmit stall).
      if (this.dtlsRole === 'server' || this.ice.selectedAddress !== null) this.dtls.start();
      // The ClientHello that came before the answer (RFC 5763 §5: the actpass offerer must be
      // prepared for it): handled now rather than waiting for the peer's retransmission.
      const early = this.earlyDtls;
      this.earlyDtls = [];
      if (this.dtlsRole === 'server') for (const rec of early) this.dtls.handle(rec);
    }
  }

  /**
   * ICE restart (RFC 8445 §9): new local ufrag/pwd, returned in our parameters. Call it when we
   * re-offer with a restart, and also when answering a peer's restarting offer (RFC 8839
   * §4.4.1.1.1), before apply() gets the peer's new credentials. Until the new ICE session
   * selects a pair, media keeps flowing on the current one and checks with the previous
   * credentials are still answered. DTLS and SRTP are not touched (no re-keying) unless apply()
   * sees a new remote fingerprint.
   */
  restartIce(): WebRtcLocalParams {
    this.ice.restartLocal();
    return this.localParams();
  }

  /** Hold/resume: our direction (RFC 3264 §8.4). */
  setDirection(direction: MediaDirection): void {
    this.canSend = direction === 'sendrecv' || direction === 'sendonly';
    this.canReceive = direction === 'sendrecv' || direction === 'recvonly';
  }

  private resolveDtlsRole(remoteSetup: DtlsSetup): 'client' | 'server' {
    if (remoteSetup === 'active') return 'server';
    if (remoteSetup === 'passive') return 'client';
    // Remote offered actpass: the answerer takes 'active' (RFC 8842 §5.3).
    return 'client';
  }

  private onIceState(s: IceState): void {
    this.opts.onIceState?.(s);
  }

  private onIceSelected(): void {
    if (this.dtls && this.dtls.state === 'new') this.dtls.start();
  }

  private sendDtls(buf: Buffer): void {
    const addr = this.ice.selectedAddress ?? this.dtlsSourceAddress;
    const port = this.ice.selectedAddress !== null ? this.ice.selectedPort : this.dtlsSourcePort;
    if (addr !== null) this.socket.send(buf, port, addr);
  }

  private onDatagram(msg: Buffer, address: string, port: number): void {
    const c = this.counters;
    switch (classifyPacket(msg)) {
      case PacketKind.Rtp: {
        const fromSelected = port === this.ice.selectedPort && address === this.ice.selectedAddress;
        if (!fromSelected && !this.ice.isAuthenticatedSource(address, port)) {
          c.unexpectedSource++;
          return;
        }
        const srtp = this.srtp;
        if (srtp === null) { c.discarded++; return; }
        const plain = srtp.unprotectRtp(msg);
        if (plain === null) { c.srtpAuthFailures++; return; }
        // Authenticated media on the selected pair: the peer has moved, the previous pair's grace is cut short.
        if (fromSelected) this.ice.noteSelectedMedia();
        if (!this.canReceive) { c.discarded++; return; }
        const pt = plain[1] & 0x7f;
        if (this.payloadTypes[pt] === 0) { c.unknownPayloadType++; return; }
        c.rxPackets++;
        c.rxBytes += plain.length;
        let st = this.rxStats;
        if (st === null) st = this.rxStats = new RtpReceiveStats(this.clockRates[pt] || 48000);
        const gap = st.update(plain.readUInt32BE(8), plain.readUInt16BE(2), plain.readUInt32BE(4), this.clock.now());
        if (gap > 0) c.rxLost += gap;
        const h = this.onRtp;
        if (h !== null) h(plain);
        return;
      }
      case PacketKind.Rtcp: {
        const fromSelected = port === this.ice.selectedPort && address === this.ice.selectedAddress;
        if (!fromSelected && !this.ice.isAuthenticatedSource(address, port)) {
          c.unexpectedSource++;
          return;
        }
        const srtp = this.srtp;
        if (srtp === null) { c.discarded++; return; }
        const plain = srtp.unprotectRtcp(msg);
        if (plain === null) { c.srtpAuthFailures++; return; }
        if (fromSelected) this.ice.noteSelectedMedia();
        this.rtcpReceived++;
        this.noteRtcp(plain);
        const h = this.onRtcp;
        if (h !== null) h(plain);
        return;
      }
      case PacketKind.Stun:
        if (!this.ice.handleStun(msg, address, port)) c.malformed++;
        return;
      case PacketKind.Dtls:
        // DTLSPlaintext header (RFC 6347 §4.1): type, version {254,253|255}, epoch, seq, length.
        if (msg.length < 13 || msg[1] !== 0xfe || (msg[2] !== 0xfd && msg[2] !== 0xff)) { c.malformed++; return; }
        if (this.ice.selectedAddress !== null && (address !== this.ice.selectedAddress || port !== this.ice.selectedPort)) {
          c.unexpectedSource++;
          return;
        }
        if (this.dtls === null) {
          // Before the answer is applied: an offerer with a=setup:actpass must be prepared to receive
          // the ClientHello before the answer (RFC 5763 §5). Chromium, called by Tandem, sends it as
          // soon as its ICE check succeeds; dropping it left the handshake to Chromium's
          // retransmissions, whose interval doubles (seconds of silence under load). Kept only
          // from an address that passed an ICE check with our password; replayed by apply().
          if (this.opts.offerer && this.ice.isAuthenticatedSource(address, port)) {
            // A record starting a ClientHello (handshake type 1, fragment offset 0) starts a new
            // flight: the peer retransmitted, keep only its latest flight.
            if (msg[0] === 22 && msg.length >= 25 && msg[13] === 1 && msg[19] === 0 && msg[20] === 0 && msg[21] === 0) this.earlyDtls = [];
            if (this.earlyDtls.length >= MAX_EARLY_DTLS) this.earlyDtls.shift();
            this.earlyDtls.push(Buffer.from(msg));
            this.dtlsSourceAddress = address;
            this.dtlsSourcePort = port;
            this.dtlsEarlyRecords++;
          } else {
            c.discarded++;
          }
          return;
        }
        if (this.ice.selectedAddress === null) { this.dtlsSourceAddress = address; this.dtlsSourcePort = port; }
        this.dtls.handle(msg);
        return;
      default:
        c.malformed++;
    }
  }

  /** Encrypt and send a plain RTP packet to the selected pair. */
  sendRtp(packet: Buffer): void {
    const srtp = this.srtp;
    const addr = this.ice.selectedAddress;
    if (srtp === null || addr === null || !this.canSend || this.closed) { this.counters.discarded++; return; }
    const enc = srtp.protectRtp(packet);
    const ssrc = packet.readUInt32BE(8);
    if (ssrc !== this.txSsrc) { this.txSsrc = ssrc; this.txPackets = 0; this.txOctets = 0; this.txClockRate = this.clockRates[packet[1] & 0x7f] || 48000; }
    this.txTs = packet.readUInt32BE(4);
    this.txTsAtMs = this.clock.now();
    this.txPackets++;
    this.txOctets += packet.length - 12;
    this.sentSinceReport = true;
    this.counters.txPackets++;
    this.counters.txBytes += packet.length;
    this.socket.send(enc, this.ice.selectedPort, addr);
  }

  /** Encrypt and send a plain RTCP compound packet. */
  sendRtcp(packet: Buffer): void {
    const srtp = this.srtp;
    const addr = this.ice.selectedAddress;
    if (srtp === null || addr === null || this.closed) return;
    this.socket.send(srtp.protectRtcp(packet), this.ice.selectedPort, addr);
  }

  /** SR from the browser: remember it for LSR/DLSR in our reports (RFC 3550 §6.4.1). */
  private noteRtcp(plain: Buffer): void {
    const st = this.rxStats;
    if (st === null) return;
    const r = parseRtcp(plain);
    if (!r.ok) return;
    for (const p of r.packets) {
      if (isSenderReport(p) && p.ssrc === st.ssrc) st.noteSenderReport(ntpMiddle32({ sec: p.sender.ntpSec, frac: p.sender.ntpFrac }), this.clock.now());
    }
  }

  private scheduleRtcp(first: boolean): void {
    const interval = this.opts.rtcpIntervalMs ?? 5000;
    if (interval <= 0 || this.closed) return;
    const factor = first ? 0.5 : 0.5 + Math.random();
    this.rtcpTimer = this.clock.setTimer(() => {
      this.rtcpTimer = null;
      this.sendRtcp(this.buildReport());
      this.scheduleRtcp(false);
    }, Math.max(1, Math.round(interval * factor)), false);
  }

  /** SR (if we sent since the last report) or RR, plus SDES CNAME (RFC 3550 §6.1, §6.4). */
  buildReport(): Buffer {
    const now = this.clock.now();
    const report = buildCompoundReport(now, {
      ssrc: this.txSsrc !== 0 ? this.txSsrc : this.localRtcpSsrc, sentSinceReport: this.sentSinceReport,
      rtpTs: this.txTs, rtpTsAtMs: this.txTsAtMs, clockRate: this.txClockRate, packetCount: this.txPackets, octetCount: this.txOctets,
    }, this.rxStats?.reportBlock(now), this.cname);
    this.sentSinceReport = false;
    return report;
  }

  stats(): WebRtcLegStats {
    return {
      iceState: this.ice.state, dtlsState: this.dtls?.state ?? 'new', srtpProfile: this.dtls?.profile ?? null,
      selected: this.ice.selectedAddress === null ? null : { address: this.ice.selectedAddress, port: this.ice.selectedPort },
      localPort: this.socket.port, counters: { ...this.counters }, dtlsEarlyRecords: this.dtlsEarlyRecords, ice: { ...this.ice.stats, restarting: this.ice.restarting, controlling: this.ice.controlling, previousPairAccepted: this.ice.previousPairAccepted }, rtcpReceived: this.rtcpReceived,
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onRtp = null;
    this.onRtcp = null;
    if (this.rtcpTimer !== null) this.clock.clearTimer(this.rtcpTimer);
    this.rtcpTimer = null;
    this.earlyDtls = [];
    this.ice.close();
    this.dtls?.close();
    this.srtp = null;
    this.socket.close();
    this.opts.portPool.release(this.socket.port);
  }
}

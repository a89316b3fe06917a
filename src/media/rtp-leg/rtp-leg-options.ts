import type { Logger } from '../../common/logger.js';
import type { MediaClock } from '../clock.js';
import type { PayloadFormat } from '../leg.js';
import type { PortPool } from '../net/port-pool.js';
import type { SrtpSessionKeys } from '../srtp/srtp-protection.js';

/** Where the peer said it receives (from its SDP c=/m=/a=rtcp). */
export interface RemoteEndpoint {
  address: string;
  port: number;
  /** RTCP port (a=rtcp, RFC 3605); default port + 1; ignored with rtcp-mux. */
  rtcpPort?: number;
}

/**
 * Symmetric RTP latching policy (how we learn where a NATed phone really is):
 * - 'learning' (default): latch to the source of the first packet that
 *   authenticates (SRTP) or carries a negotiated payload type (plain RTP).
 *   Later, a different source takes over only when (1) it sent
 *   `relatchAfter` consecutive valid packets with no packet from the current
 *   source in between and (2) the current source has been silent for
 *   `relatchIdleMs` (a NAT rebinding or a phone that moved: the old mapping
 *   goes quiet). Packets from the candidate are dropped and counted as
 *   `unexpectedSource` until the switch, so a third party spraying packets
 *   while the real peer talks never takes the stream over.
 * - 'strict': latch once; packets from any other source are dropped until an
 *   `update()` with a new remote endpoint re-arms latching.
 * - 'off': never latch; send to the SDP address, accept any source.
 * Compare rtpengine's "learning" vs "strict-source" options. With plain RTP an
 * on-path attacker can still win a learning re-latch; use SRTP to prevent it.
 */
export type LatchMode = 'learning' | 'strict' | 'off';

/** Media direction from our side (RFC 3264 §5.1 semantics for RTP flow). */
export type LegDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface RtpLegOptions {
  /** Local bind address; an IPv6 address (e.g. '::') binds udp6. Default '0.0.0.0'. */
  localAddress?: string;
  /** Port pool for an even RTP + odd RTCP pair. Used when `rtpPort` is not given. */
  pool?: PortPool;
  /** Explicit RTP port (0 = OS-chosen). Ignored when a pool is given and this is unset. */
  rtpPort?: number;
  /** Explicit RTCP port; default rtpPort + 1 (or OS-chosen when rtpPort is 0). */
  rtcpPort?: number;
  /** RTCP multiplexed on the RTP port (RFC 5761). Default false (SIP phones). */
  rtcpMux?: boolean;
  /** The peer's address from SDP; null until known (we then latch and send nothing before). */
  remote?: RemoteEndpoint | null;
  /** Negotiated payload formats; packets with other PTs are dropped (`unknownPayloadType`). */
  formats: readonly PayloadFormat[];
  /** SDES-SRTP keys (RFC 4568); null/undefined = plain RTP/AVP. */
  srtp?: SrtpSessionKeys | null;
  /**
   * SRTP implementation. Default 'auto': the process-wide selection (`srtpImpl()`:
   * the native addon's C code when it loads, else node:crypto). 'native' = the addon
   * (falls back to 'tandem' when it is not loaded); 'tandem' = node:crypto (see
   * docs/media.md); 'werift' for comparison.
   */
  srtpImpl?: 'auto' | 'native' | 'tandem' | 'werift';
  /** Latching policy. Default 'learning'. */
  latch?: LatchMode;
  /** Consecutive valid packets from a new source before a learning re-latch. Default 5. */
  relatchAfter?: number;
  /** The latched source must have been silent this long before a learning re-latch (ms). Default 250. */
  relatchIdleMs?: number;
  /** Report inactivity after this long without valid RTP (ms). Default 30000; 0 disables. */
  inactivityTimeoutMs?: number;
  /** Mean RTCP report interval (ms, RFC 3550 §6.2 minimum 5 s); randomized ×[0.5,1.5]. Default 5000; 0 disables RTCP sending. */
  rtcpIntervalMs?: number;
  /** Direction. Default 'sendrecv'. 'sendonly'/'inactive' stop delivering received RTP; 'recvonly'/'inactive' stop sending. */
  direction?: LegDirection;
  /** CNAME for SDES (RFC 3550 §6.5.1). Default a random string. */
  cname?: string;
  /** Injected clock. Default the system clock. */
  clock?: MediaClock;
  /** Per-call child logger; latching and inactivity are logged at debug/info, never per packet. */
  logger?: Logger;
  /** Receive buffer size for the sockets (bytes). Default OS default. */
  recvBufferSize?: number;
}

/** What changes on a re-INVITE (all optional; omitted fields stay). */
export interface RtpLegUpdate {
  remote?: RemoteEndpoint | null;
  formats?: readonly PayloadFormat[];
  /** New keys (null = switch to plain RTP). */
  srtp?: SrtpSessionKeys | null;
  direction?: LegDirection;
}

/** What the peer reports about our stream (from its RR/SR report blocks, RFC 3550 §6.4). */
export interface RemoteReceptionReport {
  /** Fraction lost 0..1 since its previous report. */
  fractionLost: number;
  cumulativeLost: number;
  /** Interarrival jitter in ms. */
  jitterMs: number;
  /** Round-trip time in ms from LSR/DLSR (RFC 3550 §6.4.1), or null when LSR was 0. */
  rttMs: number | null;
  atMs: number;
}

/** RTCP counters kept by the leg (RTP counters live in LegCounters). */
export interface RtcpCounters {
  rtcpRx: number;
  rtcpTx: number;
  rtcpMalformed: number;
  rtcpAuthFailures: number;
}

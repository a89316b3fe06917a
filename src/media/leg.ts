/**
 * The contract between a media leg (WebRTC or plain/SDES RTP) and the bridge.
 * A leg owns its sockets and its crypto; the bridge only ever sees plain RTP.
 * Media is packets only: nothing here knows SIP or SDP text.
 */

/** Counters kept per leg and per direction; read by diagnostics and metrics. */
export interface LegCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** SRTP/SRTCP authentication failures (dropped). */
  srtpAuthFailures: number;
  /** Datagrams that were not RTP/RTCP/STUN/DTLS or failed to parse (dropped). */
  malformed: number;
  /** Packets from a source we did not latch to / did not expect (dropped). */
  unexpectedSource: number;
  /** RTP with a payload type not negotiated (dropped). */
  unknownPayloadType: number;
  /** Sequence-number gaps observed on receive. */
  rxLost: number;
  /** Packets that arrived too late for the jitter buffer (transcoding only). */
  late: number;
  /** Packets discarded for any other reason (overflow, duplicates). */
  discarded: number;
  /** Frames concealed (PLC/FEC/fade) on the decode path toward this leg's peer. */
  concealed: number;
}

export function newLegCounters(): LegCounters {
  return {
    rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, srtpAuthFailures: 0, malformed: 0,
    unexpectedSource: 0, unknownPayloadType: 0, rxLost: 0, late: 0, discarded: 0, concealed: 0,
  };
}

/**
 * A media leg as the bridge sees it.
 * `onRtp` receives each decrypted RTP packet (header + payload in `packet`,
 * valid only during the call: copy if kept). `sendRtp` takes a plain RTP
 * packet; the leg encrypts and sends it. The leg may hold on to `packet`
 * until the datagram is on the wire (plain RTP is handed to the socket as
 * is): callers must not modify it after the call.
 */
export interface MediaLeg {
  readonly kind: 'webrtc' | 'rtp';
  readonly counters: LegCounters;
  onRtp: ((packet: Buffer) => void) | null;
  sendRtp(packet: Buffer): void;
  close(): void;
}

/**
 * One negotiated RTP payload format, as the session layer extracted it from
 * SDP (media never parses SDP text). `name` is the encoding name as in
 * a=rtpmap, case-insensitive: 'PCMU', 'PCMA', 'opus', 'telephone-event', 'CN'.
 * Added by the RTP leg / bridge work: legs use it to accept payload types,
 * the bridge to map payload types and choose passthrough or transcoding.
 */
export interface PayloadFormat {
  pt: number;
  name: string;
  clockRate: number;
  channels?: number;
  /** Packetization time in ms (a=ptime), for audio codecs. */
  ptimeMs?: number;
}

/** A summary of one call's audio, from RTCPeerConnection.getStats() (W3C webrtc-stats). */
export interface CallStats {
  /** ms since the epoch when measured. */
  timestamp: number;
  codec: { send: string | null; receive: string | null };
  sent: { packets: number; bytes: number; bitrateKbps: number | null };
  received: { packets: number; bytes: number; bitrateKbps: number | null; packetsLost: number; lossPercent: number; jitterMs: number | null };
  /** Round-trip time from RTCP (remote-inbound-rtp) or, failing that, the ICE candidate pair. */
  rttMs: number | null;
  /** Audio levels 0..1 as the browser measures them (media-source and inbound-rtp). */
  audioLevel: { local: number | null; remote: number | null };
  /** Total audio energy received (grows only while sound arrives). */
  remoteAudioEnergy: number | null;
  transport: { dtlsState: string | null; srtpCipher: string | null; localCandidate: string | null; remoteCandidate: string | null };
}

type Rec = Record<string, unknown>;
const num = (r: Rec | undefined, k: string): number | null => (r && typeof r[k] === 'number' ? (r[k] as number) : null);
const str = (r: Rec | undefined, k: string): string | null => (r && typeof r[k] === 'string' ? (r[k] as string) : null);

function codecName(report: RTCStatsReport, rtp: Rec | undefined): string | null {
  const id = str(rtp, 'codecId');
  if (id === null) return null;
  const c = report.get(id) as Rec | undefined;
  const mime = str(c, 'mimeType');
  if (mime === null) return null;
  const rate = num(c, 'clockRate');
  const ch = num(c, 'channels');
  return `${mime.replace(/^audio\//i, '')}${rate !== null ? `/${rate}` : ''}${ch !== null && ch > 1 ? `/${ch}` : ''}`;
}

/**
 * Reads the audio stats of `pc`. `previous` (the last result) gives bitrates.
 */
export async function collectCallStats(pc: RTCPeerConnection, previous: CallStats | null): Promise<CallStats> {
  const report = await pc.getStats();
  let out: Rec | undefined;
  let inb: Rec | undefined;
  let remoteIn: Rec | undefined;
  let source: Rec | undefined;
  let transport: Rec | undefined;
  report.forEach((r: Rec) => {
    const kind = str(r, 'kind') ?? str(r, 'mediaType');
    if (r.type === 'outbound-rtp' && kind === 'audio') out = r;
    else if (r.type === 'inbound-rtp' && kind === 'audio') inb = r;
    else if (r.type === 'remote-inbound-rtp' && kind === 'audio') remoteIn = r;
    else if (r.type === 'media-source' && kind === 'audio') source = r;
    else if (r.type === 'transport') transport = r;
  });
  let pair: Rec | undefined;
  const pairId = str(transport, 'selectedCandidatePairId');
  if (pairId !== null) pair = report.get(pairId) as Rec | undefined;
  if (!pair) report.forEach((r: Rec) => { if (r.type === 'candidate-pair' && r.state === 'succeeded' && r.nominated === true) pair = r; });
  const cand = (id: string | null): string | null => {
    if (id === null) return null;
    const c = report.get(id) as Rec | undefined;
    return c ? `${str(c, 'candidateType') ?? '?'} ${str(c, 'address') ?? str(c, 'ip') ?? '?'}:${num(c, 'port') ?? '?'}/${str(c, 'protocol') ?? '?'}` : null;
  };
  const now = Date.now();
  const sentBytes = num(out, 'bytesSent') ?? 0;
  const recvBytes = num(inb, 'bytesReceived') ?? 0;
  const recvPackets = num(inb, 'packetsReceived') ?? 0;
  const lost = Math.max(0, num(inb, 'packetsLost') ?? 0);
  const secs = previous ? (now - previous.timestamp) / 1000 : 0;
  const rate = (bytes: number, prev: number | undefined): number | null => (previous && secs > 0.2 && prev !== undefined ? Math.max(0, Math.round(((bytes - prev) * 8) / secs / 100) / 10) : null);
  const rtt = num(remoteIn, 'roundTripTime') ?? num(pair, 'currentRoundTripTime');
  const jitter = num(inb, 'jitter');
  return {
    timestamp: now,
    codec: { send: codecName(report, out), receive: codecName(report, inb) },
    sent: { packets: num(out, 'packetsSent') ?? 0, bytes: sentBytes, bitrateKbps: rate(sentBytes, previous?.sent.bytes) },
    received: {
      packets: recvPackets, bytes: recvBytes, bitrateKbps: rate(recvBytes, previous?.received.bytes),
      packetsLost: lost, lossPercent: recvPackets + lost > 0 ? Math.round((1000 * lost) / (recvPackets + lost)) / 10 : 0,
      jitterMs: jitter === null ? null : Math.round(jitter * 10000) / 10,
    },
    rttMs: rtt === null ? null : Math.round(rtt * 10000) / 10,
    audioLevel: { local: num(source, 'audioLevel'), remote: num(inb, 'audioLevel') },
    remoteAudioEnergy: num(inb, 'totalAudioEnergy'),
    transport: {
      dtlsState: str(transport, 'dtlsState'), srtpCipher: str(transport, 'srtpCipher'),
      localCandidate: cand(str(pair, 'localCandidateId')), remoteCandidate: cand(str(pair, 'remoteCandidateId')),
    },
  };
}

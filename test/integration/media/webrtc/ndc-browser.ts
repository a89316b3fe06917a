// node-datachannel playing the browser: offers Opus audio, receives/sends raw RTP.
import nodeDataChannel from 'node-datachannel';
import sdpTransform from 'sdp-transform';
import type { WebRtcLocalParams, WebRtcRemoteParams, IceCandidateParams, DtlsSetup } from '../../../../src/media/webrtc/index.js';

export interface NdcOffer {
  sdp: string;
  remote: WebRtcRemoteParams;
}

/** Parse the browser-side SDP (offer or answer) into the leg's structured parameters. */
export function parseRemote(sdp: string): WebRtcRemoteParams {
  const s = sdpTransform.parse(sdp);
  const m = s.media[0];
  const ufrag = String(m.iceUfrag ?? s.iceUfrag);
  const pwd = String(m.icePwd ?? s.icePwd);
  const fp = m.fingerprint ?? s.fingerprint;
  const candidates: IceCandidateParams[] = (m.candidates ?? []).map((c) => ({
    foundation: String(c.foundation), component: c.component, transport: c.transport.toLowerCase() as 'udp',
    priority: c.priority, address: c.ip, port: c.port, type: c.type as 'host',
  }));
  const dir = (m.direction ?? 'sendrecv') as 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  const ours = dir === 'sendonly' ? 'recvonly' : dir === 'recvonly' ? 'sendonly' : dir;
  return {
    iceUfrag: ufrag, icePwd: pwd, iceLite: s.icelite === 'ice-lite',
    candidates, fingerprints: fp ? [{ algorithm: fp.type, value: fp.hash }] : [],
    setup: (m.setup ?? 'actpass') as DtlsSetup,
    formats: m.rtp.map((r) => ({ pt: r.payload, name: r.codec, clockRate: r.rate ?? 8000, channels: r.encoding === undefined ? undefined : Number(r.encoding) })),
    direction: ours,
  };
}

/** Build SDP text for the leg's side (tests only; production uses src/sdp). */
export function buildLegSdp(local: WebRtcLocalParams, opts: { type: 'offer' | 'answer'; opusPt: number; direction?: string; ssrc?: number; codec?: 'opus' | 'PCMU' }): string {
  const pcmu = opts.codec === 'PCMU';
  const c0 = local.candidates[0];
  const lines = [
    'v=0', `o=- 1 ${Date.now() % 100000} IN IP4 ${c0.address}`, 's=-', 't=0 0',
    ...(local.iceLite ? ['a=ice-lite'] : []),
    'a=group:BUNDLE 0', 'a=msid-semantic:WMS *',
    `m=audio ${c0.port} UDP/TLS/RTP/SAVPF ${opts.opusPt}`,
    `c=IN IP4 ${c0.address}`,
    'a=mid:0', `a=${opts.direction ?? 'sendrecv'}`, 'a=rtcp-mux',
    ...(pcmu ? [`a=rtpmap:${opts.opusPt} PCMU/8000`] : [`a=rtpmap:${opts.opusPt} opus/48000/2`, `a=fmtp:${opts.opusPt} minptime=10;useinbandfec=1`]),
    `a=setup:${local.setup}`,
    `a=ice-ufrag:${local.iceUfrag}`, `a=ice-pwd:${local.icePwd}`,
    `a=fingerprint:${local.fingerprint.algorithm} ${local.fingerprint.value}`,
    ...local.candidates.map((c) => `a=candidate:${c.foundation} ${c.component} ${c.transport.toUpperCase()} ${c.priority} ${c.address} ${c.port} typ ${c.type}`),
    'a=end-of-candidates',
    ...(opts.ssrc !== undefined ? [`a=ssrc:${opts.ssrc} cname:tandem`] : []),
  ];
  return lines.join('\r\n') + '\r\n';
}

const allPeers = new Set<NdcBrowser>();

/**
 * Close every peer, wait until libdatachannel reports them closed, then
 * `cleanup()` (calling it with connections still closing can crash the process).
 */
export async function ndcShutdown(): Promise<void> {
  for (const p of allPeers) p.close();
  const t0 = Date.now();
  const isClosed = (p: NdcBrowser): boolean => { try { return p.pc.state() === 'closed'; } catch { return true; } };
  while (Date.now() - t0 < 3000 && [...allPeers].some((p) => !isClosed(p))) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500));
  allPeers.clear();
  nodeDataChannel.cleanup();
}

/** A node-datachannel peer with one Opus audio track. Callbacks never throw (that would abort the process). */
export class NdcBrowser {
  readonly pc: nodeDataChannel.PeerConnection;
  readonly track: nodeDataChannel.Track;
  state = 'new';
  readonly received: Buffer[] = [];
  onRtp: ((pkt: Buffer) => void) | null = null;
  private gathered: Promise<void>;

  /**
   * `muxPort`: share one local UDP port with every other peer given the same port (libjuice's
   * UDP mux, `enableIceUdpMux`): one socket and one poll entry for all callers of a load test
   * instead of one each.
   */
  constructor(name: string, opts: { opusPt?: number; ssrc?: number; codec?: 'opus' | 'PCMU'; muxPort?: number } = {}) {
    this.pc = new nodeDataChannel.PeerConnection(name, {
      iceServers: [], bindAddress: '127.0.0.1',
      ...(opts.muxPort !== undefined ? { enableIceUdpMux: true, portRangeBegin: opts.muxPort, portRangeEnd: opts.muxPort } : {}),
    });
    const audio = new nodeDataChannel.Audio('0', 'SendRecv');
    if (opts.codec === 'PCMU') audio.addAudioCodec(0, 'PCMU/8000');
    else audio.addOpusCodec(opts.opusPt ?? 111);
    if (opts.ssrc !== undefined) audio.addSSRC(opts.ssrc, 'ndc');
    this.track = this.pc.addTrack(audio);
    this.track.onMessage((msg) => {
      try {
        // node-datachannel hands media over as a Buffer it already copied: no second copy.
        const b = Buffer.isBuffer(msg) ? msg : Buffer.from(msg as ArrayBuffer);
        if (b.length >= 2 && (b[1] < 192 || b[1] > 223)) this.onRtp?.(b);
      } catch { /* never throw in a native callback */ }
    });
    this.pc.onStateChange((s) => { this.state = s; });
    allPeers.add(this);
    this.gathered = new Promise((resolve) => {
      this.pc.onGatheringStateChange((s) => { if (s === 'complete') resolve(); });
    });
  }

  /** Create the offer and wait for gathering to finish. */
  async offer(): Promise<NdcOffer> {
    this.pc.setLocalDescription();
    await this.gathered;
    const desc = this.pc.localDescription();
    if (!desc) throw new Error('no local description');
    return { sdp: desc.sdp, remote: parseRemote(desc.sdp) };
  }

  /** Apply our leg's answer; add its candidates after the description. */
  answer(sdp: string, local: WebRtcLocalParams): void {
    this.pc.setRemoteDescription(sdp, 'answer');
    for (const c of local.candidates) {
      this.pc.addRemoteCandidate(`a=candidate:${c.foundation} ${c.component} ${c.transport.toUpperCase()} ${c.priority} ${c.address} ${c.port} typ ${c.type}`, '0');
    }
  }

  send(pkt: Buffer): boolean {
    try {
      return this.track.isOpen() ? this.track.sendMessageBinary(pkt) : false;
    } catch {
      return false;
    }
  }

  async waitConnected(timeoutMs = 10000): Promise<void> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (this.state === 'connected' && this.track.isOpen()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`ndc peer not connected (state ${this.state})`);
  }

  close(): void {
    try { this.track.close(); } catch { /* closed */ }
    try { this.pc.close(); } catch { /* closed */ }
  }
}

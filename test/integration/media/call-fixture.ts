/**
 * Two RtpLegs on loopback bridged by a MediaBridge, each with a raw RTP peer
 * sending a tone: the building block of the media integration tests.
 */
import { MediaBridge } from '../../../src/media/bridge/media-bridge.js';
import type { PayloadFormat } from '../../../src/media/leg.js';
import { PortPool } from '../../../src/media/net/port-pool.js';
import { UdpPump } from '../../../src/native/udp-pump.js';
import { RtpLeg } from '../../../src/media/rtp-leg/rtp-leg.js';
import type { RtpLegOptions } from '../../../src/media/rtp-leg/rtp-leg-options.js';
import { generateSrtpKey } from '../../../src/media/srtp/srtp-suite.js';
import { RtpPeer, type PeerCodec } from '../../helpers/rtp-peer.js';

export interface SideSpec {
  codec: PeerCodec;
  freq: number;
  ptimeMs?: number;
  srtp?: boolean;
  lossRate?: number;
  jitterMs?: number;
  seed?: number;
  leg?: Partial<RtpLegOptions>;
}

export interface Side { leg: RtpLeg; peer: RtpPeer; formats: PayloadFormat[] }

export interface Call { a: Side; b: Side; bridge: MediaBridge; close(): Promise<void> }

const pool = new PortPool({ min: 44000, max: 44999 });

export function formatsFor(codec: PeerCodec, ptimeMs: number): PayloadFormat[] {
  if (codec === 'opus') return [{ pt: 111, name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20 }, { pt: 126, name: 'telephone-event', clockRate: 48000 }];
  return [
    { pt: codec === 'PCMU' ? 0 : 8, name: codec, clockRate: 8000, ptimeMs },
    { pt: 101, name: 'telephone-event', clockRate: 8000 },
  ];
}

async function side(spec: SideSpec): Promise<Side> {
  const ptimeMs = spec.ptimeMs ?? 20;
  const formats = formatsFor(spec.codec, ptimeMs);
  const kLeg = generateSrtpKey();
  const kPeer = generateSrtpKey();
  const peer = await RtpPeer.create({
    codec: spec.codec, ptimeMs, freq: spec.freq, lossRate: spec.lossRate, jitterMs: spec.jitterMs, seed: spec.seed,
    dtmfPt: spec.codec === 'opus' ? 126 : 101,
    ...(spec.srtp ? { srtp: { local: kPeer, remote: kLeg } } : {}),
  });
  const leg = await RtpLeg.create({
    localAddress: '127.0.0.1', pool, formats,
    remote: { address: '127.0.0.1', port: peer.port },
    srtp: spec.srtp ? { local: kLeg, remote: kPeer } : null,
    ...spec.leg,
  });
  return { leg, peer, formats };
}

/** Sets up both sides and the bridge, and starts both peers sending. */
export async function startCall(a: SideSpec, b: SideSpec): Promise<Call> {
  const sa = await side(a);
  const sb = await side(b);
  const bridge = new MediaBridge({
    a: { leg: sa.leg, formats: sa.formats, ptimeMs: a.ptimeMs },
    b: { leg: sb.leg, formats: sb.formats, ptimeMs: b.ptimeMs },
  });
  sa.peer.start({ address: '127.0.0.1', port: sa.leg.localRtpPort });
  sb.peer.start({ address: '127.0.0.1', port: sb.leg.localRtpPort });
  return {
    a: sa, b: sb, bridge,
    async close() {
      bridge.close();
      sa.leg.close();
      sb.leg.close();
      await sa.peer.close();
      await sb.peer.close();
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Counts of active handles by type (UDPWrap, Timeout, ...). Sockets of the
 * native UDP pump (media.packetIo native) are not libuv handles: they are
 * added to `UDPWrap` so leak checks cover both packet I/O implementations.
 */
export function resourceCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  const native = UdpPump.sharedStats()?.sockets ?? 0;
  if (native > 0) out.UDPWrap = (out.UDPWrap ?? 0) + native;
  return out;
}

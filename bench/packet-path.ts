// Packet-path micro benchmark: N pairs of WebRTC endpoints in ONE thread, each side sending 50 pps
// of 80-byte Opus-sized RTP over DTLS-SRTP on loopback. Compares werift's RTCPeerConnection path
// with Tandem's WebRtcLeg path. Run under `node --cpu-prof` to see where CPU goes.
//   node bench/packet-path.js --impl werift|tandem --calls 50 --duration 20 [--profile tandem-cm|tandem-gcm]
// Prints one JSON object.
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import { PortPool } from '../src/media/net/index.js';
import { WebRtcLeg, sharedDtlsCertificate, type SrtpProfileName, type WebRtcLocalParams, type WebRtcRemoteParams } from '../src/media/webrtc/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const impl = arg('impl', 'tandem');
const calls = Number(arg('calls', '50'));
const duration = Number(arg('duration', '20'));
const srtpProfile = arg('srtp', 'AES_CM_128_HMAC_SHA1_80') as SrtpProfileName;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Pair { sendA(): void; sendB(): void; rx(): number; close(): Promise<void> | void }

function rtp(ssrc: number, seq: number): Buffer {
  const b = Buffer.alloc(12 + 80, 0x55);
  b[0] = 0x80; b[1] = 111; b.writeUInt16BE(seq & 0xffff, 2); b.writeUInt32BE((seq * 960) >>> 0, 4); b.writeUInt32BE(ssrc, 8);
  return b;
}

async function weriftPair(i: number): Promise<Pair> {
  const cfg = { iceServers: [], iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] };
  const a = new RTCPeerConnection(cfg);
  const b = new RTCPeerConnection(cfg);
  const ta = new MediaStreamTrack({ kind: 'audio' });
  const tb = new MediaStreamTrack({ kind: 'audio' });
  a.addTransceiver(ta, { direction: 'sendrecv' });
  b.addTransceiver(tb, { direction: 'sendrecv' });
  let rx = 0;
  a.onTrack.subscribe((t) => { t.onReceiveRtp.subscribe(() => { rx++; }); });
  b.onTrack.subscribe((t) => { t.onReceiveRtp.subscribe(() => { rx++; }); });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  const t0 = Date.now();
  while (a.connectionState !== 'connected' || b.connectionState !== 'connected') {
    if (Date.now() - t0 > 15000) throw new Error(`werift pair ${i} did not connect`);
    await sleep(20);
  }
  let sa = 0;
  let sb = 0;
  const hdrA = new RtpHeader({ payloadType: 111, ssrc: 0xa000 + i });
  const hdrB = new RtpHeader({ payloadType: 111, ssrc: 0xb000 + i });
  const payload = Buffer.alloc(80, 0x55);
  return {
    sendA: () => { hdrA.sequenceNumber = sa++ & 0xffff; hdrA.timestamp = (sa * 960) >>> 0; ta.writeRtp(new RtpPacket(hdrA, payload)); },
    sendB: () => { hdrB.sequenceNumber = sb++ & 0xffff; hdrB.timestamp = (sb * 960) >>> 0; tb.writeRtp(new RtpPacket(hdrB, payload)); },
    rx: () => rx,
    close: async () => { await a.close(); await b.close(); },
  };
}

function toRemote(l: WebRtcLocalParams): WebRtcRemoteParams {
  return {
    iceUfrag: l.iceUfrag, icePwd: l.icePwd, iceLite: l.iceLite, candidates: l.candidates, fingerprints: [l.fingerprint],
    setup: l.setup, formats: [{ pt: 111, name: 'opus', clockRate: 48000, channels: 2 }], direction: 'sendrecv',
  };
}

async function tandemPair(i: number, pool: PortPool): Promise<Pair> {
  const cert = await sharedDtlsCertificate();
  const a = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: true, certificate: cert, srtpProfiles: [srtpProfile] });
  const b = await WebRtcLeg.create({ portPool: pool, bindAddress: '127.0.0.1', offerer: false, certificate: cert, srtpProfiles: [srtpProfile] });
  b.apply(toRemote(a.localParams()));
  a.apply(toRemote(b.localParams()));
  const t0 = Date.now();
  while (a.stats().dtlsState !== 'connected' || b.stats().dtlsState !== 'connected') {
    if (Date.now() - t0 > 15000) throw new Error(`tandem pair ${i} did not connect`);
    await sleep(20);
  }
  let rx = 0;
  a.onRtp = () => { rx++; };
  b.onRtp = () => { rx++; };
  let sa = 0;
  let sb = 0;
  const pa = rtp(0xa000 + i, 0);
  const pb = rtp(0xb000 + i, 0);
  return {
    sendA: () => { sa++; pa.writeUInt16BE(sa & 0xffff, 2); a.sendRtp(pa); },
    sendB: () => { sb++; pb.writeUInt16BE(sb & 0xffff, 2); b.sendRtp(pb); },
    rx: () => rx,
    close: () => { a.close(); b.close(); },
  };
}

async function main(): Promise<void> {
  const pool = new PortPool({ min: 30000, max: 39999 });
  const pairs: Pair[] = [];
  for (let i = 0; i < calls; i++) pairs.push(impl === 'werift' ? await weriftPair(i) : await tandemPair(i, pool));
  await sleep(500);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rx0 = pairs.reduce((s, p) => s + p.rx(), 0);
  let ticks = 0;
  // 20 ms pacing, each endpoint sends one packet per tick (50 pps per direction).
  const end = t0 + duration * 1000;
  while (performance.now() < end) {
    for (const p of pairs) { p.sendA(); p.sendB(); }
    ticks++;
    const next = t0 + ticks * 20;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await sleep(200);
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  const rx = pairs.reduce((s, p) => s + p.rx(), 0) - rx0;
  const sent = ticks * pairs.length * 2;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  for (const p of pairs) await p.close();
  console.log(JSON.stringify({
    impl, srtp: impl === 'tandem' ? srtpProfile : 'werift-negotiated', calls, endpoints: calls * 2, durationS: Number(elapsed.toFixed(2)),
    packetsSent: sent, packetsReceived: rx, lossPct: Number((100 * (1 - rx / sent)).toFixed(3)),
    cpuMs: Math.round(cpuMs), cpuPctOfCore: Number((100 * cpuMs / 1000 / elapsed).toFixed(2)),
    cpuPctOfCorePerEndpoint: Number((100 * cpuMs / 1000 / elapsed / (calls * 2)).toFixed(4)),
    cpuUsPerPacket: Number(((cpuMs * 1000) / (sent + rx)).toFixed(2)),
  }));
  setTimeout(() => process.exit(0), 500).unref();
}

void main();

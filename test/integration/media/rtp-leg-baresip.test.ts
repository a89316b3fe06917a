import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { MediaBridge } from '../../../src/media/bridge/media-bridge.js';
import { PortPool } from '../../../src/media/net/port-pool.js';
import { RtpLeg } from '../../../src/media/rtp-leg/rtp-leg.js';
import { decodeSdesKey, encodeSdesKey, generateSrtpKey } from '../../../src/media/srtp/srtp-suite.js';
import { startBaresip, stopAllBaresip } from '../../helpers/baresip.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { toneDominates } from '../../helpers/tone.js';
import { formatsFor, sleep } from './call-fixture.js';

/**
 * A minimal SIP UAC over UDP, just enough to put baresip in a call: INVITE
 * with our SDP, ACK the 200, BYE at the end. (Test scaffolding only; the
 * product's SIP stack lives in src/sip.)
 */
class MiniUac {
  private readonly callId = `${randomBytes(8).toString('hex')}@tandem.test`;
  private readonly fromTag = randomBytes(4).toString('hex');
  private toTag = '';
  private remoteTarget = '';
  private cseq = 1;
  private readonly waiters: Array<(m: string) => void> = [];

  private constructor(private readonly sock: dgram.Socket, private readonly port: number, private readonly peer: { host: string; port: number }) {
    sock.on('message', (m) => {
      const text = m.toString('utf8');
      const w = this.waiters.shift();
      if (w) w(text);
    });
  }

  static async create(peer: { host: string; port: number }): Promise<MiniUac> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    return new MiniUac(sock, sock.address().port, peer);
  }

  private next(timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('SIP response timeout')), timeoutMs);
      this.waiters.push((m) => { clearTimeout(t); resolve(m); });
    });
  }

  private send(lines: string[], body = ''): void {
    const msg = `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    this.sock.send(msg, this.peer.port, this.peer.host);
  }

  private headers(method: string, uri: string, cseq: number): string[] {
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      'Max-Forwards: 70',
      `From: <sip:tandem@127.0.0.1:${this.port}>;tag=${this.fromTag}`,
      `To: <${uri}>${this.toTag ? `;tag=${this.toTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:tandem@127.0.0.1:${this.port}>`,
    ];
  }

  /** Sends INVITE with `sdp`, returns the 200 OK's SDP body. */
  async invite(uri: string, sdp: string): Promise<string> {
    this.send([...this.headers('INVITE', uri, this.cseq), 'Content-Type: application/sdp'], sdp);
    for (;;) {
      const m = await this.next(10000);
      const status = Number(/^SIP\/2\.0 (\d+)/.exec(m)?.[1] ?? 0);
      if (status < 200) continue;
      if (status !== 200) throw new Error(`INVITE failed: ${m.split('\r\n')[0]}`);
      this.toTag = /\r\nTo:[^\r\n]*;tag=([^;\s\r\n]+)/i.exec(m)?.[1] ?? '';
      this.remoteTarget = /\r\nContact:\s*<([^>]+)>/i.exec(m)?.[1] ?? uri;
      this.send(this.headers('ACK', this.remoteTarget, this.cseq));
      return m.slice(m.indexOf('\r\n\r\n') + 4);
    }
  }

  async bye(): Promise<void> {
    this.cseq++;
    this.send(this.headers('BYE', this.remoteTarget, this.cseq));
    await this.next(3000).catch(() => '');
  }

  close(): void { this.sock.close(); }
}

describe('integration media: RtpLeg with SDES-SRTP against baresip (mediaenc=srtp-mand)', function () {
  this.timeout(40000);
  after(() => stopAllBaresip());

  it('tones cross both ways through SRTP (baresip) ↔ RtpLeg ↔ bridge ↔ RtpLeg ↔ plain RTP peer', async () => {
    const phone = await startBaresip({ codecs: 'PCMU', mediaenc: 'srtp-mand', toneHz: 1000, timeoutMs: 35000 });
    const pool = new PortPool({ min: 46000, max: 46999 });
    const formats = formatsFor('PCMU', 20);
    const ours = generateSrtpKey('AES_CM_128_HMAC_SHA1_80');
    const peer = await RtpPeer.create({ codec: 'PCMU', freq: 440 });
    const legA = await RtpLeg.create({ localAddress: '127.0.0.1', pool, formats, remote: { address: '127.0.0.1', port: peer.port } });
    const legB = await RtpLeg.create({ localAddress: '127.0.0.1', pool, formats, remote: null });
    const uac = await MiniUac.create({ host: phone.ip, port: phone.sipPort });
    let bridge: MediaBridge | null = null;
    try {
      const offer = [
        'v=0', `o=tandem 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
        `m=audio ${legB.localRtpPort} RTP/SAVP 0 101`,
        'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20',
        `a=rtcp:${legB.localRtcpPort}`,
        `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${encodeSdesKey(ours)}`,
        'a=sendrecv', '',
      ].join('\r\n');
      const answer = await uac.invite(phone.uri, offer);
      const port = Number(/m=audio (\d+)/.exec(answer)?.[1]);
      const addr = /c=IN IP4 (\S+)/.exec(answer)?.[1] ?? '127.0.0.1';
      const crypto = /a=crypto:\d+ (AES_CM_128_HMAC_SHA1_(?:80|32)) inline:([A-Za-z0-9+/=]+)/.exec(answer);
      expect(crypto, `answer has a=crypto:\n${answer}`).to.not.equal(null);
      if (!crypto) return;
      const suite = crypto[1] as 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
      legB.update({
        remote: { address: addr, port },
        srtp: { local: { ...ours, suite }, remote: decodeSdesKey(suite, crypto[2]) },
      });
      bridge = new MediaBridge({ a: { leg: legA, formats }, b: { leg: legB, formats } });
      peer.start({ address: '127.0.0.1', port: legA.localRtpPort });
      await sleep(4000);
      peer.stop();
      await sleep(300);
      expect(legB.counters.srtpAuthFailures, JSON.stringify(legB.counters)).to.equal(0);
      expect(legB.counters.rxPackets).to.be.greaterThan(100);
      // baresip's SRTCP (its first RTCP is a lone APP 'PINGPONG', later SR/RR) authenticates and parses.
      expect(legB.rtcpCounters.rtcpAuthFailures, JSON.stringify(legB.rtcpCounters)).to.equal(0);
      expect(legB.rtcpCounters.rtcpRx, JSON.stringify(legB.rtcpCounters)).to.be.at.least(1);
      const atPeer = toneDominates(peer.received, 8000, 1000, { candidates: [440], skipMs: 500 });
      expect(atPeer.fraction, `baresip's 1000 Hz at our peer ${JSON.stringify(atPeer)}`).to.be.above(0.7);
      await uac.bye();
      await sleep(300);
      await phone.stop();
      expect(phone.srtpEnabled()).to.equal(true);
      const heard = phone.readRecording('dec');
      const atPhone = toneDominates(heard.samples, heard.rate, 440, { candidates: [1000], skipMs: 1000 });
      expect(atPhone.fraction, `our 440 Hz at baresip ${JSON.stringify(atPhone)}`).to.be.above(0.5);
    } finally {
      bridge?.close();
      legA.close();
      legB.close();
      uac.close();
      await peer.close();
      await phone.cleanup();
    }
  });
});

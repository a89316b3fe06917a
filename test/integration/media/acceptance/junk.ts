/**
 * Seeded generators of bad datagrams for the engine's live ports: garbage,
 * RTP-like, mutated RTP, RTCP compounds (mutated/truncated), STUN (well formed
 * with wrong integrity, unsolicited responses, indications of unknown methods,
 * mutated), DTLS records (valid header, random body; mutated headers).
 */
import { buildReceiverReport, buildSdesCname, buildSenderReport } from '../../../../src/media/rtp/rtcp-build.js';
import {
  ATTR_PRIORITY, ATTR_USERNAME, ATTR_XOR_MAPPED_ADDRESS, STUN_BINDING_REQUEST, STUN_BINDING_SUCCESS, encodeStun,
} from '../../../../src/media/webrtc/stun.js';

export type JunkKind = 'garbage' | 'rtp' | 'rtp-mutated' | 'rtcp' | 'stun' | 'dtls' | 'empty';
export const JUNK_KINDS: readonly JunkKind[] = ['garbage', 'rtp', 'rtp-mutated', 'rtcp', 'stun', 'dtls', 'empty'];

export class JunkGen {
  readonly byKind: Record<JunkKind, number> = { garbage: 0, rtp: 0, 'rtp-mutated': 0, rtcp: 0, stun: 0, dtls: 0, empty: 0 };
  private readonly template = Buffer.from('8000123400000a00cafebabe' + 'ff'.repeat(160), 'hex');

  constructor(private readonly r: () => number, private readonly localUfrag: string) {}

  private int(n: number): number { return Math.floor(this.r() * n); }
  private bytes(n: number): Buffer { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b; }
  private mutate(b: Buffer): Buffer {
    const m = Buffer.from(b);
    for (let k = 0; k < 1 + this.int(4); k++) if (m.length > 0) m[this.int(m.length)] = this.int(256);
    return this.r() < 0.3 ? m.subarray(0, this.int(m.length + 1)) : m;
  }

  next(): Buffer {
    const kind: JunkKind = this.r() < 0.01 ? 'empty' : JUNK_KINDS[this.int(JUNK_KINDS.length - 1)];
    this.byKind[kind]++;
    switch (kind) {
      case 'empty': return Buffer.alloc(0);
      case 'garbage': return this.bytes(1 + this.int(300));
      case 'rtp': {
        const b = this.bytes(12 + this.int(200));
        b[0] = 0x80 | (b[0] & 0x3f);
        b[1] = (b[1] & 0x80) | [0, 8, 101, 111, 126, this.int(128)][this.int(6)];
        return b;
      }
      case 'rtp-mutated': return this.mutate(this.template);
      case 'rtcp': {
        const ssrc = this.int(0xffffffff);
        const c = this.r() < 0.5
          ? Buffer.concat([buildSenderReport(ssrc, { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 },
            [{ ssrc: 9, fractionLost: 1, cumulativeLost: 2, highestSeq: 3, jitter: 4, lsr: 5, dlsr: 6 }]), buildSdesCname(ssrc, 'x')])
          : buildReceiverReport(ssrc);
        return this.r() < 0.3 ? c : this.mutate(c);
      }
      case 'stun': {
        const tx = this.bytes(12);
        const roll = this.r();
        let m: Buffer;
        if (roll < 0.4) {
          // Binding request with our ufrag but a wrong password (MESSAGE-INTEGRITY fails → 401).
          m = encodeStun(STUN_BINDING_REQUEST, tx, [
            { type: ATTR_USERNAME, value: Buffer.from(`${this.localUfrag}:x${this.int(1e6)}`) },
            { type: ATTR_PRIORITY, value: this.bytes(4) },
          ], `wrong-${this.int(1e9)}`);
        } else if (roll < 0.7) {
          // Unsolicited binding success (no check of ours has this transaction id).
          m = encodeStun(STUN_BINDING_SUCCESS, tx, [{ type: ATTR_XOR_MAPPED_ADDRESS, value: this.bytes(8) }], `wrong-${this.int(1e9)}`);
        } else if (roll < 0.85) {
          // Unknown method/class (not a Binding request/response/indication).
          m = encodeStun(0x0002 + this.int(0x3000) * 4, tx, []);
        } else {
          m = this.mutate(encodeStun(STUN_BINDING_REQUEST, tx, [{ type: ATTR_USERNAME, value: Buffer.from(`${this.localUfrag}:y`) }], 'pw'));
        }
        return m;
      }
      case 'dtls': {
        const body = this.bytes(this.int(200));
        const h = Buffer.alloc(13);
        h[0] = [20, 21, 22, 23, 20 + this.int(44)][this.int(5)];
        h[1] = 0xfe; h[2] = this.r() < 0.8 ? 0xfd : 0xff;
        h.writeUInt16BE(this.int(3), 3);
        h.writeUIntBE(this.int(1e9), 5, 6);
        h.writeUInt16BE(body.length, 11);
        const rec = Buffer.concat([h, body]);
        return this.r() < 0.7 ? rec : this.mutate(rec);
      }
    }
  }
}

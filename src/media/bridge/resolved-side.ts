import type { PayloadFormat } from '../leg.js';
import { bridgeCodecOf, type BridgeCodec } from './frame-codec.js';
import type { BridgeLegConfig } from './bridge-options.js';

/** What a PT means on one leg, resolved once so the hot path indexes an array. */
export interface PtInfo {
  kind: 'audio' | 'dtmf' | 'cn';
  codec: BridgeCodec | null;
  clockRate: number;
}

/** A leg's negotiated formats resolved for the bridge. */
export interface ResolvedSide {
  byPt: Array<PtInfo | undefined>;
  /** Audio format sent toward this leg. */
  sendPt: number;
  sendCodec: BridgeCodec;
  sendClockRate: number;
  ptimeMs: number;
  /** telephone-event formats by clock rate. */
  dtmfPtByRate: Map<number, number>;
  /** CN PT at 8000 Hz, if negotiated. */
  cnPt: number | null;
}

export function resolveSide(cfg: BridgeLegConfig): ResolvedSide | null {
  const byPt: Array<PtInfo | undefined> = new Array<PtInfo | undefined>(128);
  const dtmfPtByRate = new Map<number, number>();
  let cnPt: number | null = null;
  let send: PayloadFormat | null = null;
  for (const f of cfg.formats) {
    if (f.pt < 0 || f.pt > 127) continue;
    const name = f.name.toUpperCase();
    const codec = bridgeCodecOf(name);
    if (codec) {
      byPt[f.pt] = { kind: 'audio', codec, clockRate: f.clockRate };
      if (cfg.sendPt === undefined ? send === null : cfg.sendPt === f.pt) send = f;
    } else if (name === 'TELEPHONE-EVENT') {
      byPt[f.pt] = { kind: 'dtmf', codec: null, clockRate: f.clockRate };
      if (!dtmfPtByRate.has(f.clockRate)) dtmfPtByRate.set(f.clockRate, f.pt);
    } else if (name === 'CN') {
      byPt[f.pt] = { kind: 'cn', codec: null, clockRate: f.clockRate };
      if (f.clockRate === 8000) cnPt = f.pt;
    }
  }
  if (!send) return null;
  const sendCodec = bridgeCodecOf(send.name) as BridgeCodec;
  return {
    byPt, sendPt: send.pt, sendCodec, sendClockRate: send.clockRate,
    ptimeMs: cfg.ptimeMs ?? send.ptimeMs ?? 20, dtmfPtByRate, cnPt,
  };
}

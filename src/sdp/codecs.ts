import type { CodecSpec } from './types.js';

/**
 * Static audio payload types (RFC 3551 §6, Table 4) that may appear without an
 * `a=rtpmap` line.
 */
export const STATIC_AUDIO_PAYLOAD_TYPES: Readonly<Record<number, Omit<CodecSpec, 'pt'>>> = Object.freeze({
  0: { name: 'PCMU', clockRate: 8000, channels: 1 },
  3: { name: 'GSM', clockRate: 8000, channels: 1 },
  4: { name: 'G723', clockRate: 8000, channels: 1 },
  8: { name: 'PCMA', clockRate: 8000, channels: 1 },
  9: { name: 'G722', clockRate: 8000, channels: 1 },
  13: { name: 'CN', clockRate: 8000, channels: 1 },
  18: { name: 'G729', clockRate: 8000, channels: 1 },
});

/** The G.711 codecs Tandem can pass through or transcode to, in default preference order. */
export type G711Name = 'PCMU' | 'PCMA';

/** Default G.711 preference for codecs we add ourselves. */
export const DEFAULT_G711_ORDER: readonly G711Name[] = ['PCMU', 'PCMA'];

/** Opus as Tandem writes it (RFC 7587 §7): 48000/2, FEC on, 10 ms minimum. */
export const OPUS_FMTP = 'minptime=10;useinbandfec=1';
/** Default payload type for Opus in offers we write (same as Chromium's). */
export const DEFAULT_OPUS_PT = 111;
/** Default telephone-event payload types in offers we write. */
export const DEFAULT_DTMF_8K_PT = 101;
export const DEFAULT_DTMF_48K_PT = 110;
/** Events we declare for telephone-event we generate (RFC 4733 §7.1.1: 0-15 DTMF, 16 flash). */
export const DEFAULT_DTMF_FMTP = '0-16';

/** Case-insensitive codec name match (RFC 8866 §6.6: encoding names are case-insensitive). */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** True for PCMU/8000 or PCMA/8000 mono. */
export function isG711(c: CodecSpec): boolean {
  return (sameName(c.name, 'PCMU') || sameName(c.name, 'PCMA')) && c.clockRate === 8000 && c.channels === 1;
}

/** True for opus/48000/2 (RFC 7587 §7: always declared as 48000/2). */
export function isOpus(c: CodecSpec): boolean {
  return sameName(c.name, 'opus') && c.clockRate === 48000;
}

/** True for telephone-event at any clock rate (RFC 4733). */
export function isDtmf(c: CodecSpec): boolean {
  return sameName(c.name, 'telephone-event');
}

/** The canonical G.711 name of a codec, or undefined. */
export function g711Name(c: CodecSpec): G711Name | undefined {
  if (!isG711(c)) return undefined;
  return sameName(c.name, 'PCMU') ? 'PCMU' : 'PCMA';
}

/** A G.711 codec spec with its static payload type. */
export function g711Spec(name: G711Name): CodecSpec {
  return { pt: name === 'PCMU' ? 0 : 8, name, clockRate: 8000, channels: 1 };
}

/** An Opus spec as Tandem writes it. */
export function opusSpec(pt: number): CodecSpec {
  return { pt, name: 'opus', clockRate: 48000, channels: 2, fmtp: OPUS_FMTP };
}

/** A telephone-event spec. */
export function dtmfSpec(pt: number, clockRate: number, fmtp: string | undefined = DEFAULT_DTMF_FMTP): CodecSpec {
  return { pt, name: 'telephone-event', clockRate, channels: 1, ...(fmtp !== undefined ? { fmtp } : {}) };
}

/** Picks a dynamic payload type (96–127) not in `used`, trying `preferred` first. */
export function freeDynamicPt(used: ReadonlySet<number>, preferred: number): number {
  if (!used.has(preferred)) return preferred;
  for (let pt = 96; pt <= 127; pt++) if (!used.has(pt)) return pt;
  // 32 dynamic types all taken by an m-line we write ourselves cannot happen (we write at most 5 codecs).
  return preferred;
}

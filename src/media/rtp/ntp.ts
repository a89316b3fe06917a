/** Seconds between 1900-01-01 (NTP epoch) and 1970-01-01 (Unix epoch). */
const NTP_UNIX_OFFSET = 2208988800;

/** 64-bit NTP timestamp as two 32-bit words (RFC 3550 §4). */
export interface NtpTime { sec: number; frac: number }

/** Converts wall-clock milliseconds since the Unix epoch to NTP (RFC 3550 §4). */
export function msToNtp(ms: number): NtpTime {
  const s = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - s * 1000) / 1000) * 0x100000000);
  return { sec: (s + NTP_UNIX_OFFSET) >>> 0, frac: frac >>> 0 };
}

/** Middle 32 bits of an NTP timestamp (the LSR / "compact" form, RFC 3550 §6.4.1). */
export function ntpMiddle32(t: NtpTime): number {
  return (((t.sec & 0xffff) << 16) | (t.frac >>> 16)) >>> 0;
}

/** Compact NTP (1/65536 s units) for wall-clock milliseconds. */
export function msToCompactNtp(ms: number): number {
  return ntpMiddle32(msToNtp(ms));
}

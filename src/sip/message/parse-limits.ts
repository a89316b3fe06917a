/** Size limits applied by the parser and the transports. */
export interface ParseLimits {
  /** Largest message (start line + headers + body) in bytes. Default 65535. */
  maxMessageSize: number;
  /** Most header lines (after unfolding). Default 256. */
  maxHeaders: number;
  /** Longest single header line (after unfolding) in bytes. Default 8192. */
  maxHeaderSize: number;
}

/** Defaults: 64 KiB messages, 256 headers, 8 KiB per header. */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageSize: 65535,
  maxHeaders: 256,
  maxHeaderSize: 8192,
});

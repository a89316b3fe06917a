/**
 * A flat copy of `s` sharing no memory with the message it was cut from. Header values and
 * keys built from them are sliced or concatenated strings that keep the whole received
 * message text alive; anything kept for 64*T1 (a transaction in Accepted or Completed, a
 * remembered ACK) must not be one.
 */
export function detachedString(s: string): string {
  // the concatenation is flattened into a new sequential string by slice(); the slice then
  // points into that copy, not into the message text
  return (' ' + s).slice(1);
}

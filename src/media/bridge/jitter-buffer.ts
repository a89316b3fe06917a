/**
 * What the bridge needs from a jitter buffer on each decode path. The
 * default implementation is src/media/jitter/jitter-buffer.ts (structurally
 * compatible). Contract: `pop` is time-driven: it returns a slot only when
 * that slot is due for playout at `nowMs`; the bridge calls it every few ms
 * and drains every due slot.
 */
export interface BridgeJitterBuffer {
  /**
   * Stores a packet (the buffer copies `payload`). Returns 'ok', 'late' (its
   * slot was already played out) or 'duplicate'; the caller counts drops.
   */
  push(seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number): 'ok' | 'late' | 'duplicate';
  /**
   * Next frame in sequence order at `nowMs`: a packet, a loss (slot skipped:
   * conceal; `next` is the following packet when buffered, for Opus FEC), or
   * empty (still prebuffering, underrun, or the stream paused).
   */
  pop(nowMs: number): JitterPop;
  /** Packets currently held. */
  readonly size: number;
  reset(): void;
}

export type JitterPop =
  | { kind: 'packet'; seq: number; timestamp: number; payload: Uint8Array }
  | { kind: 'lost'; seq: number; next: Uint8Array | null }
  | { kind: 'empty' };

/** Creates a jitter buffer for a decode path (`clockRate` of the input stream). */
export type JitterBufferFactory = (opts: { clockRate: number; frameMs: number }) => BridgeJitterBuffer;

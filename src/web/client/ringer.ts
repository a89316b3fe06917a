/** What the ringer plays. */
export type RingPattern = 'incoming' | 'ringback';

/**
 * Ring and ringback tones made with WebAudio (no audio files): 440 + 480 Hz, as in
 * ITU-T E.180 ringing tone; incoming = two short bursts every 3 s, ringback = 2 s on, 4 s off.
 * Plays to the speakers only, never into the call.
 */
export class Ringer {
  private timer: ReturnType<typeof setInterval> | null = null;
  private playing: RingPattern | null = null;
  private readonly nodes = new Set<OscillatorNode>();

  constructor(private readonly context: () => AudioContext) {}

  /** Starts `pattern` (restarts when another one plays). */
  start(pattern: RingPattern): void {
    if (this.playing === pattern) return;
    this.stop();
    this.playing = pattern;
    const cycle = (): void => {
      if (pattern === 'incoming') {
        this.burst(0, 0.4, 0.12);
        this.burst(0.6, 0.4, 0.12);
      } else {
        this.burst(0, 2, 0.06);
      }
    };
    cycle();
    this.timer = setInterval(cycle, pattern === 'incoming' ? 3000 : 6000);
  }

  /** Stops immediately. Idempotent. */
  stop(): void {
    this.playing = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const o of this.nodes) {
      try {
        o.stop();
      } catch {
        // not started or already stopped
      }
    }
    this.nodes.clear();
  }

  private burst(offset: number, seconds: number, level: number): void {
    const ctx = this.context();
    if (ctx.state !== 'running') return;
    const t0 = ctx.currentTime + offset;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0, t0);
    gain.gain.linearRampToValueAtTime(level, t0 + 0.02);
    gain.gain.setValueAtTime(level, t0 + seconds - 0.03);
    gain.gain.linearRampToValueAtTime(0, t0 + seconds);
    gain.connect(ctx.destination);
    for (const f of [440, 480]) {
      const o = ctx.createOscillator();
      o.frequency.value = f;
      o.connect(gain);
      o.start(t0);
      o.stop(t0 + seconds);
      this.nodes.add(o);
      o.onended = () => {
        this.nodes.delete(o);
        if (this.nodes.size === 0) gain.disconnect();
      };
    }
  }
}

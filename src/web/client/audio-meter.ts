/** A level reading of one audio stream. */
export interface AudioReading {
  /** RMS of the last analyser window, 0..1 (full scale sine = 0.707). */
  rms: number;
  /** The same in dBFS (-100 for silence). */
  db: number;
  /** Frequency of the strongest FFT bin, Hz (0 when silent). */
  peakHz: number;
}

const SILENT: AudioReading = { rms: 0, db: -100, peakHz: 0 };

/**
 * Measures a MediaStream with a WebAudio AnalyserNode: RMS level for the meters and the
 * dominant frequency (used by tests to check which tone arrives). Not connected to the
 * destination, so it plays nothing.
 */
export class AudioMeter {
  private readonly source: MediaStreamAudioSourceNode;
  private readonly analyser: AnalyserNode;
  private readonly time: Float32Array<ArrayBuffer>;
  private readonly freq: Float32Array<ArrayBuffer>;

  constructor(private readonly ctx: AudioContext, readonly stream: MediaStream) {
    this.source = ctx.createMediaStreamSource(stream);
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 4096;
    this.analyser.smoothingTimeConstant = 0.2;
    this.source.connect(this.analyser);
    this.time = new Float32Array(this.analyser.fftSize);
    this.freq = new Float32Array(this.analyser.frequencyBinCount);
  }

  /** The current reading. */
  read(): AudioReading {
    if (this.ctx.state !== 'running') return SILENT;
    this.analyser.getFloatTimeDomainData(this.time);
    let sum = 0;
    for (let i = 0; i < this.time.length; i++) sum += this.time[i] * this.time[i];
    const rms = Math.sqrt(sum / this.time.length);
    if (rms < 1e-4) return { rms, db: -100, peakHz: 0 };
    this.analyser.getFloatFrequencyData(this.freq);
    let best = 1;
    for (let k = 2; k < this.freq.length; k++) if (this.freq[k] > this.freq[best]) best = k;
    return { rms, db: Math.max(-100, 20 * Math.log10(rms)), peakHz: Math.round((best * this.ctx.sampleRate) / this.analyser.fftSize) };
  }

  /** Disconnects the nodes (the stream itself is left alone). */
  close(): void {
    try {
      this.source.disconnect();
      this.analyser.disconnect();
    } catch {
      // already disconnected
    }
  }
}

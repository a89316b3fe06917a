/**
 * Turns a telephone-event packet stream into key presses: one report per
 * event, however many updates and end retransmissions carry it (RFC 4733
 * §2.5.2: an event is identified by its start timestamp; the E bit ends it).
 */
import { dtmfEventName, parseTelephoneEvent } from './rfc4733.js';

/** A finished key press. */
export interface DtmfKeyPress {
  /** Event code (RFC 4733 §3.2). */
  event: number;
  /** '0'..'9', '*', '#', 'A'..'D', 'flash', or null for other events. */
  key: string | null;
  /** RTP timestamp of the event start. */
  timestamp: number;
  /** Final duration in ms. */
  durationMs: number;
  volume: number;
}

/** Reports each telephone-event once, on its first end packet. */
export class DtmfDetector {
  private lastEndedTs = -1;
  private lastEndedEvent = -1;

  constructor(private readonly clockRate: number) {}

  /** Feeds one packet's timestamp and telephone-event payload; returns the key press when it ends, else null. */
  feed(timestamp: number, payload: Uint8Array): DtmfKeyPress | null {
    const ev = parseTelephoneEvent(payload);
    if (ev === null || !ev.end) return null;
    timestamp >>>= 0;
    if (timestamp === this.lastEndedTs && ev.event === this.lastEndedEvent) return null; // retransmitted end
    this.lastEndedTs = timestamp;
    this.lastEndedEvent = ev.event;
    return {
      event: ev.event,
      key: dtmfEventName(ev.event),
      timestamp,
      durationMs: (ev.duration * 1000) / this.clockRate,
      volume: ev.volume,
    };
  }
}

import type { CallSessionFactory, CallSessionRequest } from '../app/calls/call-session-factory.js';
import type { CallEvent } from '../media/engine/index.js';
import type { FlowId, FlowMonitor } from '../app/signaling/flow.js';
import { CallSession } from './call-session.js';
import type { MediaPort } from './media-port.js';
import type { SessionSrf } from './srf-types.js';

/** Options of {@link SessionFactory}. */
export interface SessionFactoryOptions {
  /** The connected drachtio-srf `Srf` (B legs and A-leg dialogs). */
  srf: SessionSrf;
  /** The media engine (or a fake with the same calls). */
  media: MediaPort;
  /** Address written into SIP-side SDP: `media.announcedAddress`, else `media.bindAddress`. */
  sdpAddress: string;
  /** Domain of the From header on B legs (`auth.realm`). */
  domain: string;
  /**
   * Connection-close notifications (embedded mode: `TransportFlowMonitor`). When a leg's
   * WebSocket/TCP connection closes, its call ends (BYE on the other leg). Absent in remote
   * mode: such calls then end on RTP inactivity (`media.rtpTimeoutSeconds`) or max duration.
   */
  flows?: FlowMonitor;
  /** `calls.maxDurationSeconds` in ms: answered calls are ended after this long; 0/absent = no limit. */
  maxDurationMs?: number;
  /**
   * `calls.sessionExpiresSeconds`: RFC 4028 session interval offered on B-leg INVITEs
   * (`Session-Expires` + `Supported: timer`); 0/absent = none, 1–89 are raised to 90 (§4).
   */
  sessionExpiresSeconds?: number;
}

/**
 * Implements the app's {@link CallSessionFactory}: one {@link CallSession} per planned call,
 * indexed by its media id so engine events reach the right call.
 */
export class SessionFactory implements CallSessionFactory {
  private readonly sessions = new Map<string, CallSession>();
  private seq = 0;
  private closed = false;
  private readonly unwatch: (() => void) | null;

  constructor(private readonly opts: SessionFactoryOptions) {
    this.unwatch = opts.flows ? opts.flows.onFlowClosed((flow) => this.onFlowClosed(flow)) : null;
  }

  /** A connection closed: every call with a leg on it ends (RFC 7118 §5). */
  onFlowClosed(flow: FlowId): void {
    for (const s of [...this.sessions.values()]) {
      if (s.flows().includes(flow)) s.onFlowClosed(flow);
    }
  }

  /** Calls in progress (set up or answered). */
  get active(): number {
    return this.sessions.size;
  }

  async create(request: CallSessionRequest): Promise<void> {
    if (this.closed) {
      request.res.send(503, 'Service Unavailable', { headers: { 'Retry-After': '30' } });
      return;
    }
    // drachtio-srf's Request has no `callId` property: read the header.
    const callId = request.req.get('Call-ID') ?? request.req.callId ?? 'call';
    const mediaId = `${callId}#${++this.seq}`;
    const session = new CallSession({
      srf: this.opts.srf, media: this.opts.media, mediaId, sdpAddress: this.opts.sdpAddress, domain: this.opts.domain, request,
      onEnded: (s) => this.sessions.delete(s.mediaId),
      ...(this.opts.maxDurationMs ? { maxDurationMs: this.opts.maxDurationMs } : {}),
      ...(this.opts.sessionExpiresSeconds ? { sessionExpiresSeconds: Math.max(90, this.opts.sessionExpiresSeconds) } : {}),
    });
    this.sessions.set(mediaId, session);
    await session.run();
  }

  /** Media ids of the calls in progress (diagnostics: `MediaEngine.stats(id)`). */
  mediaIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** Route a media engine event (`MediaEngineOptions.onEvent`) to its call. */
  onMediaEvent(callId: string, event: CallEvent): void {
    this.sessions.get(callId)?.onMediaEvent(event);
  }

  /** Ends every call (BYE both legs, media closed). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.unwatch?.();
    await Promise.all([...this.sessions.values()].map((s) => s.end(null, 'Q.850;cause=41;text="Gateway shutting down"')));
    this.sessions.clear();
  }
}

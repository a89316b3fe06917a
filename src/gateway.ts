import crypto from 'node:crypto';
import fs from 'node:fs';
import Srf from 'drachtio-srf';
import type { Logger } from './common/logger.js';
import type { TandemConfig } from './config/schema.js';
import { HttpServer } from './web/http-server.js';
import { version } from './common/version.js';
import { webServingOptions } from './web/web-options.js';
import { SipStackCore } from './drachtio/sip-stack-core.js';
import { DrachtioServer } from './drachtio/drachtio-server.js';
import { TandemApp } from './app/app.js';
import { TransportFlowMonitor } from './app/signaling/transport-flow-monitor.js';
import type { AppSrf } from './app/signaling/srf-types.js';
import type { TrunkSrf } from './app/trunks/trunk-srf.js';
import { MediaEngine } from './media/engine/index.js';
import { opusBackends } from './media/codecs/opus.js';
import { SessionFactory } from './session/index.js';
import type { SessionSrf } from './session/index.js';

/** The parts of drachtio-srf's Srf the gateway drives (connect/disconnect and its events). */
interface SrfConnection {
  connect(opts: { host: string; port: number; secret: string }): void;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/**
 * The whole gateway, started in order and stopped in reverse:
 *   1. HTTP front (/healthz)
 *   2. SIP server: the embedded one (SIP stack + drachtio wire-protocol server), or none
 *      when `drachtio.mode` is `remote` (a real drachtio-server runs elsewhere)
 *   3. the drachtio-srf application (registrar, auth, routing), connected to that server
 * `start()` and `stop()` are idempotent.
 */
export class Gateway {
  readonly http: HttpServer;
  private sipCore: SipStackCore | null = null;
  private drachtio: DrachtioServer | null = null;
  private srf: SrfConnection | null = null;
  private app: TandemApp | null = null;
  private engine: MediaEngine | null = null;
  private sessions: SessionFactory | null = null;
  private srfConnected = false;
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(readonly config: TandemConfig, readonly logger: Logger) {
    const web = webServingOptions(config, { version });
    this.http = new HttpServer({ host: config.http.host, port: config.http.port, logger, version, ...(web ? { web } : {}) });
  }

  /** The embedded drachtio listener's port (after start), for tests and tools. */
  get drachtioPort(): number | null {
    return this.drachtio ? this.drachtio.address().port : null;
  }

  /** The media engine (after start). */
  get media(): MediaEngine | null {
    return this.engine;
  }

  /** The call session factory (after start). */
  get calls(): SessionFactory | null {
    return this.sessions;
  }

  /** The embedded SIP core (null in remote mode). */
  get sip(): SipStackCore | null {
    return this.sipCore;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    const cfg = this.config;
    const addr = await this.http.listen();
    this.logger.info({ host: addr.address, port: addr.port }, `HTTP listening on http://${addr.address}:${addr.port} (GET /healthz)`);
    const https = this.http.httpsAddress();
    if (https) this.logger.info({ host: https.address, port: https.port }, `HTTPS listening on https://${https.address}:${https.port}/ (demo page)`);
    this.http.addHealthCheck('gateway', () => ({ ok: this.state === 'running' }));

    let drachtioHost = cfg.drachtio.host;
    let drachtioPort = cfg.drachtio.port;
    let secret = cfg.drachtio.secret;
    if (cfg.drachtio.mode === 'embedded') {
      if (secret === '') secret = crypto.randomBytes(18).toString('base64url');
      const tls = cfg.sip.tlsCert && cfg.sip.tlsKey ? { cert: fs.readFileSync(cfg.sip.tlsCert), key: fs.readFileSync(cfg.sip.tlsKey) } : undefined;
      this.sipCore = SipStackCore.create({
        listen: [...cfg.sip.listen], logger: this.logger.child({ part: 'sip' }),
        parseLimits: { maxMessageSize: cfg.sip.maxMessageBytes }, ...(tls ? { tls } : {}), udpIo: cfg.sip.packetIo,
      });
      await this.sipCore.start();
      const tl = this.sipCore.stack.transport;
      if (tl.udpFallback !== null) this.logger.warn({ requested: cfg.sip.packetIo, reason: tl.udpFallback }, 'sip.packetIo: native UDP pump not used, falling back to node:dgram');
      if (tl.udpIo !== '') this.logger.info({ udpIo: tl.udpIo }, `SIP over UDP on ${tl.udpIo === 'native' ? 'the native UDP pump' : tl.udpIo}`);
      for (const l of this.sipCore.stack.listeningPoints()) {
        this.logger.info({ transport: l.transport, host: l.host, port: l.port }, `SIP listening on ${l.transport}:${l.host}:${l.port}`);
      }
      this.drachtio = new DrachtioServer({ host: drachtioHost, port: drachtioPort, secret, sipStack: this.sipCore, logger: this.logger.child({ part: 'drachtio' }) });
      await this.drachtio.start();
      drachtioPort = this.drachtio.address().port;
      this.logger.info({ host: drachtioHost, port: drachtioPort }, `embedded drachtio server listening on ${drachtioHost}:${drachtioPort}`);
      this.http.addHealthCheck('sip', () => ({ ok: this.sipCore !== null }));
    } else {
      this.logger.info({ host: drachtioHost, port: drachtioPort }, 'using a remote drachtio-server');
    }
    if (drachtioHost === '0.0.0.0') drachtioHost = '127.0.0.1';

    const srf = new Srf() as unknown as SrfConnection;
    this.srf = srf;
    const m = cfg.media;
    const sdpAddress = m.announcedAddress !== '' ? m.announcedAddress : (m.bindAddress === '0.0.0.0' ? '127.0.0.1' : m.bindAddress);
    this.engine = await MediaEngine.start({
      ...(m.workers > 0 ? { workers: m.workers } : {}),
      workerKind: m.workerKind,
      opusComplexity: m.opusComplexity,
      packetIo: m.packetIo,
      srtpImpl: m.srtpImpl,
      srtpProfiles: m.srtpProfiles,
      bindAddress: m.bindAddress,
      announcedAddresses: [sdpAddress],
      portMin: m.portMin,
      portMax: m.portMax,
      iceLite: m.iceLite,
      rtpTimeoutMs: m.rtpTimeoutSeconds * 1000,
      logger: this.logger.child({ part: 'media' }),
      onEvent: (callId, event) => this.sessions?.onMediaEvent(callId, event),
    });
    // What the media workers actually loaded (thread workers cannot use the native Opus addon).
    const wstats = await this.engine.workerStats();
    const workerOpus = [...new Set(wstats.map((w) => w.opusEncoder))].join(',');
    // Packet I/O the workers use: 'native' (batched UDP pump) unless its addon did not load there.
    const packetIo = [...new Set(wstats.map((w) => w.packetIo ?? 'node'))].join(',');
    const packetIoFallback = wstats.find((w) => w.packetIoFallback)?.packetIoFallback ?? null;
    if (packetIoFallback !== null) {
      this.logger.warn({ requested: m.packetIo, reason: packetIoFallback }, 'media.packetIo: native UDP pump not loaded, falling back to node:dgram');
    }
    const srtp = [...new Set(wstats.map((w) => w.srtpImpl ?? 'node'))].join(',');
    const srtpFallback = wstats.find((w) => w.srtpImplFallback)?.srtpImplFallback ?? null;
    if (srtpFallback !== null) {
      this.logger.warn({ requested: m.srtpImpl, reason: srtpFallback }, 'media.srtpImpl: native SRTP not loaded, falling back to node:crypto');
    }
    this.logger.info({
      workers: this.engine.workerCount, opus: { encoder: workerOpus, decoder: opusBackends().decoder }, packetIo, srtp, ports: `${m.portMin}-${m.portMax}`, address: sdpAddress,
    }, `media engine: ${this.engine.workerCount} ${this.engine.kind} worker(s), Opus encoder ${workerOpus}, packet I/O ${packetIo}, SRTP ${srtp}`);
    // Embedded mode: the SIP transport layer tells when a connection closes (bindings go, calls on
    // it end) and what a WebSocket upgrade carried (browser tokens). Remote mode has no such hook:
    // calls of a dropped browser end on RTP inactivity or calls.maxDurationSeconds.
    const flows = this.sipCore ? new TransportFlowMonitor(this.sipCore.stack.transport) : undefined;
    this.sessions = new SessionFactory({
      srf: srf as unknown as SessionSrf, media: this.engine, sdpAddress, domain: cfg.auth.realm,
      maxDurationMs: cfg.calls.maxDurationSeconds * 1000,
      sessionExpiresSeconds: cfg.calls.sessionExpiresSeconds,
      ...(flows ? { flows } : {}),
    });
    this.app = new TandemApp(cfg, {
      logger: this.logger.child({ part: 'app' }),
      sessions: this.sessions,
      ...(flows ? { flows, flowTokens: flows } : {}),
    });
    this.app.attach(srf as unknown as AppSrf);
    this.http.addHealthCheck('drachtio', () => ({ ok: this.srfConnected }));
    srf.on('error', (err) => {
      this.logger.warn({ err: (err as Error)?.message }, 'drachtio connection error (drachtio-srf reconnects by itself)');
    });
    srf.on('connect', (err, hostport) => {
      if (err) return;
      this.srfConnected = true;
      this.logger.info({ server: hostport }, 'application connected to the SIP server');
    });
    srf.on('disconnect', () => {
      this.srfConnected = false;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`could not connect to drachtio at ${drachtioHost}:${drachtioPort} within 10 s`)), 10_000);
      srf.once('connect', (err) => {
        clearTimeout(timer);
        if (err) reject(err as Error);
        else resolve();
      });
      srf.connect({ host: drachtioHost, port: drachtioPort, secret });
    });
    this.app.startTrunks(srf as unknown as TrunkSrf);
    this.http.addHealthCheck('trunks', () => {
      const h = this.app?.trunkHealth() ?? { ok: true, trunks: {} };
      return { ok: h.ok, detail: h.trunks };
    });
    this.state = 'running';
    this.logger.info({ http: `http://${addr.address}:${addr.port}/`, drachtio: cfg.drachtio.mode }, 'Tandem running');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    await this.sessions?.close();
    if (this.srf) {
      this.srf.removeAllListeners('connect');
      try {
        this.srf.disconnect();
      } catch {
        /* never connected */
      }
    }
    await this.app?.close();
    await this.engine?.close();
    await this.drachtio?.close();
    await this.sipCore?.close();
    await this.http.close();
    this.state = 'stopped';
    this.logger.info('stopped');
  }
}

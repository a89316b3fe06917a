/**
 * The parts of drachtio-srf's request/response/Srf objects the app uses, stated structurally so
 * handlers run on the real drachtio-srf objects and on small fakes in unit tests.
 * drachtio-srf's `Request` sets `source_address`, `source_port` and `protocol` from the meta line
 * of the drachtio wire message (`lib/request.js`, `set meta`).
 */
export interface AppRequest {
  readonly method: string;
  /** Request-URI. */
  readonly uri: string;
  readonly callId: string;
  /** Remote address and port the request came from, and its transport (`udp`, `tcp`, `tls`, `ws`, `wss`). */
  readonly source_address: string;
  readonly source_port: number | string;
  readonly protocol: string;
  readonly body?: string;
  /** Header value (comma-joined when the header occurs more than once), or undefined. */
  get(name: string): string | undefined;
  has(name: string): boolean;
}

/** Options of `res.send` used here. */
export interface SendOptions {
  headers?: Record<string, string>;
  body?: string;
}

export interface AppResponse {
  send(status: number, opts?: SendOptions): void;
  send(status: number, reason: string, opts?: SendOptions): void;
}

export type AppHandler = (req: AppRequest, res: AppResponse) => void;

/** drachtio-srf's method-route registration (`srf.register(fn)`, `srf.invite(fn)`). */
export interface AppSrf {
  register(handler: AppHandler): unknown;
  invite(handler: AppHandler): unknown;
}

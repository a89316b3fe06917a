import type Srf from 'drachtio-srf';

/** The parts of drachtio-srf's runtime API its bundled typings leave out (method routes, callbacks). */
export interface LooseReq {
  method: string;
  get(h: string): string | undefined;
  on(ev: string, fn: (...a: never[]) => void): void;
  cancel(cb: (err: unknown) => void): void;
  body: string;
}
export interface LooseRes {
  send(status: number, opts?: unknown, cb?: (err: unknown, msg?: unknown) => void): void;
}
type Handler = (req: LooseReq, res: LooseRes) => void;
export interface LooseApp {
  invite(h: Handler): void;
  register(h: Handler): void;
  options(h: Handler): void;
  info(h: Handler): void;
  createUAC(uri: string, opts: Record<string, unknown>, progress?: Record<string, unknown>): Promise<unknown>;
}
export function asApp(srf: Srf): LooseApp {
  return srf as unknown as LooseApp;
}

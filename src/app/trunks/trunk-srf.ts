/**
 * The slice of drachtio-srf's `Srf#request` the trunk services use (requests outside a dialog),
 * stated structurally so they run on the real drachtio-srf and on fakes.
 */

/** A response to a request sent with {@link TrunkSrf.request}. */
export interface TrunkResponse {
  readonly status: number;
  get(name: string): string | undefined;
}

/** The request drachtio-srf sent; emits `response` with the final (and provisional) responses. */
export interface TrunkSentRequest {
  on(event: 'response', listener: (res: TrunkResponse) => void): unknown;
}

/**
 * drachtio-srf `srf.request(uri, opts, callback)`; with `auth`, drachtio-srf answers 401/407
 * challenges itself. The callback form is used: it runs as the request is sent, so the
 * `response` listener is in place before a fast answer is dispatched (a promise would attach it
 * one microtask late, and a response in the same read from the server would be missed).
 */
export interface TrunkSrf {
  request(uri: string, opts: {
    method: string;
    headers?: Record<string, string>;
    auth?: { username: string; password: string };
  }, callback: (err: unknown, req: TrunkSentRequest) => void): unknown;
}

/** Timers, injected so tests can step time. */
export interface TrunkTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: TrunkTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Sends one request and resolves with its final response, or null on timeout / send failure. */
export async function requestFinal(
  srf: TrunkSrf, uri: string, opts: Parameters<TrunkSrf['request']>[1], timeoutMs: number, timers: TrunkTimers,
): Promise<TrunkResponse | null> {
  return new Promise<TrunkResponse | null>((resolve) => {
    let done = false;
    const finish = (r: TrunkResponse | null): void => {
      if (done) return;
      done = true;
      timers.clearTimeout(timer);
      resolve(r);
    };
    const timer = timers.setTimeout(() => finish(null), timeoutMs);
    try {
      srf.request(uri, opts, (err, sent) => {
        if (err) return finish(null);
        sent.on('response', (res) => {
          if (res.status >= 200) finish(res);
        });
      });
    } catch {
      finish(null);
    }
  });
}

/** `sip:host[:port][;transport=x]` for one trunk address. */
export function trunkUri(address: string, transport: string, user?: string): string {
  const tp = transport === 'udp' ? '' : `;transport=${transport}`;
  return `sip:${user ? `${user}@` : ''}${address}${tp}`;
}

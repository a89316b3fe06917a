import { expect } from 'chai';
import type { Trunk } from '../../../../src/app/trunks/trunk-directory.js';
import { TrunkMonitor } from '../../../../src/app/trunks/trunk-monitor.js';
import { TrunkRegistration } from '../../../../src/app/trunks/trunk-registration.js';
import type { TrunkResponse, TrunkSentRequest, TrunkSrf, TrunkTimers } from '../../../../src/app/trunks/trunk-srf.js';

/** Steppable clock: timers fire only when `advance` passes them. */
class FakeTimers implements TrunkTimers {
  t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown): void => {
    this.pending.delete(h as number);
  };
  get count(): number {
    return this.pending.size;
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

type Answer = { status: number; headers?: Record<string, string> } | 'silent';

/** A fake srf: `answer(uri, method)` decides each final response (or none). */
function fakeSrf(answer: (uri: string, method: string) => Answer): TrunkSrf & { sent: Array<{ uri: string; method: string; headers: Record<string, string>; auth?: unknown }> } {
  const sent: Array<{ uri: string; method: string; headers: Record<string, string>; auth?: unknown }> = [];
  return {
    sent,
    request: (uri, opts, callback) => {
      sent.push({ uri, method: opts.method, headers: opts.headers ?? {}, ...(opts.auth ? { auth: opts.auth } : {}) });
      const a = answer(uri, opts.method);
      const req: TrunkSentRequest = {
        on: (_e, listener) => {
          if (a !== 'silent') {
            const h = a.headers ?? {};
            const res: TrunkResponse = { status: a.status, get: (n) => h[n] };
            queueMicrotask(() => listener(res));
          }
          return req;
        },
      };
      callback(null, req);
      return undefined;
    },
  };
}

const trunk = (over: Partial<Trunk> = {}): Trunk => ({
  name: 'carrier', addresses: ['192.0.2.1:5060', '192.0.2.2:5060'], transport: 'udp', profile: 'trunk',
  register: { user: 'tandem', password: 'pw', expires: 600 }, optionsPingSeconds: 10,
  callerId: { assert: false, trust: false, defaultNumber: '' }, ...over,
} as Trunk);

describe('app/trunks: TrunkRegistration (RFC 3261 §10.2 outbound registration)', () => {
  it('sends REGISTER with auth credentials and Expires, refreshes at 85% of the granted expiry', async () => {
    const timers = new FakeTimers();
    const srf = fakeSrf(() => ({ status: 200, headers: { Contact: '<sip:tandem@198.51.100.1>;expires=100' } }));
    const r = new TrunkRegistration({ srf, trunk: trunk(), timers });
    r.start();
    await flush();
    expect(srf.sent).to.have.length(1);
    expect(srf.sent[0]!.method).to.equal('REGISTER');
    expect(srf.sent[0]!.uri).to.equal('sip:192.0.2.1:5060');
    expect(srf.sent[0]!.headers['Expires']).to.equal('600');
    expect(srf.sent[0]!.headers['To']).to.equal('<sip:tandem@192.0.2.1>');
    expect(srf.sent[0]!.auth).to.deep.equal({ username: 'tandem', password: 'pw' });
    expect(r.status.state).to.equal('registered');
    expect(r.status.expires).to.equal(100);
    await timers.advance(84_000);
    expect(srf.sent).to.have.length(1);
    await timers.advance(1_500);
    expect(srf.sent).to.have.length(2);
    expect(srf.sent[1]!.headers['Call-ID']).to.equal(srf.sent[0]!.headers['Call-ID']);
    r.close();
    expect(timers.count).to.equal(0);
  });

  it('a failure (403, or no answer) retries with exponential backoff; a success resets it', async () => {
    const timers = new FakeTimers();
    let mode: Answer = { status: 403 };
    const srf = fakeSrf(() => mode);
    const r = new TrunkRegistration({ srf, trunk: trunk(), timers, retryMs: 1000, maxRetryMs: 4000, timeoutMs: 500 });
    r.start();
    await flush();
    expect(r.status).to.include({ state: 'failed', lastStatus: 403 });
    mode = 'silent';
    await timers.advance(999);
    expect(srf.sent).to.have.length(1);
    await timers.advance(1); // t=1000: 1st retry after 1 s
    expect(srf.sent).to.have.length(2);
    await timers.advance(500); // t=1500: times out
    expect(r.status).to.include({ state: 'failed', lastStatus: null });
    await timers.advance(1999);
    expect(srf.sent).to.have.length(2);
    await timers.advance(1); // t=3500: 2nd retry after 2 s
    expect(srf.sent).to.have.length(3);
    await timers.advance(500 + 3999); // t=7999: 3rd retry capped at 4 s, not yet
    expect(srf.sent).to.have.length(3);
    mode = { status: 200, headers: { Expires: '60' } };
    await timers.advance(1);
    expect(srf.sent).to.have.length(4);
    expect(r.status).to.include({ state: 'registered', expires: 60, successes: 1 });
    r.close();
    r.close();
    expect(timers.count).to.equal(0);
  });
});

describe('app/trunks: TrunkMonitor (OPTIONS keep-alive, failover order)', () => {
  it('marks an address down after 2 failed pings, up after one success, and orders up addresses first', async () => {
    const timers = new FakeTimers();
    let firstAlive = false;
    const srf = fakeSrf((uri) => (uri.includes('192.0.2.1') ? (firstAlive ? { status: 200 } : 'silent') : { status: 404 }));
    const t = trunk();
    const m = new TrunkMonitor({ srf, trunks: [t], timers, pingTimeoutMs: 1000 });
    const started = m.start();
    await timers.advance(1000);
    await started;
    expect(srf.sent.every((s) => s.method === 'OPTIONS')).to.equal(true);
    expect(m.isUp('carrier', '192.0.2.1:5060'), 'one failure is not enough').to.equal(true);
    expect(m.order('carrier', t.addresses), 'but a failing address goes behind a healthy one').to.deep.equal(['192.0.2.2:5060', '192.0.2.1:5060']);
    await timers.advance(11_000);
    expect(m.isUp('carrier', '192.0.2.1:5060')).to.equal(false);
    expect(m.isUp('carrier', '192.0.2.2:5060'), 'any answer but 408/503 proves life').to.equal(true);
    firstAlive = true;
    await timers.advance(10_000);
    expect(m.isUp('carrier', '192.0.2.1:5060')).to.equal(true);
    expect(m.order('carrier', t.addresses)).to.deep.equal(t.addresses);
    m.close();
    await timers.advance(60_000);
    expect(timers.count).to.equal(0);
  });

  it('503 counts as a failure; trunks with optionsPingSeconds 0 are never pinged', async () => {
    const timers = new FakeTimers();
    const srf = fakeSrf((uri) => (uri.includes('192.0.2.1') ? { status: 503 } : { status: 200 }));
    const pinged = trunk();
    const quiet = trunk({ name: 'quiet', addresses: ['203.0.113.9'], optionsPingSeconds: 0 });
    const m = new TrunkMonitor({ srf, trunks: [pinged, quiet], timers, downAfter: 1 });
    await m.start();
    expect(m.isUp('carrier', '192.0.2.1:5060')).to.equal(false);
    expect(srf.sent.some((s) => s.uri.includes('203.0.113.9'))).to.equal(false);
    expect(m.isUp('quiet', '203.0.113.9')).to.equal(true);
    m.close();
  });
});

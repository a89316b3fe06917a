// The drachtio-srf application of bench/sip.ts: a plain B2BUA (srf.createB2BUA, SDP passed
// through, no media), run in its own process (main) or inside the gateway (--with-app).
//   node bench/sip/b2bua-app.js --drachtio-port N --secret S --target sip:svc@127.0.0.1:PORT
import { fileURLToPath } from 'node:url';
import Srf from 'drachtio-srf';
import { arg, send, startStallProbe } from './ipc.js';

export interface B2buaCounts { invites: number; connected: number; failed: number; ended: number; failures: Record<string, number> }
export interface B2buaApp { stop(): B2buaCounts }

interface Dlg { on(ev: 'destroy', fn: () => void): void; destroy(): Promise<unknown> }
interface LooseSrf {
  invite(fn: (req: unknown, res: unknown) => void): void;
  createB2BUA(req: unknown, res: unknown, uri: string, opts?: Record<string, unknown>): Promise<{ uas: Dlg; uac: Dlg }>;
  connect(o: { host: string; port: number; secret: string }): void;
  once(ev: 'connect', fn: (err: Error | null) => void): void;
  on(ev: 'error', fn: (err: Error) => void): void;
  disconnect(): void;
}

/** Connects a drachtio-srf B2BUA to Tandem's drachtio port; resolves once connected. */
export async function startB2bua(o: { drachtioPort: number; secret: string; target: string }): Promise<B2buaApp> {
  const srf = new Srf() as unknown as LooseSrf;
  const counts: B2buaCounts = { invites: 0, connected: 0, failed: 0, ended: 0, failures: {} };
  srf.on('error', () => undefined);
  srf.invite((req, res) => {
    counts.invites++;
    srf.createB2BUA(req, res, o.target).then(({ uas, uac }) => {
      counts.connected++;
      let done = false;
      const end = (other: Dlg): void => {
        if (done) return;
        done = true;
        counts.ended++;
        other.destroy().catch(() => undefined);
      };
      uas.on('destroy', () => end(uac));
      uac.on('destroy', () => end(uas));
    }, (err: { status?: number; message?: string }) => {
      counts.failed++;
      const k = String(err.status ?? err.message ?? 'error').slice(0, 60);
      counts.failures[k] = (counts.failures[k] ?? 0) + 1;
    });
  });
  await new Promise<void>((resolve, reject) => {
    srf.once('connect', (err) => (err ? reject(err) : resolve()));
    srf.connect({ host: '127.0.0.1', port: o.drachtioPort, secret: o.secret });
  });
  // let the route registrations reach the server before the first call
  await new Promise((r) => setTimeout(r, 200));
  return {
    stop: () => {
      try {
        srf.disconnect();
      } catch {
        // already disconnected (the gateway went first)
      }
      return counts;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await startB2bua({ drachtioPort: Number(arg('drachtio-port', '9022')), secret: arg('secret', 'bench'), target: arg('target', '') });
  const probe = await startStallProbe();
  send({ type: 'ready' });
  process.on('message', (m: { type?: string }) => {
    if (m.type !== 'stop') return;
    send({ type: 'stopped', app: app.stop(), stalls: probe.stalls() });
    process.exit(0);
  });
}

// Child process of bench/sip.ts: Tandem's SIP side alone (SipStackCore + DrachtioServer),
// optionally with the drachtio-srf B2BUA app in the same process (--with-app).
//   node bench/sip/gateway.js --sip-port N --secret S [--with-app sip:svc@127.0.0.1:PORT]
// Sends {type:'ready', sipPort, drachtioPort} over IPC; on {type:'stop'} closes and exits
// (a normal exit, so `--cpu-prof` writes its profile).
import { silentLogger } from '../../src/common/logger.js';
import { DrachtioServer } from '../../src/drachtio/drachtio-server.js';
import { SipStackCore } from '../../src/drachtio/sip-stack-core.js';
import { startB2bua, type B2buaApp } from './b2bua-app.js';
import { arg, send, startStallProbe } from './ipc.js';

async function main(): Promise<void> {
  const sipPort = Number(arg('sip-port', '0'));
  const secret = arg('secret', 'bench');
  const withApp = arg('with-app', '');
  const udpIo = arg('sip-io', 'native') === 'node' ? 'node' : 'native';
  const core = SipStackCore.create({ listen: [`udp:127.0.0.1:${sipPort}`], logger: silentLogger(), udpIo });
  await core.start();
  const server = new DrachtioServer({ port: 0, host: '127.0.0.1', secret, sipStack: core, logger: silentLogger() });
  await server.start();
  const drachtioPort = server.address().port;
  let app: B2buaApp | undefined;
  if (withApp !== '') app = await startB2bua({ drachtioPort, secret, target: withApp });
  const realSipPort = core.listeningPoints()[0].port;
  const probe = await startStallProbe();
  send({ type: 'ready', sipPort: realSipPort, drachtioPort, udpIo: core.stack.transport.udpIo });
  process.on('message', (m: { type?: string }) => {
    if (m.type !== 'stop') return;
    void (async () => {
      const counts = app?.stop();
      const stats = core.stack.stats();
      await server.close();
      await core.close();
      send({ type: 'stopped', app: counts, stalls: probe.stalls(), maxHeapUsed: probe.maxHeapUsed(), stack: { dialogs: stats.dialogs, pending2xx: stats.pending2xx, transactions: stats.transactions, udp: stats.transports.udp } });
      process.exit(0);
    })();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed: ${String(err)}\n`);
  process.exit(1);
});

/**
 * `tandem sip-server`: runs only the embedded SIP stack and the drachtio wire-protocol
 * listener, so drachtio-srf apps can run against Tandem without the C++ drachtio-server.
 *
 *   tandem sip-server --listen udp:127.0.0.1:5060 [--listen tcp:… tls:… ws:… wss:…]
 *                     --drachtio-port 9022 --secret S [--drachtio-host 127.0.0.1]
 *                     [--tls-key key.pem --tls-cert cert.pem] [--log-level info]
 *
 * Runs until SIGINT/SIGTERM, then closes everything and resolves 0. Usage errors resolve 2.
 */
import { readFileSync } from 'node:fs';
import { createLogger } from '../common/logger.js';
import { DrachtioServer } from '../drachtio/drachtio-server.js';
import { SipStackCore } from '../drachtio/sip-stack-core.js';

const USAGE = `usage: tandem sip-server --listen udp:127.0.0.1:5060 [--listen tcp:HOST:PORT ...]
       --drachtio-port 9022 --secret SECRET [--drachtio-host 127.0.0.1]
       [--tls-key key.pem --tls-cert cert.pem] [--log-level info] [--packet-io native|node]
`;

interface Args {
  listen: string[];
  drachtioPort: number;
  drachtioHost: string;
  secret: string;
  tlsKey?: string;
  tlsCert?: string;
  logLevel: string;
  packetIo: 'native' | 'node';
}

function parseArgs(argv: string[]): Args | string {
  const out: Partial<Args> & { listen: string[] } = { listen: [], drachtioHost: '127.0.0.1', logLevel: 'info', packetIo: 'native' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const need = (): string | undefined => (v === undefined || v.startsWith('--') ? undefined : v);
    switch (a) {
      case '--listen':
        if (!need()) return '--listen needs a value like udp:127.0.0.1:5060';
        out.listen.push(v);
        i++;
        break;
      case '--drachtio-port': {
        const n = Number(need());
        if (!Number.isInteger(n) || n < 0 || n > 65535) return '--drachtio-port needs a port number';
        out.drachtioPort = n;
        i++;
        break;
      }
      case '--drachtio-host':
        if (!need()) return '--drachtio-host needs an address';
        out.drachtioHost = v;
        i++;
        break;
      case '--secret':
        if (!need()) return '--secret needs a value';
        out.secret = v;
        i++;
        break;
      case '--tls-key':
        if (!need()) return '--tls-key needs a file';
        out.tlsKey = v;
        i++;
        break;
      case '--tls-cert':
        if (!need()) return '--tls-cert needs a file';
        out.tlsCert = v;
        i++;
        break;
      case '--log-level':
        if (!need()) return '--log-level needs a level';
        out.logLevel = v;
        i++;
        break;
      case '--packet-io':
        if (v !== 'native' && v !== 'node') return '--packet-io is native or node';
        out.packetIo = v;
        i++;
        break;
      case '--help':
      case '-h':
        return '';
      default:
        return `unknown option ${a}`;
    }
  }
  if (out.listen.length === 0) return 'at least one --listen is required';
  if (out.drachtioPort === undefined) return '--drachtio-port is required';
  if (!out.secret) return '--secret is required';
  if ((out.tlsKey === undefined) !== (out.tlsCert === undefined)) return '--tls-key and --tls-cert go together';
  return out as Args;
}

/** Entry point of `tandem sip-server`; resolves with the process exit code. */
export async function runSipServerCli(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(args ? `tandem sip-server: ${args}\n${USAGE}` : USAGE);
    return args ? 2 : 0;
  }
  const log = createLogger({ level: args.logLevel, pretty: false });
  const tls = args.tlsKey && args.tlsCert
    ? { key: readFileSync(args.tlsKey), cert: readFileSync(args.tlsCert) }
    : undefined;
  const core = SipStackCore.create({ listen: args.listen, logger: log.child({ mod: 'sip' }), tls, udpIo: args.packetIo });
  const server = new DrachtioServer({
    host: args.drachtioHost, port: args.drachtioPort, secret: args.secret, sipStack: core, logger: log.child({ mod: 'drachtio' }),
  });
  try {
    await core.start();
    await server.start();
  } catch (err) {
    process.stderr.write(`tandem sip-server: ${(err as Error).message}\n`);
    await server.close();
    await core.close();
    return 1;
  }
  const lps = core.listeningPoints().map((lp) => `${lp.transport}:${lp.host}:${lp.port}`).join(' ');
  const d = server.address();
  const udpIo = core.stack.transport.udpIo;
  const fallback = core.stack.transport.udpFallback;
  process.stdout.write(`tandem sip-server: SIP on ${lps}; drachtio on ${d.host}:${d.port}${udpIo ? `; UDP I/O ${udpIo}` : ''}${fallback ? ` (native not used: ${fallback})` : ''}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await core.close();
  return 0;
}

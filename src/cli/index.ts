/**
 * `tandem <command>`: the operator CLI.
 *   start [--config FILE]          run the gateway (same as npm start)
 *   sdp --from X --to Y [...]      print the SDP Tandem would send for a given input
 *   sip-server --listen ... ...    run only the embedded SIP server (drachtio protocol)
 *   config --docs | --check FILE   print the configuration reference, or validate a file
 */
import { loadConfig, configReference, ConfigError } from '../config/load-config.js';

const USAGE = `usage: tandem <command> [options]
  start [--config FILE]                         run the gateway
  sdp --from webrtc|sip --to sip|webrtc [--profile avp|sdes|sdes-optional] < in.sdp
  sip-server --listen udp:127.0.0.1:5060 [--listen ...] --drachtio-port 9022 --secret S
  config --docs | --check FILE
`;

export async function runCli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case 'start': {
      process.argv = [process.argv[0], process.argv[1], ...rest];
      await import('../main.js');
      return 0;
    }
    case 'sdp': {
      const { runSdpCli } = await import('./sdp.js');
      return runSdpCli(rest, process.stdin, process.stdout, process.stderr);
    }
    case 'sip-server': {
      const { runSipServerCli } = await import('./sip-server.js');
      return runSipServerCli(rest);
    }
    case 'config': {
      if (rest[0] === '--docs') {
        process.stdout.write(configReference() + '\n');
        return 0;
      }
      if (rest[0] === '--check' && rest[1]) {
        try {
          loadConfig({ file: rest[1], env: process.env });
          process.stdout.write(`${rest[1]}: ok\n`);
          return 0;
        } catch (err) {
          if (err instanceof ConfigError) {
            process.stderr.write(`tandem: ${err.message}\n`);
            return 2;
          }
          throw err;
        }
      }
      process.stderr.write(USAGE);
      return 2;
    }
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`tandem: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

/**
 * Entry point: config → logger → gateway (HTTP, SIP server, app, media) → graceful shutdown.
 * `npm start` runs this on the embedded defaults; `--config FILE` or TANDEM_CONFIG
 * points at an operator file, TANDEM_<SECTION>_<KEY> variables override single keys.
 */
import { loadConfig, ConfigError } from './config/load-config.js';
import { createLogger } from './common/logger.js';
import { Gateway } from './gateway.js';
import { version } from './common/version.js';

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(name + '='));
  return eq?.slice(name.length + 1);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let config;
  try {
    config = loadConfig({ file: argValue(argv, '--config'), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tandem: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.log);
  logger.info({ version, node: process.version, drachtio: config.drachtio.mode }, 'Tandem starting');
  const gateway = new Gateway(config, logger);
  try {
    await gateway.start();
  } catch (err) {
    logger.fatal({ err }, 'startup failed');
    await gateway.stop();
    return 1;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      logger.info({ signal: sig }, 'shutting down');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await gateway.stop();
  return 0;
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`tandem: fatal: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});

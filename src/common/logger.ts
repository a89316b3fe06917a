import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import { redactValue, scrubSecrets, SECRET_KEYS } from './redact.js';

/** pino redact paths: secret keys at the top level and one level down (also covers child bindings). */
const REDACT_PATHS = [...SECRET_KEYS].flatMap((k) => {
  const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : `["${k}"]`;
  const sep = key.startsWith('[') ? '' : '.';
  return [key, `*${sep}${key}`];
});

export type { Logger } from 'pino';

export interface LoggerConfig {
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  level: string;
  /** Pretty output for humans (development); JSON lines otherwise. */
  pretty: boolean;
}

/**
 * Creates the root logger. Every string argument and every object field is
 * scrubbed of SDES keys, ice-pwd and passwords before it is written.
 * Per-call loggers are `root.child({ callId, leg })`.
 */
export function createLogger(cfg: LoggerConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: cfg.level,
    base: { name: 'tandem' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: {
      logMethod(args, method) {
        const clean = args.map((a: unknown) => (typeof a === 'string' ? scrubSecrets(a) : redactValue(a)));
        return method.apply(this, clean as Parameters<typeof method>);
      },
    },
    formatters: {
      bindings(bindings) {
        return redactValue(bindings) as Record<string, unknown>;
      },
    },
  };
  if (destination) return pino(options, destination);
  if (cfg.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: false } } });
  }
  return pino(options);
}

/** A logger that writes nothing; for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../common/errors.js';
import { schema, isGroup, type FieldSpec, type GroupSpec, type TandemConfig } from './schema.js';

/** A configuration problem. `data.key` names the offending key, `data.source` where it came from. */
export class ConfigError extends ValidationError {
  constructor(key: string, problem: string, source: string) {
    super('ERR_CONFIG', `config: ${key}: ${problem} (from ${source})`, { data: { key, source } });
  }
}

/** The documented default file shipped in config/. */
export const defaultConfigFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'config', 'tandem.yaml');

export interface LoadOptions {
  /** An operator's config file (from --config or TANDEM_CONFIG); applied over config/tandem.yaml. */
  file?: string;
  /** Environment; TANDEM_<GROUP>_<KEY> overrides, e.g. TANDEM_HTTP_PORT=8081, TANDEM_SIP_LISTEN=udp:0.0.0.0:5060. */
  env?: NodeJS.ProcessEnv;
  /** Load config/tandem.yaml first (default true). */
  useDefaultFile?: boolean;
  /** Extra overrides applied last (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

type Tree = Record<string, unknown>;

function defaults(group: GroupSpec): Tree {
  const out: Tree = {};
  for (const [k, s] of Object.entries(group.fields)) {
    out[k] = isGroup(s) ? defaults(s) : Array.isArray(s.default) ? [...s.default] : s.default;
  }
  return out;
}

function readFileTree(file: string): Tree {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${file}: ${(err as Error).message}`, file);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError('(file)', `not valid YAML: ${(err as Error).message.split('\n')[0]}`, file);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('(file)', 'the top level must be a mapping of sections', file);
  return doc as Tree;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return `${typeof v} ${String(v)}`;
}

function coerceField(key: string, spec: FieldSpec, raw: unknown, source: string, fromEnv: boolean): unknown {
  const fail = (problem: string): never => {
    throw new ConfigError(key, problem, source);
  };
  switch (spec.kind) {
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (fromEnv && typeof raw === 'string' && /^(true|false|1|0)$/i.test(raw)) return /^(true|1)$/i.test(raw);
      return fail(`must be true or false, got ${describe(raw)}`);
    }
    case 'int': {
      let n: unknown = raw;
      if (fromEnv && typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) n = Number(raw.trim());
      if (typeof n !== 'number' || !Number.isInteger(n)) return fail(`must be a whole number, got ${describe(raw)}`);
      if (n < spec.min || n > spec.max) return fail(`must be between ${spec.min} and ${spec.max}, got ${n}`);
      return n;
    }
    case 'enum': {
      if (typeof raw !== 'string' || !spec.values.includes(raw)) return fail(`must be one of ${spec.values.join(', ')}, got ${describe(raw)}`);
      return raw;
    }
    case 'string': {
      if (typeof raw !== 'string') return fail(`must be a string, got ${describe(raw)}`);
      if (raw === '' && spec.allowEmpty) return raw;
      if (raw === '') return fail('must not be empty');
      if (spec.pattern && !spec.pattern.test(raw)) return fail(`must be ${spec.patternDoc ?? spec.pattern.source}, got ${describe(raw)}`);
      return raw;
    }
    case 'list': {
      let arr: unknown = raw;
      if (fromEnv && typeof raw === 'string') arr = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (!Array.isArray(arr)) return fail(`must be a list, got ${describe(raw)}`);
      arr.forEach((item, i) => {
        if (typeof item !== 'string') fail(`item ${i} must be a string, got ${describe(item)}`);
        if (spec.pattern && !spec.pattern.test(item as string)) fail(`item ${i} must be ${spec.patternDoc ?? spec.pattern.source}, got ${describe(item)}`);
      });
      if (spec.minItems !== undefined && arr.length < spec.minItems) fail(`needs at least ${spec.minItems} item(s)`);
      return [...(arr as string[])];
    }
  }
}

function applyTree(target: Tree, group: GroupSpec, input: Tree, prefix: string, source: string): void {
  for (const [k, v] of Object.entries(input)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const spec = group.fields[k];
    if (!spec) {
      const known = Object.keys(group.fields).join(', ');
      throw new ConfigError(key, `unknown key (known keys here: ${known})`, source);
    }
    if (isGroup(spec)) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(key, `must be a section (mapping), got ${describe(v)}`, source);
      applyTree(target[k] as Tree, spec, v as Tree, key, source);
    } else {
      target[k] = coerceField(key, spec, v, source, false);
    }
  }
}

/** Maps TANDEM_HTTP_PORT → http.port, TANDEM_MEDIA_PORT_MIN or TANDEM_MEDIA_PORTMIN → media.portMin. */
function applyEnv(target: Tree, env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('TANDEM_') || name === 'TANDEM_CONFIG' || value === undefined) continue;
    const rest = name.slice('TANDEM_'.length).toLowerCase();
    let matched = false;
    for (const [g, gs] of Object.entries(schema.fields)) {
      if (!isGroup(gs) || !rest.startsWith(g + '_')) continue;
      const fieldPart = rest.slice(g.length + 1).replace(/_/g, '');
      for (const [f, fs_] of Object.entries(gs.fields)) {
        if (isGroup(fs_) || f.toLowerCase() !== fieldPart) continue;
        (target[g] as Tree)[f] = coerceField(`${g}.${f}`, fs_, value, `environment ${name}`, true);
        matched = true;
      }
    }
    if (!matched) throw new ConfigError(name, 'unknown environment override (form: TANDEM_<SECTION>_<KEY>, e.g. TANDEM_HTTP_PORT)', `environment ${name}`);
  }
}

function crossCheck(c: TandemConfig, source: string): void {
  if (c.media.portMin >= c.media.portMax) throw new ConfigError('media.portMin', `must be below media.portMax (${c.media.portMin} >= ${c.media.portMax})`, source);
  if (c.media.portMax - c.media.portMin < 3) throw new ConfigError('media.portMax', 'the media port range must hold at least two RTP/RTCP pairs', source);
  if (c.drachtio.mode === 'remote' && c.drachtio.secret === '') throw new ConfigError('drachtio.secret', 'is required when drachtio.mode is "remote"', source);
  const needsTls = c.sip.listen.some((l) => l.startsWith('tls:') || l.startsWith('wss:'));
  if (needsTls) {
    for (const key of ['tlsCert', 'tlsKey'] as const) {
      const file = c.sip[key];
      if (file === '') throw new ConfigError(`sip.${key}`, 'is required by the tls:/wss: listeners in sip.listen', source);
      if (!fs.existsSync(file)) throw new ConfigError(`sip.${key}`, `file not found: ${file}`, source);
    }
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Loads and validates the configuration: schema defaults, then config/tandem.yaml,
 * then the operator's file, then TANDEM_* environment variables, then overrides.
 * Throws ConfigError naming the key and the problem.
 */
export function loadConfig(opts: LoadOptions = {}): TandemConfig {
  const tree = defaults(schema);
  const sources: string[] = ['defaults'];
  if (opts.useDefaultFile !== false && fs.existsSync(defaultConfigFile)) {
    applyTree(tree, schema, readFileTree(defaultConfigFile), '', defaultConfigFile);
    sources.push(defaultConfigFile);
  }
  const env = opts.env ?? {};
  const file = opts.file ?? env.TANDEM_CONFIG;
  if (file) {
    applyTree(tree, schema, readFileTree(file), '', file);
    sources.push(file);
  }
  applyEnv(tree, env);
  if (opts.overrides) applyTree(tree, schema, opts.overrides, '', 'overrides');
  const cfg = tree as unknown as TandemConfig;
  crossCheck(cfg, sources[sources.length - 1]);
  return deepFreeze(cfg);
}

/** Markdown reference generated from the schema (docs/configuration.md). */
export function configReference(): string {
  const lines: string[] = [];
  const walk = (g: GroupSpec, prefix: string): void => {
    for (const [k, s] of Object.entries(g.fields)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (isGroup(s)) {
        lines.push('', `## \`${key}\``, '', s.doc, '', '| key | type | default | env | meaning |', '|---|---|---|---|---|');
        walk(s, key);
      } else {
        const type = s.kind === 'enum' ? s.values.join(' \\| ') : s.kind === 'int' ? `int ${s.min}–${s.max}` : s.kind === 'list' ? 'list' : s.kind;
        const def = Array.isArray(s.default) ? s.default.join(', ') : String(s.default);
        const env = `TANDEM_${key.replace('.', '_').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
        lines.push(`| \`${key}\` | ${type} | \`${def === '' ? '""' : def}\` | \`${env}\` | ${s.doc} |`);
      }
    }
  };
  walk(schema, '');
  return lines.join('\n');
}

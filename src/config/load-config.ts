import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../common/errors.js';
import { schema, isGroup, BUILTIN_PROFILE_NAMES, type FieldSpec, type GroupSpec, type RecordFieldSpec, type RecordsSpec, type TandemConfig } from './schema.js';

/** A configuration problem. `data.key` names the offending key, `data.source` where it came from. */
export class ConfigError extends ValidationError {
  constructor(key: string, problem: string, source: string) {
    super('ERR_CONFIG', `config: ${key}: ${problem} (from ${source})`, { data: { key, source } });
  }
}

/** The documented default file shipped in config/. */
export const defaultConfigFile = findDefaultConfigFile(path.dirname(fileURLToPath(import.meta.url)));

/** Walks up from the compiled file (dist/src/config or .build/NAME/src/config) to the folder holding package.json. */
function findDefaultConfigFile(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'config', 'tandem.yaml');
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..', '..', 'config', 'tandem.yaml');
  }
}

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
    out[k] = isGroup(s) ? defaults(s) : s.kind === 'records' ? structuredClone(s.default) : Array.isArray(s.default) ? [...s.default] : s.default;
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
      // secret values never appear in messages (they end up in logs)
      const shown = (v: unknown): string => (spec.secret ? '(secret, not shown)' : describe(v));
      if (typeof raw !== 'string') return fail(`must be a string, got ${shown(raw)}`);
      if (raw === '' && spec.allowEmpty) return raw;
      if (raw === '') return fail('must not be empty');
      if (spec.pattern && !spec.pattern.test(raw)) return fail(`must be ${spec.patternDoc ?? spec.pattern.source}, got ${shown(raw)}`);
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
      if (spec.uniqueItems) {
        (arr as string[]).forEach((item, i) => {
          const first = (arr as string[]).indexOf(item);
          if (first !== i) fail(`item ${i} duplicates item ${first} (${describe(item)})`);
        });
      }
      return [...(arr as string[])];
    }
    case 'records': {
      if (fromEnv) return fail('is a list of records: set it in a config file, not the environment');
      return coerceRecords(key, spec, raw, source);
    }
  }
}

function coerceObject(key: string, fields: Record<string, RecordFieldSpec>, raw: unknown, source: string): Tree {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(key, `must be a mapping, got ${describe(raw)}`, source);
  const input = raw as Tree;
  for (const k of Object.keys(input)) {
    if (!(k in fields)) throw new ConfigError(`${key}.${k}`, `unknown key (known keys here: ${Object.keys(fields).join(', ')})`, source);
  }
  const out: Tree = {};
  for (const [k, f] of Object.entries(fields)) {
    const fk = `${key}.${k}`;
    const v = input[k];
    if (v === undefined || v === null) {
      if (f.required) throw new ConfigError(fk, 'is required', source);
      if (f.kind === 'object') out[k] = f.nullable ? null : coerceObject(fk, f.fields, {}, source);
      else out[k] = Array.isArray(f.default) ? [...f.default] : f.default;
      continue;
    }
    out[k] = f.kind === 'object' ? coerceObject(fk, f.fields, v, source) : coerceField(fk, f, v, source, false);
  }
  return out;
}

/** Validates a list of records field by field; errors name the item, e.g. `users[2].password`. */
function coerceRecords(key: string, spec: RecordsSpec, raw: unknown, source: string): Tree[] {
  if (!Array.isArray(raw)) throw new ConfigError(key, `must be a list of mappings, got ${describe(raw)}`, source);
  const out = raw.map((item, i) => coerceObject(`${key}[${i}]`, spec.item, item, source));
  if (spec.unique) {
    const seen = new Map<unknown, number>();
    out.forEach((r, i) => {
      const v = r[spec.unique!];
      const prev = seen.get(v);
      if (prev !== undefined) throw new ConfigError(`${key}[${i}].${spec.unique}`, `duplicates ${key}[${prev}] (${describe(v)})`, source);
      seen.set(v, i);
    });
  }
  return out;
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
    const top = schema.fields[rest.split('_')[0]];
    if (!matched && top && !isGroup(top) && top.kind === 'records') {
      throw new ConfigError(name, 'is a list of records: set it in a config file, not the environment', `environment ${name}`);
    }
    if (!matched) throw new ConfigError(name, 'unknown environment override (form: TANDEM_<SECTION>_<KEY>, e.g. TANDEM_HTTP_PORT)', `environment ${name}`);
  }
}

function crossCheck(c: TandemConfig, source: string): void {
  crossCheckApp(c, source);
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

/** Cross-references of the app sections (users, profiles, trunks, dial plan). */
function crossCheckApp(c: TandemConfig, source: string): void {
  const profiles = new Set([...BUILTIN_PROFILE_NAMES, ...c.profiles.map((p) => p.name)]);
  c.users.forEach((u, i) => {
    if ((u.password === '') === (u.ha1 === '')) throw new ConfigError(`users[${i}].password`, 'give exactly one of password or ha1', source);
    if (u.ha1 !== '' && u.ha1.length !== (c.auth.digestAlgorithm === 'MD5' ? 32 : 64)) {
      throw new ConfigError(`users[${i}].ha1`, `must be a ${c.auth.digestAlgorithm} hash (auth.digestAlgorithm)`, source);
    }
    if (u.profile !== '' && !profiles.has(u.profile)) throw new ConfigError(`users[${i}].profile`, `unknown profile "${u.profile}" (known: ${[...profiles].join(', ')})`, source);
  });
  c.profiles.forEach((p, i) => {
    for (const codec of p.codecs.prefer) {
      if (!p.codecs.allow.some((a) => a.toLowerCase() === codec.toLowerCase())) throw new ConfigError(`profiles[${i}].codecs.prefer`, `"${codec}" is not in codecs.allow`, source);
    }
  });
  c.trunks.forEach((t, i) => {
    if (!profiles.has(t.profile)) throw new ConfigError(`trunks[${i}].profile`, `unknown profile "${t.profile}" (known: ${[...profiles].join(', ')})`, source);
  });
  const trunkNames = new Set(c.trunks.map((t) => t.name));
  const userNames = new Set(c.users.map((u) => u.name));
  const groupNames = new Set(c.groups.map((g) => g.name));
  c.groups.forEach((g, i) => {
    const unknown = g.members.find((m) => !userNames.has(m));
    if (unknown !== undefined) throw new ConfigError(`groups[${i}].members`, `unknown user "${unknown}"`, source);
  });
  c.dialplan.rules.forEach((r, i) => {
    try {
      new RegExp(`^(?:${r.match})$`);
    } catch (err) {
      throw new ConfigError(`dialplan.rules[${i}].match`, `not a valid regular expression: ${(err as Error).message}`, source);
    }
    const [kind, name] = [r.to.slice(0, r.to.indexOf(':')), r.to.slice(r.to.indexOf(':') + 1)];
    if (name.includes('$user')) return;
    if (kind === 'trunk' && !trunkNames.has(name)) throw new ConfigError(`dialplan.rules[${i}].to`, `unknown trunk "${name}"`, source);
    if (kind === 'group' && !groupNames.has(name)) throw new ConfigError(`dialplan.rules[${i}].to`, `unknown group "${name}"`, source);
    if (kind === 'user' && !userNames.has(name)) throw new ConfigError(`dialplan.rules[${i}].to`, `unknown user "${name}"`, source);
    if (kind === 'endpoint' && !c.users.some((u) => u.name === name && u.contact !== '')) {
      throw new ConfigError(`dialplan.rules[${i}].to`, `"${name}" is not a user with a static contact`, source);
    }
  });
  if (c.registrar.minExpires > c.registrar.maxExpires) throw new ConfigError('registrar.minExpires', 'must not exceed registrar.maxExpires', source);
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
  const typeOf = (s: FieldSpec | RecordFieldSpec): string => {
    switch (s.kind) {
      case 'enum': return s.values.join(' \\| ');
      case 'int': return `int ${s.min}–${s.max}`;
      case 'records': return 'list of records';
      case 'object': return 'mapping';
      default: return s.kind;
    }
  };
  const defOf = (s: FieldSpec | RecordFieldSpec): string => {
    if (s.kind === 'object') return s.nullable ? '(absent)' : '(see below)';
    if (s.kind === 'records') return s.default.length === 0 ? '[]' : `${s.default.length} rule(s), see config/tandem.yaml`;
    if (Array.isArray(s.default) && s.default.length === 0) return '[]';
    const def = Array.isArray(s.default) ? s.default.join(', ') : String(s.default);
    return def === '' ? '""' : def;
  };
  const itemTable = (key: string, fields: Record<string, RecordFieldSpec>): void => {
    const nested: Array<[string, Record<string, RecordFieldSpec>]> = [];
    lines.push('', `Fields of each \`${key}\` entry:`, '', '| field | type | default | meaning |', '|---|---|---|---|');
    for (const [f, fs_] of Object.entries(fields)) {
      const def = fs_.required ? '(required)' : `\`${defOf(fs_)}\``;
      lines.push(`| \`${f}\` | ${typeOf(fs_)} | ${def} | ${fs_.doc}${'secret' in fs_ && fs_.secret ? ' Secret: never logged.' : ''} |`);
      if (fs_.kind === 'object') nested.push([`${key}.${f}`, fs_.fields]);
    }
    for (const [k, f] of nested) itemTable(k, f);
  };
  const walk = (g: GroupSpec, prefix: string): void => {
    const records: Array<[string, RecordsSpec]> = [];
    for (const [k, s] of Object.entries(g.fields)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (isGroup(s)) {
        lines.push('', `## \`${key}\``, '', s.doc, '', '| key | type | default | env | meaning |', '|---|---|---|---|---|');
        walk(s, key);
      } else if (s.kind === 'records' && prefix === '') {
        lines.push('', `## \`${key}\``, '', `${s.doc} A list of records (config file only, no environment form).`);
        itemTable(`${key}[]`, s.item);
      } else {
        const env = s.kind === 'records' ? '(file only)' : `\`TANDEM_${key.replace('.', '_').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}\``;
        lines.push(`| \`${key}\` | ${typeOf(s)} | \`${defOf(s)}\` | ${env} | ${s.doc} |`);
        if (s.kind === 'records') records.push([key, s]);
      }
    }
    for (const [key, s] of records) itemTable(`${key}[]`, s.item);
  };
  walk(schema, '');
  return lines.join('\n');
}

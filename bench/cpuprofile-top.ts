// Summarise a V8 .cpuprofile: top functions by self time (and by file), and the
// heaviest call paths by inclusive ("total") time, as JSON.
//   node bench/cpuprofile-top.js FILE.cpuprofile [N] [--window FROM_S:TO_S] [--busy]
// --window keeps only samples between FROM_S and TO_S seconds after the profile
// started (e.g. the bench's send phase, leaving out DTLS setup and teardown);
// --busy reports percentages of non-idle time ((idle) and (program) idle loops excluded).
import fs from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const file = process.argv[2];
const n = Number(process.argv[3] && !process.argv[3].startsWith('--') ? process.argv[3] : '25');
const wi = process.argv.indexOf('--window');
const [fromS, toS] = wi > 0 ? process.argv[wi + 1].split(':').map(Number) : [0, Infinity];
const busy = process.argv.includes('--busy');
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const parent = new Map<number, number>();
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const self = new Map<number, number>();
let t = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const d = prof.timeDeltas[i] ?? 0;
  t += d;
  if (t / 1e6 < fromS || t / 1e6 > toS) continue;
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + d);
}
const name = (id: number): string => {
  const cf = byId.get(id)!.callFrame;
  const short = cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\/(\.build\/[^/]+\/)?/, '');
  return `${cf.functionName || '(anonymous)'} ${short}:${cf.lineNumber + 1}`;
};
const isIdle = (id: number): boolean => { const f = byId.get(id)!.callFrame.functionName; return f === '(idle)'; };
let total = 0;
for (const [id, us] of self) if (!busy || !isIdle(id)) total += us;
const fn = new Map<string, number>();
const files = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, us] of self) {
  if (busy && isIdle(id)) continue;
  const key = name(id);
  fn.set(key, (fn.get(key) ?? 0) + us);
  const cf = byId.get(id)!.callFrame;
  const short = cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\/(\.build\/[^/]+\/)?/, '');
  const f = short === '' ? `(${cf.functionName})` : short;
  files.set(f, (files.get(f) ?? 0) + us);
  // Inclusive: every distinct function on the stack gets the sample once.
  const seen = new Set<string>();
  for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
    const k = name(p);
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + us);
  }
}
const top = (m: Map<string, number>, k = n): Array<{ name: string; pct: number }> => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k)
  .map(([nm, us]) => ({ name: nm, pct: Number((100 * us / total).toFixed(2)) }));
console.log(JSON.stringify({
  file, window: wi > 0 ? [fromS, toS] : null, basis: busy ? 'busy (non-idle) time' : 'all samples', totalMs: Math.round(total / 1000),
  topFunctions: top(fn), topFiles: top(files), topInclusive: top(incl, n * 2),
}, null, 1));

// Summarise a V8 .cpuprofile: top functions by self time (and by file), as JSON.
//   node bench/cpuprofile-top.js FILE.cpuprofile [N]
import fs from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const file = process.argv[2];
const n = Number(process.argv[3] ?? '25');
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const self = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of self) {
  const cf = byId.get(id)!.callFrame;
  const short = cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '');
  const key = `${cf.functionName || '(anonymous)'} ${short}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const f = short === '' ? `(${cf.functionName})` : short.replace(/:\d+$/, '');
  files.set(f, (files.get(f) ?? 0) + us);
}
const top = (m: Map<string, number>): Array<{ name: string; pct: number }> => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  .map(([name, us]) => ({ name, pct: Number((100 * us / total).toFixed(2)) }));
console.log(JSON.stringify({ file, totalMs: Math.round(total / 1000), topFunctions: top(fn), topFiles: top(files) }, null, 1));

#!/usr/bin/env node
// Builds the demo softphone page into dist/web/ (or --outdir DIR): bundles
// src/web/client/main.ts with JsSIP into app.js (esbuild, ES2022, minified,
// with a source map) and copies src/web/public/* beside it. Nothing is fetched
// at runtime: the page only loads files from its own origin.
//   node scripts/build-web.mjs [--outdir DIR] [--dev]
// Exported as buildWeb({ outdir, dev }) for tests and the main build.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the page; resolves with { outdir, files, ms }. */
export async function buildWeb({ outdir = path.join(root, 'dist', 'web'), dev = false } = {}) {
  const started = Date.now();
  const out = path.resolve(outdir);
  fs.mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: [path.join(root, 'src', 'web', 'client', 'main.ts')],
    outfile: path.join(out, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: !dev,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'silent',
    metafile: false,
    tsconfig: path.join(root, 'src', 'web', 'client', 'tsconfig.json'),
    // JsSIP's `debug` dependency reads process.env in Node; the browser has none.
    define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"', 'process.env.DEBUG': 'undefined' },
  });
  for (const w of result.warnings) process.stderr.write(`build-web: warning: ${w.text}\n`);
  const pub = path.join(root, 'src', 'web', 'public');
  for (const name of fs.readdirSync(pub)) {
    const src = path.join(pub, name);
    if (fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(out, name));
  }
  return { outdir: out, files: fs.readdirSync(out).sort(), ms: Date.now() - started };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--outdir');
  const outdir = i >= 0 ? args[i + 1] : undefined;
  try {
    const r = await buildWeb({ outdir, dev: args.includes('--dev') });
    process.stdout.write(`build-web: ${r.files.join(', ')} -> ${path.relative(process.cwd(), r.outdir) || '.'} in ${r.ms} ms\n`);
  } catch (err) {
    process.stderr.write(`build-web: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

/**
 * `npm run build`: bundles the agent with esbuild into dist/agent/relais-agent.cjs (one file,
 * CommonJS, Node 20), plus whatever cannot be bundled copied beside it (native addons and wasm
 * files are located at run time next to the bundle: see ../shared/notes/libraries.md §8).
 * Beside it: `compress-worker.cjs` (the compression worker thread, a second entry) and the codec
 * wasm files (`ASSETS`); the agent finds them in its own folder. sharp (native) is not bundled:
 * the bundled agent runs without previews. Ship the whole dist/agent folder.
 * Contract: exits non-zero on any bundling error; prints the bundle's size and inputs count.
 */
import { build } from 'esbuild';
import { mkdirSync, rmSync, copyFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { WASM_FILES } from '../lib/codec/frame-codecs.ts';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'agent');
const outfile = join(outDir, 'relais-agent.cjs');

/** npm packages left out of the bundle (shipped in dist/agent/node_modules when added). */
const EXTERNALS: string[] = [];
/** Files copied beside the bundle: [path from the repository root, target name]. The codec wasm
 * files, found by the compression worker through its `wasmDir` (the bundle's folder). */
const ASSETS: Array<[string, string]> = WASM_FILES.map((f) => [f, basename(f)]);
/** The compression worker thread: a second entry, beside the agent (main.ts finds it there). */
const WORKER_ENTRY = join(root, 'agent', 'compress', 'worker.ts');
const workerOutfile = join(outDir, 'compress-worker.cjs');

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
/** What the agent and its compression worker are both built with. */
const NODE_BUNDLE = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: EXTERNALS, minify: true, keepNames: true } as const;
const result = await build({
  ...NODE_BUNDLE,
  entryPoints: [join(root, 'agent', 'standalone.ts')],
  outfile,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  banner: { js: '#!/usr/bin/env node' },
});
await build({
  entryPoints: [WORKER_ENTRY],
  ...NODE_BUNDLE,
  outfile: workerOutfile,
  legalComments: 'none',
  logLevel: 'error',
});
for (const [path, name] of ASSETS) copyFileSync(join(root, path), join(outDir, name));
writeFileSync(join(outDir, 'meta.json'), JSON.stringify(result.metafile));
const inputs = Object.keys(result.metafile.inputs).length;
process.stdout.write(`${JSON.stringify({ bundle: outfile, bytes: statSync(outfile).size, inputs, warnings: result.warnings.length })}\n`);

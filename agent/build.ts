/**
 * `npm run build`: bundles the agent with esbuild into dist/agent/relais-agent.cjs (one file,
 * CommonJS, Node 20), plus whatever cannot be bundled copied beside it (native addons and wasm
 * files are located at run time next to the bundle: see ../shared/notes/libraries.md §8).
 * Today the agent has no native or wasm dependency at run time (no codec is initialised);
 * `EXTERNALS` and `ASSETS` are where the compression stage adds them.
 * Contract: exits non-zero on any bundling error; prints the bundle's size and inputs count.
 */
import { build } from 'esbuild';
import { mkdirSync, rmSync, copyFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'agent');
const outfile = join(outDir, 'relais-agent.cjs');

/** npm packages left out of the bundle (shipped in dist/agent/node_modules when added). */
const EXTERNALS: string[] = [];
/** Files copied beside the bundle: [package-relative path resolvable by require, target name]. */
const ASSETS: Array<[string, string]> = [];

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const result = await build({
  entryPoints: [join(root, 'agent', 'standalone.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: EXTERNALS,
  minify: true,
  keepNames: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  banner: { js: '#!/usr/bin/env node' },
});
const require = createRequire(import.meta.url);
for (const [request, name] of ASSETS) copyFileSync(require.resolve(request), join(outDir, name));
writeFileSync(join(outDir, 'meta.json'), JSON.stringify(result.metafile));
const inputs = Object.keys(result.metafile.inputs).length;
process.stdout.write(`${JSON.stringify({ bundle: outfile, bytes: statSync(outfile).size, inputs, warnings: result.warnings.length })}\n`);

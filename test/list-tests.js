#!/usr/bin/env node
// Prints the test files of the given kinds, space separated, for `node --test`.
//   unit        *.test.ts beside the code (agent hub protocol provisioning simulators lib bin)
//   integration test/integration/**/*.test.ts (loopback, no root, no system packages)
//   system      test/system/**/*.test.ts (root, network namespaces, DCMTK, Chromium, PostgreSQL)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const kinds = process.argv.slice(2);
const files = [];
if (kinds.includes('unit')) {
  for (const d of ['agent', 'hub', 'protocol', 'provisioning', 'simulators', 'lib', 'bin']) {
    try { files.push(...walk(join(root, d))); } catch { /* folder may not exist yet */ }
  }
}
for (const k of ['integration', 'system']) {
  if (kinds.includes(k)) {
    try { files.push(...walk(join(root, 'test', k))); } catch { /* none yet */ }
  }
}
process.stdout.write(files.map((f) => f.slice(root.length)).sort().join(' '));

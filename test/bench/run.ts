/**
 * `npm run bench -- <name> [args]`: runs test/bench/<name>.ts, which prints one JSON object per
 * line (at least `bench`), measured side by side with its anchor in the same run.
 * Without a name, lists the benchmarks.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const names = readdirSync(dir)
  .filter((f) => /^[a-z0-9-]+\.ts$/.test(f) && f !== 'run.ts')
  .map((f) => f.replace(/\.ts$/, ''));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${names.join('|') || 'none yet'}> [args]\n`);
  process.exit(name ? 2 : 0);
}
const mod = (await import(`./${name}.ts`)) as { main(args: string[]): Promise<void> };
await mod.main(args);

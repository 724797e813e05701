/**
 * Entry point of the bundled agent (`npm run build` → dist/agent/relais-agent.cjs): the
 * `relais agent` command alone, runnable with plain `node` on a box without the repository.
 */
import { agentCommand } from './cli.ts';

// In a bundle every dependency counts as user code, so Node prints their deprecation warnings
// (e.g. DEP0005 from dcmjs-dimse's buffer helpers) into the operator's log: keep it readable.
process.noDeprecation = true;

agentCommand()
  .name('relais-agent')
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`relais-agent: ${(err as Error).message}\n`);
    process.exit(1);
  });

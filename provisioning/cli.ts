/** `relais provision`: register agents, users and (later) sites, tokens and tunnel peers. */
import { Command } from 'commander';

export function provisionCommand(): Command {
  const cmd = new Command('provision').description('Register agents and users of a hub (run on the hub machine)');
  cmd
    .command('agent')
    .description('Register an agent; the last line of stdout is its credential')
    .requiredOption('--data <dir>', 'hub data directory')
    .requiredOption('--name <name>', 'agent name (site / scanner), e.g. "CH Marie-Galante CT"')
    .action(async (opts) => {
      const { provisionAgent } = await import('./commands.ts');
      await provisionAgent(opts);
    });
  cmd
    .command('user')
    .description('Register a user; the last line of stdout is an API bearer token for that user')
    .requiredOption('--data <dir>', 'hub data directory')
    .requiredOption('--name <name>', 'user name (login)')
    .option('--role <role>', 'operator | radiologist | clinician | admin', 'operator')
    .option('--display-name <text>', 'name shown in the pages')
    .action(async (opts) => {
      const { provisionUser } = await import('./commands.ts');
      await provisionUser(opts);
    });
  return cmd;
}

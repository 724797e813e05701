/** `relais provision`: register agents and users (with their dispatch links) and, later, sites, tokens and tunnel peers. */
import { Command } from 'commander';

export function provisionCommand(): Command {
  const cmd = new Command('provision').description('Register agents and users of a hub (run on the hub machine)');
  cmd
    .command('agent')
    .description('Register an agent (same name again: new credential, old one revoked); the last line of stdout is its credential')
    .requiredOption('--data <dir>', 'hub data directory')
    .requiredOption('--name <name>', 'agent name (site / scanner), e.g. "CH Marie-Galante CT"')
    .option('--site <id>', "the site it sends for, as in the hub's rota (default: the agent's id)")
    .option('--lang <fr|en>', 'language of the messages', 'fr')
    .action(async (opts) => {
      const { provisionAgent } = await import('./commands.ts');
      await provisionAgent(opts);
    });
  cmd
    .command('user')
    .description('Register a user (same name again: new token, old one revoked); the last line of stdout is an API bearer token for that user')
    .requiredOption('--data <dir>', 'hub data directory')
    .requiredOption('--name <name>', 'user name (login)')
    .option('--role <role>', 'operator | radiologist | clinician | admin', 'operator')
    .option('--display-name <text>', 'name shown in the pages')
    .option('--radiologist-id <id>', 'role radiologist: their radiologist id in the rota (worklist, taking cases in charge)')
    .option('--site <id>', 'role clinician: a site whose cases they follow (repeat for several)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--lang <fr|en>', 'language of the messages', 'fr')
    .action(async (opts) => {
      const { provisionUser } = await import('./commands.ts');
      await provisionUser(opts);
    });
  cmd
    .command('revoke')
    .description('Revoke an agent credential or a user token at once (by id)')
    .requiredOption('--data <dir>', 'hub data directory')
    .option('--agent <id>', 'agent id')
    .option('--user <id>', 'user id')
    .option('--lang <fr|en>', 'language of the messages', 'fr')
    .action(async (opts) => {
      const { provisionRevoke } = await import('./commands.ts');
      await provisionRevoke(opts);
    });
  return cmd;
}

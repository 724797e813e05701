/** `relais provision`: register agents and users (with their dispatch links); sites, enrolment tokens and reading workstations (tunnel peers). */
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
  addEnrolmentCommands(cmd);
  return cmd;
}

const DATA = ['--data <dir>', 'hub data directory'] as const;
const LANG = ['--lang <fr|en>', 'language of the messages', 'fr'] as const;
const JSON_OUT = ['--json', 'print JSON instead of text'] as const;

/** site create|list|show|revoke|rotate, token issue|list|revoke, workstation add|list|revoke. */
function addEnrolmentCommands(cmd: Command): void {
  const load = () => import('./enrolment/commands.ts');
  const site = cmd.command('site').description('Sites (one CT room box each): create, list, show, revoke, rotate its tunnel key');
  site
    .command('create')
    .description('Create a site and give it tunnel addresses from the hub pool')
    .requiredOption(...DATA)
    .requiredOption('--name <name>', 'site name, e.g. "CH Marie-Galante — scanner"')
    .option('--id <id>', 'site id (lower case, digits, dashes; default: from the name)')
    .option('--finess <n>', 'FINESS number of the establishment (9 characters)')
    .option('--siret <n>', 'SIRET number (14 digits)')
    .option('--contact-name <text>', 'on-site contact')
    .option('--contact-phone <text>', "contact's phone")
    .option('--contact-email <text>', "contact's e-mail")
    .option('--zone <iana>', 'time zone of the site', 'Europe/Paris')
    .option('--default-urgency <u>', 'urgency of studies no rule matches: emergency | scheduled | deferred', 'scheduled')
    .option(...LANG)
    .option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).siteCreate(opts)));
  site.command('list').description('List sites and their state').requiredOption(...DATA).option(...LANG).option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).siteList(opts)));
  site.command('show').description('Show a site (addresses, key, tokens; never a secret)').requiredOption(...DATA).requiredOption('--site <id>', 'site id').option(...LANG).option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).siteShow(opts)));
  site.command('revoke').description('Revoke a site: its WireGuard peer and credentials stop working within 5 s').requiredOption(...DATA).requiredOption('--site <id>', 'site id').option(...LANG).option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).siteRevoke(opts)));
  site.command('rotate').description("Ask the site's agent for a new tunnel key (done at its next heartbeat; its queue is kept)").requiredOption(...DATA).requiredOption('--site <id>', 'site id').option(...LANG).option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).siteRotate(opts)));

  const token = cmd.command('token').description('One-time enrolment tokens: issue, list, revoke');
  token
    .command('issue')
    .description('Issue a one-time enrolment token for a site; the last line of stdout is the token')
    .requiredOption(...DATA)
    .requiredOption('--site <id>', 'site id')
    .option('--ttl-hours <n>', 'lifetime (at most 168)', '24')
    .option(...LANG)
    .option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).tokenIssue(opts)));
  token.command('list').description('List tokens (never their secrets)').requiredOption(...DATA).option('--site <id>', 'only this site').option(...LANG).option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).tokenList(opts)));
  token.command('revoke').description('Revoke an unused token').requiredOption(...DATA).requiredOption('--token <id>', 'token id (from token list)').option(...LANG).option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).tokenRevoke(opts)));

  const ws = cmd.command('workstation').description("Radiologists' home workstations as tunnel peers (reading services only)");
  ws
    .command('add')
    .description("Add a workstation; prints its wg-quick configuration (with a private key only if you gave no --public-key)")
    .requiredOption(...DATA)
    .requiredOption('--name <name>', 'e.g. "Dr Martin — home"')
    .option('--id <id>', 'workstation id (default: from the name)')
    .option('--user <id>', 'the radiologist user who reads from it')
    .option('--public-key <key>', 'the workstation\'s own public key (`wg genkey | wg pubkey` on it): its private key then never exists here')
    .option(...LANG)
    .option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).workstationAdd(opts)));
  ws.command('list').description('List workstations').requiredOption(...DATA).option(...LANG).option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).workstationList(opts)));
  ws.command('revoke').description('Revoke a workstation (peer removed within 5 s)').requiredOption(...DATA).requiredOption('--workstation <id>', 'workstation id').option(...LANG).option(...JSON_OUT)
    .action(async (opts) => void (await (await load()).workstationRevoke(opts)));
}

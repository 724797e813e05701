/** `relais sim`: simulators (peers for load and faults, never proofs of compatibility). */
import { Command } from 'commander';

export function simCommand(): Command {
  const cmd = new Command('sim').description('Simulators: modality, bad links, radiologist, site PACS, test bed');
  cmd
    .command('modality')
    .description('Send a study over DICOM C-STORE (the shared CT by default, or N slices with fresh UIDs)')
    .option('--host <host>', 'agent host', '127.0.0.1')
    .requiredOption('--port <n>', 'agent DICOM port')
    .option('--called-ae <ae>', 'called AE title', 'RELAIS')
    .option('--calling-ae <ae>', 'calling AE title', 'MODALITY')
    .option('--study <dir>', 'folder of DICOM files to send (default: the shared CT)')
    .option('--slices <n>', 'make a study of N slices from the source slices, with fresh UIDs')
    .option('--associations <n>', 'parallel associations', '1')
    .option('--quiet', 'print only failures and the JSON summary')
    .action(async (opts) => {
      const { runModalityFromCli } = await import('./modality/cli-run.ts');
      await runModalityFromCli(opts);
    });
  cmd
    .command('sms-gateway')
    .description('HTTP SMS gateway simulator: records the SMS the hub sends (POST /messages, GET /messages)')
    .option('--port <n>', 'HTTP port (0 = any free port)', '8025')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .requiredOption('--token-file <file>', 'file holding the bearer token the hub must present')
    .option('--record <file>', 'also append each message as a JSON line to this file')
    .action(async (opts) => {
      const { runSmsGatewayFromCli } = await import('./sms-gateway/cli-run.ts');
      await runSmsGatewayFromCli(opts);
    });
  cmd
    .command('radiologist')
    .description('Simulated radiologist: connects to the hub (HTTP + socket.io) and takes assigned cases in charge')
    .requiredOption('--hub <url>', 'hub base URL, e.g. http://127.0.0.1:8080')
    .requiredOption('--token-file <file>', "file holding the radiologist's bearer token")
    .option('--ack <when>', "'immediately', 'never', or a delay in milliseconds", 'immediately')
    .action(async (opts) => {
      const { runRadiologistFromCli } = await import('./radiologist/cli-run.ts');
      await runRadiologistFromCli(opts);
    });
  cmd
    .command('link')
    .description('UDP relay imposing a link profile (rate, queue, delay, jitter, loss, outages) between WireGuard endpoints')
    .option('--listen <host:port>', 'where sites send (their WireGuard endpoint)', '0.0.0.0:51900')
    .option('--forward <host:port>', "the hub's WireGuard", '127.0.0.1:51820')
    .option('--profile <name>', 'named profile: lan, rural-4g, rural-4g-bursty, island-vsat, flapping', 'lan')
    .option('--profile-file <json>', 'a full profile spec (see simulators/link/README.md)')
    .option('--seed <n>', 'seed of the random streams (default: random, printed)')
    .option('--control <path|host:port>', 'control endpoint (HTTP): a Unix socket path or a loopback host:port')
    .option('--log-level <level>', 'pino level for stderr logs', 'info')
    .action(async (opts) => {
      const { runLinkFromCli } = await import('./link/main.ts');
      await runLinkFromCli(opts);
    });
  cmd.addCommand(testbedCommand());
  return cmd;
}

function testbedCommand(): Command {
  const tb = new Command('testbed').description('Network test bed: hub and site namespaces, wireguard-go tunnel through the link relay (root)');
  const stateRoot = ['--state-root <dir>', 'where test bed state lives', '/run/relais-testbed'] as const;
  tb.command('up')
    .description('Start a test bed and print it as JSON')
    .requiredOption('--name <name>', '1–9 characters [a-z0-9]; prefixes namespaces and interfaces')
    .option('--profile <name>', 'link profile', 'lan')
    .option('--seed <n>', 'seed of the relay')
    .option('--sites <n>', 'number of site namespaces', '1')
    .option('--cc <algorithm>', 'default TCP congestion control in the namespaces: reno, cubic, bbr')
    .option(...stateRoot)
    .action(async (opts) => (await import('./testbed/cli-run.ts')).testbedUp(opts));
  tb.command('down')
    .description('Stop a test bed and remove everything it made')
    .requiredOption('--name <name>', 'test bed name')
    .option(...stateRoot)
    .action(async (opts) => (await import('./testbed/cli-run.ts')).testbedDown(opts));
  tb.command('exec')
    .description('Run a command in the site or hub namespace: exec --name X --side site -- cmd args')
    .requiredOption('--name <name>', 'test bed name')
    .option('--side <side>', 'hub, site (site 0) or site<N>', 'site')
    .option(...stateRoot)
    .argument('<command...>', 'program and arguments')
    .action(async (command: string[], opts) => (await import('./testbed/cli-run.ts')).testbedExec(opts, command));
  tb.command('stats')
    .description('Relay counters and WireGuard peer state, as JSON')
    .requiredOption('--name <name>', 'test bed name')
    .option(...stateRoot)
    .action(async (opts) => (await import('./testbed/cli-run.ts')).testbedStats(opts));
  tb.command('cut')
    .description('Cut the link now (for --seconds, or until --restore)')
    .requiredOption('--name <name>', 'test bed name')
    .option('--seconds <s>', 'duration of the cut')
    .option('--restore', 'end a forced cut now')
    .option(...stateRoot)
    .action(async (opts) => (await import('./testbed/cli-run.ts')).testbedCut(opts));
  tb.command('profile')
    .description('Switch the link profile live')
    .requiredOption('--name <name>', 'test bed name')
    .requiredOption('--profile <name>', 'link profile')
    .option(...stateRoot)
    .action(async (opts) => (await import('./testbed/cli-run.ts')).testbedProfile(opts));
  return tb;
}

/**
 * The `relais` command: one entry point, one subcommand per program.
 * Each subcommand's definition module imports only commander; its action loads the program.
 */
import { Command } from 'commander';
import { hubCommand } from '../hub/cli.ts';
import { agentCommand } from '../agent/cli.ts';
import { provisionCommand } from '../provisioning/cli.ts';
import { simCommand } from '../simulators/cli.ts';
import { demoCommand } from '../simulators/demo/cli.ts';

const program = new Command('relais')
  .description('Relais — teleradiology network: edge agent, regional hub, provisioning, simulators')
  .version('0.1.0')
  .showHelpAfterError()
  .enablePositionalOptions() // `relais agent enrol --data …`: flags after a subcommand are its own
  .addCommand(hubCommand())
  .addCommand(agentCommand())
  .addCommand(provisionCommand())
  .addCommand(simCommand())
  .addCommand(demoCommand());

await program.parseAsync(process.argv);

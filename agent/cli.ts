/** `relais agent`: flags of the edge agent. Loads agent/main.ts only when run. */
import { Command } from 'commander';

export function agentCommand(): Command {
  return new Command('agent')
    .description('Run the edge agent: DICOM C-STORE SCP, durable spool, upload to the hub')
    .requiredOption('--data <dir>', 'data directory (spool, state, keys)')
    .option('--hub <url>', 'hub base URL, e.g. http://10.77.0.1:8080')
    .option('--credential <c>', 'agent credential issued by `relais provision agent` (or RELAIS_CREDENTIAL)')
    .option('--dicom-port <n>', 'DICOM port of the C-STORE SCP', '11112')
    .option('--ae-title <ae>', 'AE title of the C-STORE SCP', 'RELAIS')
    .option('--quiet-seconds <n>', 'a study is complete after this many seconds without a new instance', '30')
    .option('--max-associations <n>', 'concurrent DICOM associations accepted (more are rejected)', '8')
    .option('--max-instance-mb <n>', 'largest instance accepted, in MiB', '2048')
    .option('--log-level <level>', 'pino log level (fatal..trace); never changes behaviour', 'info')
    .action(async (opts) => {
      const { runAgentFromCli } = await import('./main.ts');
      await runAgentFromCli(opts);
    });
}

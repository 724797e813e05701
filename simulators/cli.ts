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
  return cmd;
}

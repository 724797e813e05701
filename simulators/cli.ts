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
  return cmd;
}

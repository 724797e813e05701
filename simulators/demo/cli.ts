/** `relais demo`: hub + agent + modality simulator on this machine, a real study end to end. */
import { Command } from 'commander';

export function demoCommand(): Command {
  return new Command('demo')
    .description('Start a hub, an agent and the modality simulator here and send a study end to end')
    .option('--once', 'exit when the study is at the hub: 0 if every instance is identical, 1 otherwise')
    .option('--study <dir>', 'folder of DICOM files to send (default: the shared CT)')
    .option('--data <dir>', 'working directory (default: a fresh temporary directory)')
    .option('--port <n>', 'hub HTTP port', '8080')
    .option('--dicom-port <n>', 'agent DICOM port', '11112')
    .option('--lang <fr|en>', 'language of the pages', 'fr')
    .option('--timeout <seconds>', 'with --once: give up after this many seconds', '600')
    .action(async (opts) => {
      const { runDemo } = await import('./run.ts');
      process.exitCode = await runDemo(opts);
    });
}

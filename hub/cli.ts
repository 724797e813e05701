/** `relais hub`: flags of the hub program. Loads hub/server.ts only when run. */
import { Command } from 'commander';

export function hubCommand(): Command {
  return new Command('hub')
    .description('Run a regional hub: upload API, catalog, DICOMweb, operator web page')
    .requiredOption('--data <dir>', 'data directory (catalog, instances, credentials)')
    .option('--port <n>', 'HTTP port (0 = any free port)', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--log-level <level>', 'pino log level (fatal..trace); never changes behaviour', 'info')
    .option('--lang <fr|en>', 'default language of the web pages', 'fr')
    .action(async (opts) => {
      const { runHubFromCli } = await import('./server.ts');
      await runHubFromCli(opts);
    });
}

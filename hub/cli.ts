/** `relais hub`: flags of the hub program. Loads hub/server.ts only when run. */
import { Command } from 'commander';

export function hubCommand(): Command {
  return new Command('hub')
    .description('Run a regional hub: upload API, catalog, DICOMweb, operator web page')
    .requiredOption('--data <dir>', 'data directory (catalog, instances, credentials)')
    .option('--port <n>', 'HTTP port (0 = any free port); the listening URL is printed on stdout', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--log-level <level>', 'pino log level (fatal..trace); never changes behaviour', 'info')
    .option('--lang <fr|en>', 'default language of the web pages', 'fr')
    .option('--max-instance-mb <n>', 'largest instance accepted, in MiB', '2048')
    .option('--stale-seconds <n>', 'an agent without heartbeat for this long shows as stale', '150')
    .option('--offline-seconds <n>', 'an agent without heartbeat for this long shows as offline', '600')
    .action(async (opts) => {
      const { runHubFromCli } = await import('./server.ts');
      await runHubFromCli(opts);
    });
}

/** `relais hub`: flags of the hub program. Loads hub/server.ts only when run. */
import { Command } from 'commander';

export function hubCommand(): Command {
  return new Command('hub')
    .description('Run a regional hub: upload API, catalog, dispatch (rota, alerts), DICOMweb, web pages')
    .requiredOption('--data <dir>', 'data directory (catalog, instances, credentials)')
    .option('--port <n>', 'HTTP port (0 = any free port); the listening URL is printed on stdout', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--log-level <level>', 'pino log level (fatal..trace); never changes behaviour', 'info')
    .option('--lang <fr|en>', 'default language of the web pages', 'fr')
    .option('--max-instance-mb <n>', 'largest instance accepted, in MiB', '2048')
    .option('--stale-seconds <n>', 'an agent without heartbeat for this long shows as stale', '150')
    .option('--offline-seconds <n>', 'an agent without heartbeat for this long shows as offline', '600')
    .option('--config <file>', 'JSON config file (alert channels, secrets; mode 0600 when it holds secrets): see hub/README.md')
    .option('--zone <iana>', "operators' time zone for alert times (default Europe/Paris)")
    .option('--sms-url <url>', 'HTTP SMS gateway to send alerts through (token: RELAIS_SMS_TOKEN or the config file)')
    .option('--sms-sender <name>', 'sender name of the SMS (default RELAIS)')
    .option('--smtp-url <url>', 'SMTP server for e-mail alerts, without credentials (those: RELAIS_SMTP_URL or the config file)')
    .option('--mail-from <address>', 'sender of the e-mail alerts, e.g. "Relais <relais@hub.example>"')
    .action(async (opts) => {
      const { runHubFromCli } = await import('./server.ts');
      await runHubFromCli(opts);
    });
}

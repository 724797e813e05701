/** `relais hub`: flags of the hub program. Loads hub/server.ts only when run. */
import { Command } from 'commander';

export function hubCommand(): Command {
  return new Command('hub')
    .description('Run a regional hub: upload API, catalog, dispatch (rota, alerts), DICOMweb, web pages')
    .requiredOption('--data <dir>', 'data directory (catalog, instances, credentials)')
    .option('--port <n>', 'HTTP port (0 = any free port); the listening URL is printed on stdout', '8080')
    .option('--host <addr>', 'address to listen on (default 127.0.0.1; with --wg-interface: the hub\'s tunnel address)')
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
    .option('--wg-interface <name>', 'run the WireGuard tunnel on this interface (created if absent; off by default)')
    .option('--wg-public-host <host>', 'with --wg-interface: the name or address sites dial (WireGuard and enrolment)')
    .option('--wg-listen-port <n>', 'WireGuard UDP port', '51820')
    .option('--wg-ipv4 <cidr|off>', 'IPv4 network of the tunnel address pool (host 1 is the hub)', '10.77.0.0/24')
    .option('--wg-ipv6 <prefix|auto|off>', 'ULA IPv6 prefix of the pool (auto: made once, then kept)', 'auto')
    .option('--wg-endpoint <host:port>', 'endpoint written in tokens, when sites dial another address than --wg-public-host:port (NAT)')
    .option('--wg-mtu <n>', 'tunnel MTU', '1420')
    .option('--wg-implementation <kind>', 'auto (kernel, else wireguard-go) | kernel | userspace', 'auto')
    .option('--no-wg-firewall', 'do not apply the nftables rules on the tunnel interface (peers could reach every port)')
    .option('--wg-sync-ms <n>', 'how often the hub applies registry changes (new, revoked, rotated peers) to the interface', '1000')
    .option('--enrol-port <n>', 'HTTPS port of the enrolment listener (self-signed, pinned in tokens)', '8443')
    .option('--enrol-host <addr>', 'address the enrolment listener binds to', '0.0.0.0')
    .option('--dicomweb-cors-origin <origins>', 'origins (comma-separated, e.g. https://ohif.example.org, or *) allowed to read DICOMweb cross-origin with a bearer token')
    .action(async (opts) => {
      const { runHubFromCli } = await import('./server.ts');
      await runHubFromCli(opts);
    });
}

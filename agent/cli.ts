/**
 * `relais agent`: flags of the edge agent, and `relais agent enrol`. Loads agent/main.ts (or
 * agent/tunnel/enrol.ts) only when run. Options are positional (`enablePositionalOptions`): the
 * flags after `enrol` are enrol's, so both can take `--data`.
 */
import { Command } from 'commander';

export function agentCommand(): Command {
  const cmd = new Command('agent')
    .description('Run the edge agent: DICOM C-STORE SCP, durable spool, upload to the hub (through its WireGuard tunnel once enrolled)')
    .enablePositionalOptions()
    .option('--data <dir>', 'data directory (spool, state, keys) — required')
    .option('--hub <url>', 'hub base URL, e.g. http://10.77.0.1:8080 (or RELAIS_HUB_URL); without it studies stay spooled')
    .option('--credential <c>', 'agent credential issued by `relais provision agent` (or RELAIS_CREDENTIAL)')
    .option('--credential-file <path>', 'read the agent credential from this file (mode 0600) instead')
    .option('--agent-id <id>', 'agent id shown to the hub (or RELAIS_AGENT_ID; default: from the host name)')
    .option('--dicom-port <n>', 'DICOM port of the C-STORE SCP (0 = any free port)', '11112')
    .option('--bind <addr>', 'address the DICOM port listens on (default: all)')
    .option('--ae-title <ae>', 'AE title of the C-STORE SCP', 'RELAIS')
    .option('--accept-any-called-ae', 'accept associations whatever called AE title the modality uses')
    .option('--allowed-calling-ae <list>', 'comma-separated calling AE titles allowed to send (default: any)')
    .option('--quiet-seconds <n>', 'a study is complete after this many seconds without a new instance', '30')
    .option('--max-associations <n>', 'concurrent DICOM associations accepted (more are rejected)', '8')
    .option('--max-instance-mb <n>', 'largest instance accepted, in MiB', '2048')
    .option('--idle-seconds <n>', 'close a DICOM connection idle for this long', '60')
    .option('--min-free-mb <n>', 'refuse new instances (A700) when the spool disk has less free space', '256')
    .option('--default-urgency <u>', 'urgency of studies no rule matches: emergency | scheduled | deferred', 'scheduled')
    .option('--urgency-rules <file>', 'JSON list of rules [{"urgency", "callingAeTitle"?, "modality"?, "studyDescription"? (regex)}]')
    .option('--upload-concurrency <n>', 'parallel upload streams (instances at once)', '4')
    .option('--upload-transport <tus|put>', 'tus: resumable chunks (default); put: whole instances (hubs before issue 3)', 'tus')
    .option('--upload-chunk-mb <n>', 'tus chunk size in MiB (a resume re-sends at most one chunk per stream)', '8')
    .option('--link-mbps <n>', 'link capacity in Mbit/s, for --budget')
    .option('--budget <rules>', 'share of the link for scheduled and deferred work by local hour, e.g. 08-20=50 (emergencies never limited)')
    .option('--retry-base-ms <n>', 'first retry delay after a failed upload (exponential, with jitter)', '1000')
    .option('--retry-max-ms <n>', 'longest retry delay', '300000')
    .option('--hub-timeout-seconds <n>', 'give up on a hub request idle for this long (then retry)', '60')
    .option('--heartbeat-seconds <n>', 'heartbeat period', '30')
    .option('--study-retention-hours <n>', 'keep the record of a delivered study this long (late instances)', '24')
    .option('--lang <fr|en>', 'language of operator messages, alerts and the local page', 'fr')
    .option('--ui-port <n>', 'port of the local web page for the site staff (0 = any)', '8090')
    .option('--ui-bind <addr>', 'address of the local web page', '127.0.0.1')
    .option('--no-ui', 'no local web page')
    .option('--no-worklist', 'do not serve the Modality Worklist (C-FIND) on the DICOM port')
    .option('--zone <iana>', 'time zone of the site (worklist times, accession numbers)', 'Europe/Paris')
    .option('--accession-prefix <p>', 'prefix of the accession numbers this site gives (1-6 letters/digits)', 'RL')
    .option('--patient-id-issuer <name>', 'issuer of the local patient IDs (IPP)', 'IPP')
    .option('--stations <list>', 'comma-separated AE titles of the scanners requests may name')
    .option('--pacs <host:port>', 'site PACS receiving the reports as DICOM (C-STORE)')
    .option('--pacs-ae <ae>', 'called AE title of the site PACS', 'PACS')
    .option('--unsolicited <hold|dispatch>', 'a study matching no exam request: hold it for reconciliation at the hub, or dispatch it as it is', 'hold')
    .option('--report-objects <list>', 'report objects sent to the PACS: pdf, sr or pdf,sr', 'pdf,sr')
    .option('--channel-wait-seconds <n>', 'long-poll wait for messages from the hub', '25')
    .option('--compress <mode>', 'lossless compression before upload: auto (policy per instance) | off | jpeg-ls | htj2k | j2k | jpeg-xl | rle', 'auto')
    .option('--link-rate-mbps <n>', 'uplink rate the compression policy plans for (default: 10, rural 4G)')
    .option('--compress-workers <n>', 'compression worker threads (default: cores - 1)')
    .option('--preview-instances <n>', 'render a series\' previews once it has this many instances', '5')
    .option('--preview-wait-seconds <n>', '… or this long after its first instance', '5')
    .option('--no-previews', 'do not render nor send previews')
    .option('--log-level <level>', 'pino log level (fatal..trace); never changes behaviour', 'info')
    .option('--tunnel-interface <name>', 'WireGuard interface the agent brings up once enrolled', 'relais0')
    .option('--tunnel-implementation <kind>', 'auto (kernel, else wireguard-go) | kernel | userspace', 'auto')
    .option('--no-tunnel', 'do not manage the tunnel (it is brought up by other means, e.g. wg-quick)')
    .action(async (opts, command: Command) => {
      if (!opts.data) command.error("error: required option '--data <dir>' not specified");
      const { runAgentFromCli } = await import('./main.ts');
      await runAgentFromCli(opts);
    });
  cmd
    .command('user')
    .description('Local users of the agent page')
    .addCommand(
      new Command('add')
        .description('Create (or reset) a local user of the agent page; the password is read from standard input')
        .requiredOption('--data <dir>', 'the agent data directory')
        .requiredOption('--user <id>', 'user id (2-40 lower-case letters, digits, . _ -)')
        .option('--name <name>', 'display name', '')
        .option('--role <role>', 'clinician | technician | admin', 'clinician')
        .action(async (opts: { data: string; user: string; name: string; role: string }) => {
          const { addLocalUserFromCli } = await import('./local-ui/user-cli.ts');
          process.exitCode = await addLocalUserFromCli(opts);
        }),
    );
  cmd
    .command('enrol')
    .description("Join this box to its hub with a one-time token: makes the box's WireGuard key (kept here, mode 0600), checks the hub's certificate pin, stores the tunnel and credential")
    .requiredOption('--data <dir>', 'the agent data directory')
    .option('--token <token>', 'the enrolment token from `relais provision token issue` (rlse1.…); "-" reads it from stdin')
    .option('--token-file <path>', 'read the token from this file (keeps it out of the process list and shell history)')
    .option('--force', 'enrol for another site than the one this box is enrolled for')
    .option('--lang <fr|en>', 'language of the messages', 'fr')
    .action(async (opts, command: Command) => {
      if (!opts.token && !opts.tokenFile) command.error("error: one of '--token <token>' or '--token-file <path>' is required");
      const { runEnrolFromCli } = await import('./tunnel/enrol.ts');
      await runEnrolFromCli(opts);
    });
  return cmd;
}

/**
 * Agent configuration: CLI flags (agent/cli.ts), environment and files, checked once at start.
 * This is the only agent module that reads `process.env` — and only through the `env` argument
 * its caller passes (RELAIS_CREDENTIAL, RELAIS_HUB_URL, RELAIS_AGENT_ID). An enrolled box
 * (DATA/tunnel/enrolment.json, from `relais agent enrol`) takes its hub URL, credential, agent id
 * and default urgency from there unless flags say otherwise, and brings its tunnel up.
 * Contract: `loadAgentConfig` returns a complete, valid configuration or throws ConfigError
 * with a message for the operator (French by default, English with --lang en).
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { check, validationErrors, URGENCIES, type Urgency, type Language } from '../protocol/index.ts';
import type { BackoffPolicy } from '../lib/backoff.ts';
import { UrgencyRules, type UrgencyRule } from './assemble/urgency.ts';
import { pipelineConfig, type PipelineConfig } from './compress/options.ts';
import { parseBudgetRules, type BudgetRule } from './uplink/budget.ts';
import { parseEnrolment, credentialPath, tunnelDir, type EnrolmentState } from './tunnel/state.ts';

export interface AgentConfig {
  dataDir: string;
  hubUrl: string | undefined;
  credential: string | undefined;
  agentId: string;
  lang: Language;
  logLevel: string;
  dicom: {
    port: number;
    host: string | undefined;
    aeTitle: string;
    acceptAnyCalledAe: boolean;
    allowedCallingAes: string[] | undefined;
    maxAssociations: number;
    maxInstanceBytes: number;
    idleTimeoutMs: number;
    associationTimeoutMs: number;
    maxPduLength: number;
  };
  quietMs: number;
  studyRetentionMs: number;
  minFreeBytes: number;
  heartbeatMs: number;
  backlogAlertMs: number;
  upload: {
    concurrency: number; retry: BackoffPolicy; timeoutMs: number;
    /** Issue 3: tus (resumable, default) or the v1 PUT (older hubs). */
    transport: 'tus' | 'put';
    chunkBytes: number;
    /** Share of the link for scheduled and deferred work; undefined: no limit. */
    budget: { linkBitsPerSecond: number; rules: BudgetRule[]; windowMs: number } | undefined;
  };
  urgency: { default: Urgency; rules: UrgencyRule[] };
  /** What `relais agent enrol` stored (DATA/tunnel/enrolment.json), if this box enrolled. */
  enrolment: EnrolmentState | undefined;
  /** Bring the WireGuard tunnel up from the enrolment (default when enrolled; --no-tunnel: managed outside). */
  tunnel: { manage: boolean; interfaceName: string; implementation: 'auto' | 'kernel' | 'userspace' };
  clinical: ClinicalConfig;
  /** Compression and previews (issue 4): agent/compress/options.ts. */
  pipeline: PipelineConfig;
}

export interface ClinicalConfig {
  /** Local web page: address and port (port 0 = any); undefined = no page. */
  ui: { host: string; port: number } | undefined;
  /** Serve the Modality Worklist (C-FIND) on the DICOM port. */
  worklist: boolean;
  /** The site's IANA zone (worklist dates, accession day, form times). */
  zone: string;
  accessionPrefix: string;
  /** Issuer of the local patient IDs (IPP) when the form leaves it empty. */
  patientIdIssuer: string;
  /** Scanner AE titles a request may name (worklist Scheduled Station AE). */
  stations: string[];
  /** Site PACS receiving reports; undefined = reports stay on the local page. */
  pacs: { host: string; port: number; calledAeTitle: string; callingAeTitle: string } | undefined;
  reportObjects: Array<'pdf' | 'sr'>;
  /**
   * A study that matches no exam request: `hold` (default) marks it for reconciliation at the
   * hub (not dispatched until an operator reconciles it); `dispatch` sends it to the on-call
   * radiologist as it is (sites that do not use requests). An identity that disagrees with a
   * matched request is held either way.
   */
  unsolicited: 'hold' | 'dispatch';
  /** Long-poll wait asked of the hub, ms. */
  pollWaitMs: number;
}

const MESSAGES = {
  fr: {
    number: (flag: string, v: unknown) => `${flag} : nombre attendu, reçu « ${String(v)} »`,
    range: (flag: string, min: number, max: number) => `${flag} : valeur attendue entre ${min} et ${max}`,
    ae: (v: string) => `--ae-title : titre AE invalide « ${v} » (1 à 16 caractères imprimables, sans \\)`,
    hub: (v: string) => `--hub : URL invalide « ${v} » (http:// ou https://)`,
    credentialMissing: '--credential (ou RELAIS_CREDENTIAL, ou --credential-file) est requis avec --hub',
    credentialInvalid: "l'identifiant de l'agent contient des caractères interdits",
    credentialFile: (p: string, e: string) => `--credential-file : lecture impossible de ${p} (${e})`,
    agentId: (v: string) => `--agent-id : identifiant invalide « ${v} » (minuscules, chiffres, tirets)`,
    urgency: (v: string) => `--default-urgency : valeur attendue ${URGENCIES.join(' | ')}, reçu « ${v} »`,
    rules: (p: string, e: string) => `--urgency-rules : fichier ${p} invalide (${e})`,
    lang: (v: string) => `--lang : fr ou en, reçu « ${v} »`,
    zone: (v: string) => `--zone : fuseau IANA inconnu « ${v} »`,
    pacs: (v: string) => `--pacs : hôte:port attendu, reçu « ${v} »`,
    unsolicited: (v: string) => `--unsolicited : « hold » ou « dispatch » attendu, reçu « ${v} »`,
    transport: (v: string) => `--upload-transport : « tus » ou « put » attendu, reçu « ${v} »`,
    budgetNeedsLink: '--budget demande --link-mbps (débit du lien, Mbit/s)',
    budget: (m: string) => `--budget : ${m} (forme attendue : 08-20=50)`,
    objects: (v: string) => `--report-objects : pdf, sr ou pdf,sr, reçu « ${v} »`,
    prefix: (v: string) => `--accession-prefix : 1 à 6 majuscules ou chiffres, reçu « ${v} »`,
    stations: (v: string) => `--stations : titres AE séparés par des virgules, reçu « ${v} »`,
    enrolment: (e: string) => `enrôlement illisible (${e}) : refaites relais agent enrol`,
    tunnelInterface: (v: string) => `--tunnel-interface : nom d'interface invalide « ${v} »`,
    tunnelImpl: (v: string) => `--tunnel-implementation : auto, kernel ou userspace, reçu « ${v} »`,
  },
  en: {
    number: (flag: string, v: unknown) => `${flag}: a number is expected, got "${String(v)}"`,
    range: (flag: string, min: number, max: number) => `${flag}: a value between ${min} and ${max} is expected`,
    ae: (v: string) => `--ae-title: invalid AE title "${v}" (1 to 16 printable characters, no \\)`,
    hub: (v: string) => `--hub: invalid URL "${v}" (http:// or https://)`,
    credentialMissing: '--credential (or RELAIS_CREDENTIAL, or --credential-file) is required with --hub',
    credentialInvalid: 'the agent credential contains forbidden characters',
    credentialFile: (p: string, e: string) => `--credential-file: cannot read ${p} (${e})`,
    agentId: (v: string) => `--agent-id: invalid id "${v}" (lower case letters, digits, dashes)`,
    urgency: (v: string) => `--default-urgency: expected ${URGENCIES.join(' | ')}, got "${v}"`,
    rules: (p: string, e: string) => `--urgency-rules: invalid file ${p} (${e})`,
    lang: (v: string) => `--lang: fr or en, got "${v}"`,
    zone: (v: string) => `--zone: unknown IANA zone "${v}"`,
    pacs: (v: string) => `--pacs: host:port expected, got "${v}"`,
    unsolicited: (v: string) => `--unsolicited: "hold" or "dispatch" expected, got "${v}"`,
    transport: (v: string) => `--upload-transport: "tus" or "put" expected, got "${v}"`,
    budgetNeedsLink: '--budget needs --link-mbps (the link capacity, Mbit/s)',
    budget: (m: string) => `--budget: ${m} (expected form: 08-20=50)`,
    objects: (v: string) => `--report-objects: pdf, sr or pdf,sr, got "${v}"`,
    prefix: (v: string) => `--accession-prefix: 1 to 6 upper-case letters or digits, got "${v}"`,
    stations: (v: string) => `--stations: comma-separated AE titles, got "${v}"`,
    enrolment: (e: string) => `unreadable enrolment (${e}): run relais agent enrol again`,
    tunnelInterface: (v: string) => `--tunnel-interface: invalid interface name "${v}"`,
    tunnelImpl: (v: string) => `--tunnel-implementation: auto, kernel or userspace, got "${v}"`,
  },
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Raw = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** Builds the configuration from commander's options object and the environment. */
export function loadAgentConfig(cli: Raw, env: Record<string, string | undefined>): AgentConfig {
  const langRaw = str(cli.lang) ?? 'fr';
  if (langRaw !== 'fr' && langRaw !== 'en') throw new ConfigError(MESSAGES.fr.lang(langRaw));
  const lang: Language = langRaw;
  const t = MESSAGES[lang];

  const num = (flag: string, key: string, fallback: number, min: number, max: number): number => {
    const v = cli[key];
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n)) throw new ConfigError(t.number(flag, v));
    if (n < min || n > max) throw new ConfigError(t.range(flag, min, max));
    return n;
  };

  const dataDir = resolve(str(cli.data) ?? '.');
  // An enrolled box (relais agent enrol) finds its hub URL, credential and tunnel in DATA/tunnel.
  let enrolment: EnrolmentState | undefined;
  const enrolmentFile = join(tunnelDir(dataDir), 'enrolment.json');
  if (existsSync(enrolmentFile)) {
    try {
      enrolment = parseEnrolment(readFileSync(enrolmentFile, 'utf8'), enrolmentFile);
    } catch (err) {
      throw new ConfigError(t.enrolment((err as Error).message));
    }
  }
  const hubUrl = str(cli.hub) ?? str(env.RELAIS_HUB_URL) ?? enrolment?.hubUrl;
  if (hubUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(hubUrl);
    } catch {
      throw new ConfigError(t.hub(hubUrl));
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(t.hub(hubUrl));
  }

  let credential = str(cli.credential) ?? str(env.RELAIS_CREDENTIAL);
  const credentialFile = str(cli.credentialFile);
  if (credential === undefined && credentialFile !== undefined) {
    try {
      credential = readFileSync(credentialFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(t.credentialFile(credentialFile, (err as Error).message));
    }
  }
  if (credential === undefined && enrolment !== undefined) {
    try {
      credential = readFileSync(credentialPath(dataDir), 'utf8').trim();
    } catch (err) {
      throw new ConfigError(t.credentialFile(credentialPath(dataDir), (err as Error).message));
    }
  }
  if (credential !== undefined && !/^[\x21-\x7e]{1,4096}$/.test(credential)) throw new ConfigError(t.credentialInvalid);
  if (hubUrl !== undefined && credential === undefined) throw new ConfigError(t.credentialMissing);

  const agentId = str(cli.agentId) ?? str(env.RELAIS_AGENT_ID) ?? enrolment?.agentId ?? agentIdFromHostname(hostname());
  const tunnelInterface = str(cli.tunnelInterface) ?? 'relais0';
  if (!/^[A-Za-z0-9_=+.-]{1,15}$/.test(tunnelInterface)) throw new ConfigError(t.tunnelInterface(tunnelInterface));
  const tunnelImpl = str(cli.tunnelImplementation) ?? 'auto';
  if (tunnelImpl !== 'auto' && tunnelImpl !== 'kernel' && tunnelImpl !== 'userspace') throw new ConfigError(t.tunnelImpl(tunnelImpl));
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(agentId)) throw new ConfigError(t.agentId(agentId));

  const pipeline = pipelineConfig(cli, lang);
  if ('error' in pipeline) throw new ConfigError(pipeline.error);

  const aeTitle = str(cli.aeTitle) ?? 'RELAIS';
  if (!/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(aeTitle)) throw new ConfigError(t.ae(aeTitle));

  const defaultUrgency = str(cli.defaultUrgency) ?? enrolment?.defaultUrgency ?? 'scheduled';
  if (!(URGENCIES as readonly string[]).includes(defaultUrgency)) throw new ConfigError(t.urgency(defaultUrgency));
  let rules: UrgencyRule[] = [];
  const rulesFile = str(cli.urgencyRules);
  if (rulesFile !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(rulesFile, 'utf8'));
    } catch (err) {
      throw new ConfigError(t.rules(rulesFile, (err as Error).message));
    }
    if (!check(UrgencyRules, parsed)) throw new ConfigError(t.rules(rulesFile, validationErrors(UrgencyRules, parsed).slice(0, 2).join('; ')));
    for (const r of parsed) {
      try {
        if (r.studyDescription !== undefined) new RegExp(r.studyDescription, 'i');
      } catch (err) {
        throw new ConfigError(t.rules(rulesFile, (err as Error).message));
      }
    }
    rules = parsed;
  }

  const allowed = str(cli.allowedCallingAe)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const retryBaseMs = num('--retry-base-ms', 'retryBaseMs', 1_000, 1, 3_600_000);
  const retryMaxMs = num('--retry-max-ms', 'retryMaxMs', 5 * 60_000, retryBaseMs, 24 * 3_600_000);

  const zone = str(cli.zone) ?? 'Europe/Paris';
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new ConfigError(t.zone(zone));
  }
  let pacs: ClinicalConfig['pacs'];
  const pacsRaw = str(cli.pacs);
  if (pacsRaw !== undefined) {
    const m = /^(.+):(\d{1,5})$/.exec(pacsRaw);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new ConfigError(t.pacs(pacsRaw));
    const calledAe = str(cli.pacsAe) ?? 'PACS';
    if (!/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(calledAe)) throw new ConfigError(t.ae(calledAe));
    pacs = { host: m[1]!, port: Number(m[2]), calledAeTitle: calledAe, callingAeTitle: aeTitle };
  }
  const objectsRaw = str(cli.reportObjects) ?? 'pdf,sr';
  const reportObjects = objectsRaw.split(',').map((x) => x.trim());
  if (reportObjects.length === 0 || !reportObjects.every((x) => x === 'pdf' || x === 'sr')) throw new ConfigError(t.objects(objectsRaw));
  const prefix = str(cli.accessionPrefix) ?? 'RL';
  if (!/^[A-Z0-9]{1,6}$/.test(prefix)) throw new ConfigError(t.prefix(prefix));
  const stationsRaw = str(cli.stations);
  const stations = stationsRaw ? stationsRaw.split(',').map((x) => x.trim()).filter(Boolean) : [];
  if (!stations.every((x) => /^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(x))) throw new ConfigError(t.stations(stationsRaw ?? ''));
  const unsolicited = str(cli.unsolicited) ?? 'hold';
  if (unsolicited !== 'hold' && unsolicited !== 'dispatch') throw new ConfigError(t.unsolicited(unsolicited));
  const uiPort = cli.ui === false || cli.uiPort === undefined ? undefined : num('--ui-port', 'uiPort', 8090, 0, 65535);
  const clinical: ClinicalConfig = {
    ui: uiPort === undefined ? undefined : { host: str(cli.uiBind) ?? '127.0.0.1', port: uiPort },
    worklist: cli.worklist !== false,
    zone,
    accessionPrefix: prefix,
    patientIdIssuer: str(cli.patientIdIssuer) ?? 'IPP',
    stations,
    pacs,
    reportObjects: [...new Set(reportObjects)] as Array<'pdf' | 'sr'>,
    unsolicited,
    pollWaitMs: Math.round(num('--channel-wait-seconds', 'channelWaitSeconds', 25, 0, 30) * 1000),
  };

  return {
    dataDir,
    hubUrl,
    credential,
    agentId,
    lang,
    logLevel: str(cli.logLevel) ?? 'info',
    dicom: {
      port: num('--dicom-port', 'dicomPort', 11112, 0, 65535),
      host: str(cli.bind),
      aeTitle,
      acceptAnyCalledAe: cli.acceptAnyCalledAe === true,
      allowedCallingAes: allowed && allowed.length > 0 ? allowed : undefined,
      maxAssociations: num('--max-associations', 'maxAssociations', 8, 1, 1000),
      maxInstanceBytes: Math.round(num('--max-instance-mb', 'maxInstanceMb', 2048, 0.001, 64 * 1024) * 1024 * 1024),
      idleTimeoutMs: Math.round(num('--idle-seconds', 'idleSeconds', 60, 1, 86_400) * 1000),
      associationTimeoutMs: 30_000,
      maxPduLength: 1024 * 1024,
    },
    quietMs: Math.round(num('--quiet-seconds', 'quietSeconds', 30, 0, 86_400) * 1000),
    studyRetentionMs: Math.round(num('--study-retention-hours', 'studyRetentionHours', 24, 0, 24 * 365) * 3_600_000),
    minFreeBytes: Math.round(num('--min-free-mb', 'minFreeMb', 256, 0, 1024 * 1024) * 1024 * 1024),
    heartbeatMs: Math.round(num('--heartbeat-seconds', 'heartbeatSeconds', 30, 0.1, 3600) * 1000),
    backlogAlertMs: 15 * 60_000,
    upload: {
      concurrency: num('--upload-concurrency', 'uploadConcurrency', 4, 1, 32),
      retry: { baseMs: retryBaseMs, factor: 2, maxMs: retryMaxMs, minMs: Math.min(250, retryBaseMs) },
      timeoutMs: Math.round(num('--hub-timeout-seconds', 'hubTimeoutSeconds', 60, 1, 3600) * 1000),
      ...uploadTransport(cli, num, t),
    },
    urgency: { default: defaultUrgency as Urgency, rules },
    clinical,
    pipeline,
    enrolment,
    tunnel: { manage: enrolment !== undefined && cli.tunnel !== false, interfaceName: tunnelInterface, implementation: tunnelImpl },
  };
}

/** A valid agent id from a host name (lower case, [a-z0-9-], at most 63 chars). */
export function agentIdFromHostname(host: string): string {
  const id = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return /^[a-z0-9]/.test(id) ? id : 'agent';
}

/** Issue 3 flags: --upload-transport, --upload-chunk-mb, --link-mbps with --budget. */
function uploadTransport(cli: Record<string, unknown>, num: (flag: string, key: string, def: number, min: number, max: number) => number, t: (typeof MESSAGES)[keyof typeof MESSAGES]): Pick<AgentConfig['upload'], 'transport' | 'chunkBytes' | 'budget'> {
  const transport = typeof cli.uploadTransport === 'string' ? cli.uploadTransport : 'tus';
  if (transport !== 'tus' && transport !== 'put') throw new ConfigError(t.transport(transport));
  const chunkBytes = Math.round(num('--upload-chunk-mb', 'uploadChunkMb', 8, 0.0625, 1024) * 1024 * 1024);
  const spec = typeof cli.budget === 'string' ? cli.budget : undefined;
  if (!spec) return { transport, chunkBytes, budget: undefined };
  const mbps = num('--link-mbps', 'linkMbps', 0, 0, 100_000);
  if (!(mbps > 0)) throw new ConfigError(t.budgetNeedsLink);
  let rules: BudgetRule[];
  try {
    rules = parseBudgetRules(spec);
  } catch (err) {
    throw new ConfigError(t.budget((err as Error).message));
  }
  return { transport, chunkBytes, budget: { linkBitsPerSecond: mbps * 1e6, rules, windowMs: 60_000 } };
}

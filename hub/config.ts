/**
 * The hub's configuration beyond its flags: where alerts go (SMS gateway, SMTP server, webhook
 * secrets) and the operators' zone. Sources, later ones winning: the config file
 * (`relais hub --config FILE`, JSON), the environment, the flags. Secrets (the SMS gateway
 * token, SMTP credentials, webhook secrets) come only from the file — which must then be
 * private to its owner (mode 0600), like an SSH key — or from the environment; a flag
 * carrying one is refused (argv is visible to every user of the machine).
 * The only module of the hub that reads `process.env`. Defaults: live web alerts only.
 *
 * Environment: RELAIS_SMS_TOKEN, RELAIS_SMTP_URL (may hold `user:password@`),
 * RELAIS_WEBHOOK_SECRET_<NAME> (secret named `<name>` in the rota: lower case, `_` → `-`).
 */
import { readFile, stat } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { validationErrors, check } from '../protocol/validate.ts';

export const HubConfigFile = Type.Object(
  {
    /** Zone of the hub's operators (times in their alerts), default Europe/Paris. */
    zone: Type.Optional(Type.String({ minLength: 3, maxLength: 64 })),
    sms: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^https?://', maxLength: 2000 }),
          token: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
          /** Sender name shown on phones (11 characters at most, GSM rule). */
          sender: Type.Optional(Type.String({ minLength: 1, maxLength: 11 })),
        },
        { additionalProperties: false },
      ),
    ),
    email: Type.Optional(
      Type.Object(
        {
          smtpUrl: Type.String({ pattern: '^smtps?://', maxLength: 2000 }),
          from: Type.String({ minLength: 3, maxLength: 200 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Webhook signing secrets by the name the rota's sites use (`webhook.secretName`). */
    webhookSecrets: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ minLength: 16, maxLength: 500 }))),
  },
  { additionalProperties: false },
);
export type HubConfigFile = Static<typeof HubConfigFile>;

export interface HubConfig {
  zone: string;
  notify: {
    sms?: { url: string; token: string; sender: string };
    email?: { smtpUrl: string; from: string; domain: string };
    webhookSecrets: Record<string, string>;
  };
}

/** Flags of `relais hub` that configure alerts (never secrets). */
export interface HubConfigFlags {
  config?: string;
  zone?: string;
  smsUrl?: string;
  smsSender?: string;
  smtpUrl?: string;
  mailFrom?: string;
}

export class HubConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubConfigError';
  }
}

const TEXTS = {
  fr: {
    unreadable: (f: string, m: string) => `fichier de configuration illisible ${f} : ${m}`,
    invalid: (f: string, e: string) => `fichier de configuration invalide ${f} : ${e}`,
    notPrivate: (f: string, mode: string) => `${f} contient des secrets mais son mode est ${mode} : faites « chmod 600 ${f} »`,
    secretOnArgv: "--smtp-url ne doit pas contenir d'identifiants (ils seraient visibles de tous dans la liste des processus) : mettez-les dans le fichier de configuration (mode 0600) ou dans RELAIS_SMTP_URL",
    badUrl: (what: string, v: string) => `${what} : URL invalide « ${v} »`,
    badZone: (z: string) => `fuseau horaire inconnu « ${z} » (ex. Europe/Paris, America/Martinique)`,
    smsToken: "l'URL de la passerelle SMS est donnée mais pas son jeton : RELAIS_SMS_TOKEN ou « sms.token » dans le fichier de configuration",
    mailFrom: "l'envoi d'e-mails demande une adresse d'expéditeur : --mail-from ou « email.from »",
    badSender: (s: string) => `nom d'expéditeur SMS invalide « ${s} » (1 à 11 caractères)`,
    badSecret: (n: string) => `secret de webhook « ${n} » trop court (16 caractères au moins)`,
  },
  en: {
    unreadable: (f: string, m: string) => `cannot read the config file ${f}: ${m}`,
    invalid: (f: string, e: string) => `invalid config file ${f}: ${e}`,
    notPrivate: (f: string, mode: string) => `${f} holds secrets but its mode is ${mode}: run "chmod 600 ${f}"`,
    secretOnArgv: '--smtp-url must not carry credentials (everyone can read the process list): put them in the config file (mode 0600) or in RELAIS_SMTP_URL',
    badUrl: (what: string, v: string) => `${what}: invalid URL "${v}"`,
    badZone: (z: string) => `unknown time zone "${z}" (e.g. Europe/Paris, America/Martinique)`,
    smsToken: 'the SMS gateway URL is set but not its token: RELAIS_SMS_TOKEN or "sms.token" in the config file',
    mailFrom: 'sending e-mail needs a sender address: --mail-from or "email.from"',
    badSender: (s: string) => `invalid SMS sender name "${s}" (1 to 11 characters)`,
    badSecret: (n: string) => `webhook secret "${n}" is too short (16 characters at least)`,
  },
};

export type ConfigLang = keyof typeof TEXTS;

function urlOk(v: string, protocols: string[]): URL | undefined {
  try {
    const u = new URL(v);
    return protocols.includes(u.protocol) ? u : undefined;
  } catch {
    return undefined;
  }
}

function zoneOk(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Webhook secrets from RELAIS_WEBHOOK_SECRET_<NAME> variables. */
function envWebhookSecrets(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const m = /^RELAIS_WEBHOOK_SECRET_([A-Z0-9_]+)$/.exec(k);
    if (m && v) out[m[1]!.toLowerCase().replace(/_/g, '-')] = v;
  }
  return out;
}

export async function loadHubConfig(flags: HubConfigFlags, opts: { env?: NodeJS.ProcessEnv; lang?: ConfigLang } = {}): Promise<HubConfig> {
  const t = TEXTS[opts.lang ?? 'fr'];
  const env = opts.env ?? process.env;
  let file: HubConfigFile = {};
  if (flags.config) {
    let text: string;
    let mode: number;
    try {
      text = await readFile(flags.config, 'utf8');
      mode = (await stat(flags.config)).mode & 0o777;
    } catch (err) {
      throw new HubConfigError(t.unreadable(flags.config, (err as Error).message));
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new HubConfigError(t.invalid(flags.config, (err as Error).message));
    }
    if (!check(HubConfigFile, value)) throw new HubConfigError(t.invalid(flags.config, validationErrors(HubConfigFile, value).join('; ')));
    file = value;
    const smtpHasCredentials = !!file.email && !!urlOk(file.email.smtpUrl, ['smtp:', 'smtps:'])?.password;
    const holdsSecrets = !!file.sms?.token || smtpHasCredentials || Object.keys(file.webhookSecrets ?? {}).length > 0;
    if (holdsSecrets && (mode & 0o077) !== 0) throw new HubConfigError(t.notPrivate(flags.config, `0${mode.toString(8)}`));
  }

  const zone = flags.zone ?? file.zone ?? 'Europe/Paris';
  if (!zoneOk(zone)) throw new HubConfigError(t.badZone(zone));

  const notify: HubConfig['notify'] = { webhookSecrets: { ...(file.webhookSecrets ?? {}), ...envWebhookSecrets(env) } };
  for (const [name, secret] of Object.entries(notify.webhookSecrets)) if (secret.length < 16) throw new HubConfigError(t.badSecret(name));

  const smsUrl = flags.smsUrl ?? file.sms?.url;
  if (smsUrl) {
    if (!urlOk(smsUrl, ['http:', 'https:'])) throw new HubConfigError(t.badUrl('SMS', smsUrl));
    const token = env.RELAIS_SMS_TOKEN || file.sms?.token; // an empty variable is unset
    if (!token) throw new HubConfigError(t.smsToken);
    const sender = flags.smsSender ?? file.sms?.sender ?? 'RELAIS';
    if (sender.length < 1 || sender.length > 11) throw new HubConfigError(t.badSender(sender));
    notify.sms = { url: smsUrl, token, sender };
  }

  if (flags.smtpUrl) {
    const u = urlOk(flags.smtpUrl, ['smtp:', 'smtps:']);
    if (!u) throw new HubConfigError(t.badUrl('SMTP', flags.smtpUrl));
    if (u.username || u.password) throw new HubConfigError(t.secretOnArgv);
  }
  const smtpUrl = flags.smtpUrl ?? (env.RELAIS_SMTP_URL || file.email?.smtpUrl);
  if (smtpUrl) {
    if (!urlOk(smtpUrl, ['smtp:', 'smtps:'])) throw new HubConfigError(t.badUrl('SMTP', smtpUrl.replace(/\/\/[^@/]*@/, '//…@')));
    const from = flags.mailFrom ?? file.email?.from;
    if (!from) throw new HubConfigError(t.mailFrom);
    const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'relais.invalid';
    notify.email = { smtpUrl, from, domain };
  }
  return { zone, notify };
}

/** Names of the channels a config enables (for the start-up log line; no secret). */
export function configuredChannels(c: HubConfig): string[] {
  return ['web', ...(c.notify.sms ? ['sms'] : []), ...(c.notify.email ? ['email'] : []), ...(Object.keys(c.notify.webhookSecrets).length ? ['webhook'] : [])];
}

/**
 * `relais provision site|token|workstation`: the operator's side of enrolment, run on the hub
 * machine against the hub's data directory (the running hub applies every change within seconds:
 * it watches DATA/tunnel). Contract: exit code 0 on success, 1 with a message on stderr;
 * `token issue` prints the token on the last line of stdout; `--json` prints one JSON document
 * (no secret but the token itself).
 */
import { resolve } from 'node:path';
import { createSystemClock } from '../../lib/clock.ts';
import { formatPin } from '../../lib/cert-pin.ts';
import { URGENCIES, type Urgency } from '../../protocol/common.ts';
import { IdentityStore } from '../identity-store.ts';
import { renderWgQuickConfig } from '../wireguard/config-render.ts';
import { generatePrivateKey } from '../wireguard/keys.ts';
import { TunnelRegistry, RegistryError, EnrolmentRefusal } from './registry.ts';
import { tokenStatus } from './token.ts';
import type { SiteRecord, TokenRecord, WorkstationRecord } from './records.ts';
import { enrolmentTexts, type EnrolmentLang } from './texts.ts';

interface Common {
  data: string;
  lang?: string;
  json?: boolean;
}

type Texts = (typeof enrolmentTexts)[EnrolmentLang];

function registryOf(opts: Common): TunnelRegistry {
  const dir = resolve(opts.data);
  const clock = createSystemClock();
  return new TunnelRegistry(dir, { clock, identities: new IdentityStore(dir, () => clock.now()) });
}

async function run(opts: Common, body: (t: Texts, registry: TunnelRegistry) => Promise<number>): Promise<number> {
  const t = enrolmentTexts[opts.lang === 'en' ? 'en' : 'fr'];
  let code: number;
  try {
    code = await body(t, registryOf(opts));
  } catch (err) {
    if (!(err instanceof RegistryError || err instanceof EnrolmentRefusal || err instanceof TypeError)) throw err;
    const problems: Record<string, (subject: string) => string> = t.problems;
    const text = err instanceof RegistryError && problems[err.problem] ? problems[err.problem]!(err.subject) : err.message;
    process.stderr.write(`${t.failed(text)}\n`);
    code = 1;
  }
  process.exitCode = code;
  return code;
}

const out = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);

function table(head: readonly string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

function siteState(s: SiteRecord): keyof Texts['states'] {
  if (s.revokedAt) return 'revoked';
  if (!s.publicKey) return 'waiting';
  return s.rotationRequestedAt ? 'rotating' : 'active';
}

/** A site for display: everything but the preshared key. */
function publicSite(s: SiteRecord): Omit<SiteRecord, 'presharedKey'> {
  const { presharedKey: _psk, ...rest } = s;
  return rest;
}

function publicWorkstation(w: WorkstationRecord): Omit<WorkstationRecord, 'presharedKey'> {
  const { presharedKey: _psk, ...rest } = w;
  return rest;
}

function localTime(iso: string, lang: EnrolmentLang): string {
  return new Date(iso).toLocaleString(lang === 'en' ? 'en-GB' : 'fr-FR', { dateStyle: 'long', timeStyle: 'long' });
}

export interface SiteCreateOpts extends Common {
  name: string;
  id?: string;
  finess?: string;
  siret?: string;
  contactName?: string;
  contactPhone?: string;
  contactEmail?: string;
  zone?: string;
  defaultUrgency?: string;
}

export function siteCreate(opts: SiteCreateOpts): Promise<number> {
  return run(opts, async (t, registry) => {
    if (opts.defaultUrgency !== undefined && !(URGENCIES as readonly string[]).includes(opts.defaultUrgency)) {
      throw new RegistryError('bad-urgency', `--default-urgency: ${URGENCIES.join(' | ')}`);
    }
    const site = await registry.createSite({
      name: String(opts.name ?? ''),
      ...(opts.id ? { id: opts.id } : {}),
      ...(opts.finess ? { finess: opts.finess } : {}),
      ...(opts.siret ? { siret: opts.siret } : {}),
      contact: { name: opts.contactName, phone: opts.contactPhone, email: opts.contactEmail },
      ...(opts.zone ? { zone: opts.zone } : {}),
      ...(opts.defaultUrgency ? { defaultUrgency: opts.defaultUrgency as Urgency } : {}),
    });
    if (opts.json) out([JSON.stringify(publicSite(site))]);
    else out([t.siteCreated(site.name, site.id), t.addresses(site.tunnel?.ipv4 ?? null, site.tunnel?.ipv6 ?? null), t.nextToken(site.id)]);
    return 0;
  });
}

export function siteList(opts: Common): Promise<number> {
  return run(opts, async (t, registry) => {
    const sites = await registry.listSites();
    if (opts.json) out([JSON.stringify(sites.map(publicSite))]);
    else if (sites.length === 0) out([t.none]);
    else {
      out(table(t.headers.site, sites.map((s) => [s.id, s.name, t.states[siteState(s)], s.tunnel?.ipv4 ?? s.tunnel?.ipv6 ?? '-', s.publicKey ? `${s.publicKey.slice(0, 10)}…` : '-', s.enrolledAt ?? '-'])));
    }
    return 0;
  });
}

export function siteShow(opts: Common & { site: string }): Promise<number> {
  return run(opts, async (t, registry) => {
    const site = await registry.getSite(opts.site);
    if (!site) throw new RegistryError('unknown-site', `no site "${opts.site}"`, opts.site);
    const tokens = (await registry.listTokens(site.id)).map((tk) => ({ id: tk.id, status: tokenStatus(tk, Date.now()), issuedAt: tk.issuedAt, expiresAt: tk.expiresAt, usedAt: tk.usedAt ?? null }));
    const doc = { ...publicSite(site), state: siteState(site), tokens };
    out([JSON.stringify(doc, null, opts.json ? undefined : 2)]);
    return 0;
  });
}

export function siteRevoke(opts: Common & { site: string }): Promise<number> {
  return run(opts, async (t, registry) => {
    const r = await registry.revokeSite(opts.site);
    out([opts.json ? JSON.stringify({ site: r.site.id, revokedAt: r.site.revokedAt, tokensRevoked: r.tokensRevoked }) : t.siteRevoked(r.site.id, r.tokensRevoked)]);
    return 0;
  });
}

export function siteRotate(opts: Common & { site: string }): Promise<number> {
  return run(opts, async (t, registry) => {
    const s = await registry.requestRotation(opts.site);
    out([opts.json ? JSON.stringify({ site: s.id, rotationRequestedAt: s.rotationRequestedAt }) : t.rotationAsked(s.id)]);
    return 0;
  });
}

export function tokenIssue(opts: Common & { site: string; ttlHours?: string }): Promise<number> {
  return run(opts, async (t, registry) => {
    const hours = opts.ttlHours === undefined ? 24 : Number(opts.ttlHours);
    if (!Number.isFinite(hours) || hours <= 0) throw new RegistryError('bad-ttl', '--ttl-hours must be a positive number');
    const { token, record, site } = await registry.issueToken(opts.site, { ttlMs: Math.round(hours * 3600_000) });
    const hub = (await registry.hubInfo())!;
    if (opts.json) out([JSON.stringify({ id: record.id, site: site.id, expiresAt: record.expiresAt, certSha256: hub.certSha256, token })]);
    else {
      const lang: EnrolmentLang = opts.lang === 'en' ? 'en' : 'fr';
      out([t.tokenIssued(site.name, record.id, localTime(record.expiresAt, lang)), t.pin(formatPin(hub.certSha256)), t.tokenHint, t.tokenLine, token]);
    }
    return 0;
  });
}

export function tokenList(opts: Common & { site?: string }): Promise<number> {
  return run(opts, async (t, registry) => {
    const tokens: TokenRecord[] = await registry.listTokens(opts.site);
    const now = Date.now();
    const rows = tokens.map((tk) => ({ id: tk.id, site: tk.siteId, status: tokenStatus(tk, now), issuedAt: tk.issuedAt, expiresAt: tk.expiresAt, usedAt: tk.usedAt ?? null, revokedAt: tk.revokedAt ?? null }));
    if (opts.json) out([JSON.stringify(rows)]);
    else if (rows.length === 0) out([t.none]);
    else out(table(t.headers.token, rows.map((r) => [r.id, r.site, t.states[r.status], r.issuedAt, r.expiresAt])));
    return 0;
  });
}

export function tokenRevoke(opts: Common & { token: string }): Promise<number> {
  return run(opts, async (t, registry) => {
    const r = await registry.revokeToken(opts.token);
    out([opts.json ? JSON.stringify({ id: r.id, revokedAt: r.revokedAt }) : t.tokenRevoked(r.id)]);
    return 0;
  });
}

export function workstationAdd(opts: Common & { name: string; id?: string; user?: string; publicKey?: string }): Promise<number> {
  return run(opts, async (t, registry) => {
    const added = await registry.addWorkstation({
      name: String(opts.name ?? ''),
      ...(opts.id ? { id: opts.id } : {}),
      ...(opts.user ? { userId: opts.user } : {}),
      ...(opts.publicKey ? { publicKey: opts.publicKey.trim() } : {}),
    });
    const hub = (await registry.hubInfo())!;
    const w = added.record;
    const hubRoutes = [hub.hubAddresses.ipv4 ? `${hub.hubAddresses.ipv4}/32` : null, hub.hubAddresses.ipv6 ? `${hub.hubAddresses.ipv6}/128` : null].filter((x): x is string => x !== null);
    let config = renderWgQuickConfig({
      comment: `Relais reading workstation "${w.name}" (generated; keep it private, mode 0600)`,
      interface: {
        privateKey: added.privateKey ?? generatePrivateKey(),
        addresses: [w.tunnel.ipv4 ? `${w.tunnel.ipv4}/32` : null, w.tunnel.ipv6 ? `${w.tunnel.ipv6}/128` : null].filter((x): x is string => x !== null),
        mtu: hub.mtu,
      },
      peers: [{ comment: `hub: ${hub.apiUrl} (reading services only)`, publicKey: hub.publicKey, presharedKey: w.presharedKey, allowedIps: hubRoutes, endpoint: hub.endpoint, persistentKeepalive: 25 }],
    });
    if (!added.privateKey) config = config.replace(/^PrivateKey = .*$/m, 'PrivateKey = <the private key of this workstation (wg genkey)>');
    if (opts.json) out([JSON.stringify({ workstation: publicWorkstation(w), config })]);
    else out([t.wsAdded(w.name, w.id), added.privateKey ? t.wsKeyMade : t.wsOwnKey, t.wsConfig, config.trimEnd()]);
    return 0;
  });
}

export function workstationList(opts: Common): Promise<number> {
  return run(opts, async (t, registry) => {
    const list = await registry.listWorkstations();
    if (opts.json) out([JSON.stringify(list.map(publicWorkstation))]);
    else if (list.length === 0) out([t.none]);
    else out(table(t.headers.ws, list.map((w) => [w.id, w.name, t.states[w.revokedAt ? 'revoked' : 'active'], w.tunnel.ipv4 ?? w.tunnel.ipv6 ?? '-', w.userId ?? '-'])));
    return 0;
  });
}

export function workstationRevoke(opts: Common & { workstation: string }): Promise<number> {
  return run(opts, async (t, registry) => {
    const w = await registry.revokeWorkstation(opts.workstation);
    out([opts.json ? JSON.stringify({ id: w.id, revokedAt: w.revokedAt }) : t.wsRevoked(w.id)]);
    return 0;
  });
}

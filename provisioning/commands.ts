/**
 * `relais provision agent|user|revoke`: register identities in a hub's data directory.
 * Contract (scripts rely on it): for `agent` the last line of stdout is the agent credential,
 * for `user` the last line is the user's bearer token; exit code 0 on success, 1 with a
 * message on stderr otherwise. Secrets are printed once and stored only as hashes.
 * Dispatch links: `agent --site ID` (default: the agent's id), `user --role radiologist
 * --radiologist-id ID`, `user --role clinician --site ID [--site ID…]`; warnings go to stderr.
 */
import { resolve } from 'node:path';
import { IdentityStore, isSiteId } from './identity-store.ts';
import { ROLES, agentSiteId, type Role } from './identity-schema.ts';
import { check } from '../protocol/validate.ts';
import { Id } from '../protocol/dispatch.ts';
import { provisionTexts, type ProvisionLang } from './texts.ts';

interface CommonOpts {
  data: string;
  lang?: string;
}

function textsFor(opts: CommonOpts) {
  const lang: ProvisionLang = opts.lang === 'en' ? 'en' : 'fr';
  return provisionTexts[lang];
}

async function run(opts: CommonOpts, body: (t: ReturnType<typeof textsFor>) => Promise<number>): Promise<number> {
  const t = textsFor(opts);
  let code: number;
  try {
    code = await body(t);
  } catch (err) {
    process.stderr.write(`${t.failed((err as Error).message)}\n`);
    code = 1;
  }
  process.exitCode = code;
  return code;
}

export async function provisionAgent(opts: CommonOpts & { name: string; site?: string }): Promise<number> {
  return run(opts, async (t) => {
    const name = String(opts.name ?? '').trim();
    if (!name) {
      process.stderr.write(`${t.badName}\n`);
      return 1;
    }
    if (opts.site !== undefined && !isSiteId(opts.site)) {
      process.stderr.write(`${t.badSiteId(opts.site)}\n`);
      return 1;
    }
    const store = new IdentityStore(resolve(opts.data));
    const issued = await store.issueAgent(name, opts.site !== undefined ? { siteId: opts.site } : {});
    const line = issued.rotated ? t.agentRotated(name, issued.identity.id) : t.agentRegistered(name, issued.identity.id);
    process.stdout.write(`${line}\n${t.agentSite(agentSiteId(issued.identity))}\n${t.agentHint}\n${issued.credential}\n`);
    return 0;
  });
}

export async function provisionUser(opts: CommonOpts & { name: string; role?: string; displayName?: string; radiologistId?: string; site?: string[] }): Promise<number> {
  return run(opts, async (t) => {
    const name = String(opts.name ?? '').trim();
    const role = (opts.role ?? 'operator') as Role;
    if (!name) {
      process.stderr.write(`${t.badName}\n`);
      return 1;
    }
    if (!ROLES.includes(role)) {
      process.stderr.write(`${t.badRole(String(opts.role), ROLES.join(' | '))}\n`);
      return 1;
    }
    const sites = opts.site && opts.site.length > 0 ? opts.site : undefined;
    if (opts.radiologistId !== undefined && role !== 'radiologist') {
      process.stderr.write(`${t.linkRole('--radiologist-id', 'radiologist')}\n`);
      return 1;
    }
    if (opts.radiologistId !== undefined && !check(Id, opts.radiologistId)) {
      process.stderr.write(`${t.badRadiologistId(opts.radiologistId)}\n`);
      return 1;
    }
    if (sites && role !== 'clinician') {
      process.stderr.write(`${t.linkRole('--site', 'clinician')}\n`);
      return 1;
    }
    const badSite = sites?.find((x) => !isSiteId(x));
    if (badSite !== undefined) {
      process.stderr.write(`${t.badSiteId(badSite)}\n`);
      return 1;
    }
    const store = new IdentityStore(resolve(opts.data));
    const issued = await store.issueUser(name, role, opts.displayName, {
      ...(opts.radiologistId !== undefined ? { radiologistId: opts.radiologistId } : {}),
      ...(sites ? { siteIds: sites } : {}),
    });
    const u = issued.identity;
    const lines = [issued.rotated ? t.userRotated(name, u.id, role) : t.userRegistered(name, u.id, role)];
    if (u.radiologistId) lines.push(t.radiologistLink(u.radiologistId));
    if (u.siteIds?.length) lines.push(t.clinicianSites(u.siteIds.join(', ')));
    if (role === 'radiologist' && !u.radiologistId) process.stderr.write(`${t.radiologistUnlinked}\n`);
    if (role === 'clinician' && !u.siteIds?.length) process.stderr.write(`${t.clinicianUnlinked}\n`);
    process.stdout.write(`${lines.join('\n')}\n${t.userHint}\n${issued.token}\n`);
    return 0;
  });
}

export async function provisionRevoke(opts: CommonOpts & { agent?: string; user?: string }): Promise<number> {
  return run(opts, async (t) => {
    const store = new IdentityStore(resolve(opts.data));
    const kind = opts.agent ? 'agent' : 'user';
    const id = opts.agent ?? opts.user;
    if (!id) {
      process.stderr.write(`${t.unknown(kind, '?')}\n`);
      return 1;
    }
    const ok = await store.revoke(kind, id);
    (ok ? process.stdout : process.stderr).write(`${ok ? t.revoked(kind, id) : t.unknown(kind, id)}\n`);
    return ok ? 0 : 1;
  });
}

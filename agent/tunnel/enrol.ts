/**
 * `relais agent enrol --data DIR --token TOKEN`: joins this box to its hub.
 * 1. The token is decoded (it names the site, the enrolment URL, the pin of the hub's
 *    certificate, the hub's WireGuard key and endpoint).
 * 2. A key pair is made here; the private key is written to DATA/tunnel/private.key.next (0600)
 *    and never leaves the box.
 * 3. Token and public key go to the hub over HTTPS pinned to the token's certificate hash
 *    (pinned-https.ts: nothing is sent to a server with another certificate).
 * 4. On success the key becomes DATA/tunnel/private.key and the tunnel configuration and
 *    credential are stored (state.ts); `relais agent --data DIR` then brings the tunnel up.
 * A refusal (replayed, expired, other-site, revoked token...) is printed in the operator's
 * language with its date, and leaves the box as it was. A box enrolled for one site refuses a
 * token for another unless `--force` (the spool is kept either way).
 */
import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { check } from '../../protocol/validate.ts';
import { ERROR_CODES, isErrorCode } from '../../protocol/errors.ts';
import { ENROL_ROUTES, EnrolResponse, decodeEnrolmentToken, type EnrolRequest } from '../../protocol/enrolment.ts';
import type { Language } from '../../protocol/common.ts';
import { generateKeyPair, type KeyPair } from '../../provisioning/wireguard/keys.ts';
import { pinnedRequest, PinMismatchError, type PinnedRequest, type PinnedReply } from './pinned-https.ts';
import { commitNextKey, dropNextKey, readEnrolment, writeEnrolment, writeNextKey, tunnelDir, type EnrolmentState } from './state.ts';
import { tunnelTexts } from './texts.ts';
import pkg from '../../package.json' with { type: 'json' };

export class EnrolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'EnrolError';
    this.code = code;
  }
}

export interface EnrolDeps {
  request?: (r: PinnedRequest) => Promise<PinnedReply>;
  keyPair?: () => KeyPair;
  agentVersion?: string;
}

export interface EnrolResult {
  state: EnrolmentState;
  replacedKey: boolean;
}

export async function enrolAgent(dataDir: string, token: string, opts: { lang: Language; force?: boolean }, deps: EnrolDeps = {}): Promise<EnrolResult> {
  const t = tunnelTexts[opts.lang];
  const payload = decodeEnrolmentToken(token);
  if (!payload) throw new EnrolError('bad-token', t.badToken);
  const current = await readEnrolment(dataDir);
  if (current && current.site !== payload.site && !opts.force) throw new EnrolError('other-site', t.otherSite(current.site, payload.site));

  const keys = (deps.keyPair ?? generateKeyPair)();
  await writeNextKey(dataDir, keys.privateKey);
  const body: EnrolRequest = { token: token.trim(), site: payload.site, publicKey: keys.publicKey, ...(deps.agentVersion ? { agentVersion: deps.agentVersion.slice(0, 40) } : {}) };
  let reply: PinnedReply;
  try {
    reply = await (deps.request ?? pinnedRequest)({ baseUrl: payload.enrolUrl, pin: payload.pin, method: 'POST', path: ENROL_ROUTES.enrol, body });
  } catch (err) {
    await dropNextKey(dataDir);
    if (err instanceof PinMismatchError) throw new EnrolError('pin-mismatch', t.pin(err.message));
    throw new EnrolError('unreachable', t.unreachable(payload.enrolUrl, (err as Error).message));
  }
  if (reply.status !== 200 || !check(EnrolResponse, reply.body)) {
    await dropNextKey(dataDir);
    const e = (reply.body as { error?: { code?: string; message?: string; details?: { at?: string } } } | undefined)?.error;
    if (e?.code && isErrorCode(e.code)) {
      throw new EnrolError(e.code, t.refused(`${ERROR_CODES[e.code][opts.lang]}${e.details?.at ? t.at(e.details.at) : ''}`));
    }
    throw new EnrolError('answer', t.answer(reply.status));
  }
  const r = reply.body;
  if (r.tunnel.hub.publicKey !== payload.hubKey || r.site !== payload.site) {
    await dropNextKey(dataDir);
    throw new EnrolError('hub-key', t.hubKey);
  }
  await commitNextKey(dataDir);
  const state: EnrolmentState = {
    version: 1,
    site: r.site,
    siteName: r.siteName,
    agentId: r.agentId,
    hubUrl: r.hubUrl,
    enrolUrl: payload.enrolUrl,
    pin: payload.pin,
    tunnel: r.tunnel,
    enrolledAt: r.enrolledAt,
    ...(r.defaultUrgency ? { defaultUrgency: r.defaultUrgency } : {}),
  };
  await writeEnrolment(dataDir, state, r.credential);
  return { state, replacedKey: r.replacedKey };
}

/** The CLI action. Exit code 0 on success, 1 with a message on stderr. */
/** The token from `--token`, `--token -` (stdin) or `--token-file` (kept out of argv and shell history). */
async function tokenOf(opts: { token?: string; tokenFile?: string }): Promise<string> {
  if (opts.tokenFile) return (await readFile(opts.tokenFile, 'utf8')).trim();
  if (opts.token === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').trim();
  }
  return opts.token ?? '';
}

export async function runEnrolFromCli(opts: { data: string; token?: string; tokenFile?: string; lang?: string; force?: boolean }): Promise<number> {
  const lang: Language = opts.lang === 'en' ? 'en' : 'fr';
  const t = tunnelTexts[lang];
  const dataDir = resolve(opts.data);
  try {
    const r = await enrolAgent(dataDir, await tokenOf(opts), { lang, force: opts.force === true }, { agentVersion: pkg.version });
    const addr = r.state.tunnel.addresses.map((a) => a.replace(/\/\d+$/, '')).join(', ');
    const lines = [t.enrolled(r.state.siteName, r.state.site, addr, r.state.hubUrl)];
    if (r.replacedKey) lines.push(t.reenrolled);
    lines.push(t.keyKept(join(tunnelDir(dataDir), 'private.key')), t.next(dataDir));
    process.stdout.write(`${lines.join('\n')}\n`);
    process.exitCode = 0;
    return 0;
  } catch (err) {
    if (!(err instanceof EnrolError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
    return 1;
  }
}

/**
 * What enrolment leaves on the box, in DATA/tunnel/ (0700), every file 0600 and written durably:
 * - `private.key`: the agent's WireGuard private key, made here (it never leaves the box);
 * - `private.key.next`: a new key during a rotation (or a re-enrolment), until the hub has it;
 * - `enrolment.json`: site, agent id, the hub's API URL through the tunnel, the enrolment URL and
 *   certificate pin (for clock reports), and the tunnel configuration (with the pair's preshared
 *   key: a secret, hence 0600);
 * - `credential`: the agent's API credential.
 * Contract: readers validate against the schema; `readEnrolment` is undefined when the box has
 * not enrolled; a key file that is not a WireGuard key is an error, never silently replaced.
 */
import { readFile, chmod, unlink, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { ensureDir, fsyncDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/validate.ts';
import { AgentId, IsoDateTime, Urgency } from '../../protocol/common.ts';
import { CertificatePin, EnrolSiteId, TunnelConfig } from '../../protocol/enrolment.ts';
import { isWireGuardKey } from '../../provisioning/wireguard/keys.ts';

export const EnrolmentState = Type.Object({
  version: Type.Literal(1),
  site: EnrolSiteId,
  siteName: Type.String({ maxLength: 200 }),
  agentId: AgentId,
  hubUrl: Type.String({ pattern: '^https?://' }),
  enrolUrl: Type.String({ pattern: '^https://' }),
  pin: CertificatePin,
  tunnel: TunnelConfig,
  enrolledAt: IsoDateTime,
  defaultUrgency: Type.Optional(Urgency),
});
export type EnrolmentState = Static<typeof EnrolmentState>;

export function tunnelDir(dataDir: string): string {
  return join(dataDir, 'tunnel');
}

const file = (dataDir: string, name: string) => join(tunnelDir(dataDir), name);

export async function prepareTunnelDir(dataDir: string): Promise<string> {
  const dir = tunnelDir(dataDir);
  await ensureDir(dir);
  await chmod(dir, 0o700);
  return dir;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export class EnrolmentFileError extends Error {}

/** Synchronous form for the configuration loader. */
export function parseEnrolment(text: string, path: string): EnrolmentState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new EnrolmentFileError(`${path} is not JSON`);
  }
  if (!check(EnrolmentState, v)) throw new EnrolmentFileError(`${path} is not a valid enrolment`);
  return v;
}

export async function readEnrolment(dataDir: string): Promise<EnrolmentState | undefined> {
  const path = file(dataDir, 'enrolment.json');
  const text = await readText(path);
  return text === undefined ? undefined : parseEnrolment(text, path);
}

export async function writeEnrolment(dataDir: string, e: EnrolmentState, credential: string): Promise<void> {
  await prepareTunnelDir(dataDir);
  await writeFileDurable(file(dataDir, 'credential'), `${credential}\n`, { mode: 0o600 });
  await writeFileDurable(file(dataDir, 'enrolment.json'), `${JSON.stringify(e, null, 2)}\n`, { mode: 0o600 });
}

export function credentialPath(dataDir: string): string {
  return file(dataDir, 'credential');
}

async function readKey(path: string): Promise<string | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  const key = text.trim();
  if (!isWireGuardKey(key)) throw new EnrolmentFileError(`${path} does not hold a WireGuard private key`);
  return key;
}

export const readPrivateKey = (dataDir: string) => readKey(file(dataDir, 'private.key'));
export const readNextKey = (dataDir: string) => readKey(file(dataDir, 'private.key.next'));

/** Stores a new key as `private.key.next` (0600), durably. */
export async function writeNextKey(dataDir: string, privateKey: string): Promise<void> {
  await prepareTunnelDir(dataDir);
  await writeFileDurable(file(dataDir, 'private.key.next'), `${privateKey}\n`, { mode: 0o600 });
}

/** The next key becomes the key (one rename, then the directory is fsynced). */
export async function commitNextKey(dataDir: string): Promise<void> {
  await rename(file(dataDir, 'private.key.next'), file(dataDir, 'private.key'));
  await fsyncDir(tunnelDir(dataDir));
}

export async function dropNextKey(dataDir: string): Promise<void> {
  await unlink(file(dataDir, 'private.key.next')).catch(() => {});
}

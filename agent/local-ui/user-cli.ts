/**
 * `relais agent user add`: creates a local user of the agent page. The password comes from
 * standard input (first line), never from the command line (it would show in `ps`).
 */
import { resolve } from 'node:path';
import { LocalUsers } from './local-users.ts';

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export async function addLocalUserFromCli(opts: { data: string; user: string; name: string; role: string }): Promise<number> {
  if (!['clinician', 'technician', 'admin'].includes(opts.role)) {
    process.stderr.write('--role: clinician | technician | admin\n');
    return 2;
  }
  if (process.stdin.isTTY) process.stderr.write('Mot de passe (au moins 8 caractères) / password (8 characters or more): ');
  const password = await readStdinLine();
  try {
    await new LocalUsers(resolve(opts.data)).add(opts.user, opts.name || opts.user, opts.role as 'clinician', password, new Date());
  } catch (err) {
    process.stderr.write(`relais agent user add: ${(err as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`user ${opts.user} ready\n`);
  return 0;
}

/**
 * `relais hub` alert channels as operators configure them: a config file (mode 0600) naming
 * the SMS gateway and its token makes the running hub text the on-call radiologist when a
 * study arrives (through the SMS gateway simulator); secrets on argv and a world-readable
 * file holding secrets are refused before the hub touches its data directory (exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile, chmod, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { RELAIS_CLI as CLI, startHubProcess } from './hub-process.ts';
import { waitFor } from '../fakes/wait.ts';
import { prepare, putInstance } from './hub-harness.ts';
import { startSmsGateway } from '../../simulators/sms-gateway/server.ts';
import { demoRota, DEMO_DISPATCH } from '../../simulators/demo/dispatch.ts';

const run = promisify(execFile);
const last = (out: string) => out.trim().split('\n').pop()!;

const hub = (args: string[]) => startHubProcess(args, { ...process.env, RELAIS_SMS_TOKEN: '' });

test('relais hub --config: the SMS gateway of a private config file gets the on-call radiologist\'s alert', { timeout: 90_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-hub-config-'));
  const gateway = await startSmsGateway({ token: 'gateway-secret-token' });
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  });
  const data = join(dir, 'data');
  const config = join(dir, 'hub.json');
  await writeFile(config, JSON.stringify({ sms: { url: gateway.url, token: 'gateway-secret-token', sender: 'RELAIS' } }));

  const openConfig = join(dir, 'open.json');
  await writeFile(openConfig, JSON.stringify({ sms: { url: gateway.url, token: 'gateway-secret-token' } }));
  await chmod(openConfig, 0o644);
  await chmod(config, 0o600);
  const open = hub(['--data', data, '--port', '0', '--config', openConfig]);
  const argv = hub(['--data', data, '--port', '0', '--smtp-url', 'smtp://relais:motdepasse@127.0.0.1:25', '--mail-from', 'relais@hub.test', '--lang', 'en']);
  children.push(open.child, argv.child);
  assert.equal(await open.exit, 2);
  assert.match(open.stderr(), /contient des secrets mais son mode est 0644/);
  assert.equal(await argv.exit, 2);
  assert.match(argv.stderr(), /--smtp-url must not carry credentials/);
  await assert.rejects(readdir(data), 'nothing written before the configuration is valid');

  const relais = async (...args: string[]) => last((await run(process.execPath, [CLI, ...args])).stdout);
  const [credential, admin] = await Promise.all([
    relais('provision', 'agent', '--data', data, '--name', 'Urgences', '--site', DEMO_DISPATCH.siteId),
    relais('provision', 'user', '--data', data, '--name', 'admin', '--role', 'admin'),
  ]);
  const ok = hub(['--data', data, '--port', '0', '--config', config, '--log-level', 'warn']);
  children.push(ok.child);
  const url = await ok.url;
  const r = demoRota();
  r.radiologists[0]!.channels = { sms: '+33612345678' };
  const seeded = await fetch(`${url}/api/v1/dispatch/rota`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(r) });
  assert.equal(seeded.status, 200);
  const inst = await prepare(listFiles(SHARED_CT)[0]!);
  const res = await putInstance(url, credential, inst, 'emergency');
  assert.equal(res.status, 201);
  const sms = await waitFor(() => gateway.messages().find((m) => m.to === '+33612345678'), 'the SMS at the gateway', { timeoutMs: 15_000 });
  assert.match(sms.text, /^Relais : examen URGENT CT brain de Urgences de démonstration, réf\. [0-9A-Z]{6}, pour vous\./);
  assert.equal(sms.sender, 'RELAIS');
  ok.child.kill('SIGTERM');
  assert.equal(await ok.exit, 0);
});

/**
 * The demo's dispatch against a real `relais hub` process, provisioned with the CLI exactly as
 * `relais demo` does: the demo rota is seeded over HTTP with the admin token, an agent's
 * upload opens a case assigned to the demo radiologist (« assigné à … » read back from the
 * timeline), who takes it in charge; SIGTERM stops the hub (and its dispatch engine) cleanly
 * with exit 0, and after a restart the case is still there, taken in charge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { RELAIS_CLI as CLI, startHubProcess } from './hub-process.ts';
import { prepare, putInstance } from './hub-harness.ts';
import { DEMO_DISPATCH, seedDemoRota, takeInCharge, waitForAssignment } from '../../simulators/demo/dispatch.ts';
import { DISPATCH_ROUTES } from '../../protocol/dispatch.ts';

const run = promisify(execFile);
const last = (out: string) => out.trim().split('\n').pop()!;

test('demo dispatch on a real hub process: seeded rota, « assigné à … », taken in charge, clean stop, durable case', { timeout: 90_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-demo-dispatch-'));
  const hubs: ChildProcess[] = [];
  t.after(async () => {
    for (const h of hubs) if (h.exitCode === null) h.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  const relais = async (...args: string[]) => last((await run(process.execPath, [CLI, ...args])).stdout);
  const [credential, operator, admin, radiologist] = await Promise.all([
    relais('provision', 'agent', '--data', dir, '--name', 'Démo — scanner des urgences', '--site', DEMO_DISPATCH.siteId),
    relais('provision', 'user', '--data', dir, '--name', 'operateur', '--role', 'operator'),
    relais('provision', 'user', '--data', dir, '--name', 'admin', '--role', 'admin'),
    relais('provision', 'user', '--data', dir, '--name', 'radiologue', '--role', 'radiologist', '--radiologist-id', DEMO_DISPATCH.radiologistId),
  ]);

  const first = startHubProcess(['--data', dir, '--port', '0', '--log-level', 'warn']);
  hubs.push(first.child);
  const url = await first.url;
  await seedDemoRota(url, admin);
  const inst = await prepare(listFiles(SHARED_CT)[0]!);
  const res = await putInstance(url, credential, inst, 'emergency');
  assert.equal(res.status, 201);
  const assigned = await waitForAssignment(url, operator, inst.study, 10_000);
  assert.equal(assigned.text, "assigné à Dr Camille Martin : d'astreinte neuro (Garde régionale (démo)), 0 dossier ouvert sur 10");
  assert.equal(assigned.radiologistId, DEMO_DISPATCH.radiologistId);
  assert.match(await takeInCharge(url, radiologist, inst.study), /^pris en charge par Dr Camille Martin/);

  first.child.kill('SIGTERM');
  assert.equal(await first.exit, 0, 'graceful stop, dispatch engine included');

  const second = startHubProcess(['--data', dir, '--port', '0', '--log-level', 'warn']);
  hubs.push(second.child);
  const url2 = await second.url;
  const c = await fetch(`${url2}${DISPATCH_ROUTES.case(inst.study)}`, { headers: { authorization: `Bearer ${operator}` } });
  assert.equal(c.status, 200);
  const body = (await c.json()) as { state: string; siteId: string; assignee: string };
  assert.deepEqual([body.state, body.siteId, body.assignee], ['acknowledged', DEMO_DISPATCH.siteId, DEMO_DISPATCH.radiologistId]);
  second.child.kill('SIGTERM');
  assert.equal(await second.exit, 0);
});

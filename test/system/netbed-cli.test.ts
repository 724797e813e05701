/**
 * `relais sim testbed` as an operator or a developer uses it: up prints where things are, exec
 * runs in the namespaces, cut and stats act on the running relay, down removes everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../data.ts';
import { stopTestbed } from '../../simulators/testbed/testbed.ts';
import { assertNothingLeft, requireRoot, uniqueName } from './netbed-leftovers.ts';

function relais(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'relais.js'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('relais sim testbed up / exec / cut / stats / down', { timeout: 180_000 }, async (t) => {
  requireRoot();
  const name = uniqueName('c');
  t.after(() => stopTestbed(name).catch(() => {}));

  const up = await relais(['sim', 'testbed', 'up', '--name', name, '--profile', 'rural-4g', '--seed', '42']);
  assert.equal(up.code, 0, up.stderr);
  const bed = JSON.parse(up.stdout);
  assert.equal(bed.profile, 'rural-4g');
  assert.equal(bed.seed, 42);
  assert.equal(bed.hub.ns, `${name}-hub`);
  assert.equal(bed.sites[0].ns, `${name}-site0`);
  const hubAddr: string = bed.hub.ipv4;

  const ping = await relais(['sim', 'testbed', 'exec', '--name', name, '--side', 'site', '--', 'ping', '-c', '3', '-i', '0.2', '-W', '2', hubAddr]);
  assert.equal(ping.code, 0, ping.stderr);
  const hubAddrs = await relais(['sim', 'testbed', 'exec', '--name', name, '--side', 'hub', '--', 'ip', '-br', 'address']);
  assert.match(hubAddrs.stdout, new RegExp(hubAddr.replace(/\./g, '\\.')));

  const cut = await relais(['sim', 'testbed', 'cut', '--name', name, '--seconds', '60']);
  assert.equal(JSON.parse(cut.stdout).down, true);
  const noPing = await relais(['sim', 'testbed', 'exec', '--name', name, '--', 'ping', '-c', '1', '-W', '1', hubAddr]);
  assert.notEqual(noPing.code, 0, 'exec passes the exit status on');
  assert.equal(JSON.parse((await relais(['sim', 'testbed', 'cut', '--name', name, '--restore'])).stdout).down, false);

  const stats = JSON.parse((await relais(['sim', 'testbed', 'stats', '--name', name])).stdout);
  assert.equal(stats.relay.profile, 'rural-4g');
  assert.ok(stats.relay.up.drops.outage >= 1);
  assert.equal(stats.wireguard.peers.length, 1);
  assert.ok(stats.wireguard.peers[0].latestHandshakeMs);

  const again = await relais(['sim', 'testbed', 'up', '--name', name]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already exists/);

  const down = await relais(['sim', 'testbed', 'down', '--name', name]);
  assert.equal(down.code, 0, down.stderr);
  await assertNothingLeft(name, bed.relay.pid);
});

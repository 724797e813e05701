import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { WireGuard } from './wg.ts';
import { parseWgDump } from './dump.ts';
import { inNetns, type CommandRunner, type RunOptions } from './command-runner.ts';

const PRIVATE = 'SF/H1C9ahFUVJ5+YzBcl2LlS8HhdP+4SNrl9fkp5YmQ=';
const PEER = 'CjRqOaDTCLFbiUR+QlK1vruq7aQOrJEi9p9uZQNwm1M=';
const PSK = 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=';

interface Call {
  file: string;
  args: readonly string[];
  opts: RunOptions | undefined;
  /** Content and mode of a secret file named in the arguments, read while the command runs. */
  secret?: { path: string; content: string; mode: number; dirMode: number };
}

function recorder(stdout = ''): { runner: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    runner: {
      run: async (file, args, opts) => {
        const call: Call = { file, args, opts };
        const i = args.findIndex((a) => a === 'private-key' || a === 'preshared-key');
        if (i >= 0) {
          const path = args[i + 1]!;
          call.secret = {
            path,
            content: readFileSync(path, 'utf8'),
            mode: statSync(path).mode & 0o777,
            dirMode: statSync(path.replace(/\/[^/]+$/, '')).mode & 0o777,
          };
        }
        calls.push(call);
        return { stdout, stderr: '' };
      },
    },
  };
}

test('secrets reach wg in a private 0600 file removed right after, never in its arguments', async () => {
  const { runner, calls } = recorder();
  const wg = new WireGuard(runner);
  await wg.setPrivateKey('rb1-wh', PRIVATE);
  await wg.setPeer('rb1-wh', { publicKey: PEER, presharedKey: PSK, allowedIps: ['10.99.0.2/32'], endpoint: '192.0.2.2:51900', persistentKeepalive: 25 });
  const [key, peer] = calls;
  assert.deepEqual(key!.args, ['set', 'rb1-wh', 'private-key', key!.secret!.path]);
  assert.deepEqual(key!.secret, { path: key!.secret!.path, content: `${PRIVATE}\n`, mode: 0o600, dirMode: 0o700 });
  assert.deepEqual(peer!.args, [
    'set', 'rb1-wh', 'peer', PEER, 'preshared-key', peer!.secret!.path, 'endpoint', '192.0.2.2:51900',
    'persistent-keepalive', '25', 'allowed-ips', '10.99.0.2/32',
  ]);
  assert.equal(peer!.secret!.content, `${PSK}\n`);
  assert.equal(peer!.secret!.mode, 0o600);
  for (const c of calls) {
    assert.equal(existsSync(c.secret!.path), false, 'secret file removed');
    for (const a of c.args) assert.ok(!a.includes(PRIVATE) && !a.includes(PSK));
    assert.equal(c.opts, undefined);
  }
});

test('removing a peer names only that peer', async () => {
  const { runner, calls } = recorder();
  await new WireGuard(runner).removePeer('rb1-wh', PEER);
  assert.deepEqual(calls[0]!.args, ['set', 'rb1-wh', 'peer', PEER, 'remove']);
});

test('inputs are checked before any command runs', async () => {
  const { runner, calls } = recorder();
  const wg = new WireGuard(runner);
  await assert.rejects(wg.setPeer('rb1-wh', { publicKey: 'x', allowedIps: [] }), TypeError);
  await assert.rejects(wg.setPeer('rb1-wh', { publicKey: PEER, allowedIps: ['10.0.0.1/40'] }), TypeError);
  await assert.rejects(wg.setPeer('rb1-wh', { publicKey: PEER, allowedIps: [], endpoint: '--help' }), TypeError);
  await assert.rejects(wg.setPrivateKey('name; rm -rf /', PRIVATE), TypeError);
  await assert.rejects(wg.status('much-too-long-interface-name'), TypeError);
  assert.equal(calls.length, 0);
});

test('status reads handshake, traffic and endpoint per peer and drops the private key', async () => {
  const dump = readFileSync(new URL('./testdata/hub-dump.txt', import.meta.url), 'utf8');
  const { runner, calls } = recorder(dump);
  const status = await new WireGuard(runner).status('rb1-wh');
  assert.deepEqual(calls[0]!.args, ['show', 'rb1-wh', 'dump']);
  assert.deepEqual(status.interface, { publicKey: 'zYJWe2Msk7JXDSQbDYlOXm6aGqXy7+A3cfGBiQKpeHA=', listenPort: 51820, fwmark: null });
  assert.deepEqual(status.peers[0], {
    publicKey: PEER,
    hasPresharedKey: true,
    endpoint: '127.0.0.1:41234',
    allowedIps: ['10.99.0.2/32', 'fd5e:1c2b:77a0::2/128'],
    latestHandshakeMs: 1763912345000,
    rxBytes: 184320,
    txBytes: 7340032,
    persistentKeepaliveSeconds: 25,
  });
  assert.deepEqual(status.peers[1], {
    publicKey: 'gVHRqIZxi+eQIqxptzd4oCxTI9DhFDkYYzAPZryh6lE=',
    hasPresharedKey: false,
    endpoint: null,
    allowedIps: ['10.99.0.3/32'],
    latestHandshakeMs: null,
    rxBytes: 0,
    txBytes: 0,
    persistentKeepaliveSeconds: null,
  });
  assert.doesNotMatch(JSON.stringify(status), /SF\/H1C9a|hSDwCYkw/, 'no private or preshared key in the result');
  assert.throws(() => parseWgDump('a\tb\n'), /expected 4/);
});

test('inNetns runs the program inside the namespace', async () => {
  const { runner, calls } = recorder();
  await inNetns('rb1-hub', runner).run('wg', ['show']);
  assert.deepEqual(calls[0]!.args, ['netns', 'exec', 'rb1-hub', 'wg', 'show']);
  assert.equal(calls[0]!.file, 'ip');
  assert.throws(() => inNetns('bad name', runner), TypeError);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../test/fakes/manual-clock.ts';
import {
  AddressPool, PoolExhaustedError, addressesAt, allocateIn, emptyPool, generateUlaPrefix, releaseIn,
} from './address-pool.ts';

const CFG = { ipv4: '10.99.0.0/24', ipv6: 'fd5e:1c2b:77a0::/64' };
const now = new Date('2026-11-23T10:00:00Z');

test('host numbers map to the same host in both families; 1 is the hub', () => {
  assert.deepEqual(addressesAt(CFG, 1), { ipv4: '10.99.0.1', ipv6: 'fd5e:1c2b:77a0::1' });
  assert.deepEqual(addressesAt(CFG, 254), { ipv4: '10.99.0.254', ipv6: 'fd5e:1c2b:77a0::fe' });
  assert.deepEqual(addressesAt({ ipv4: '10.64.0.0/16', ipv6: null }, 258), { ipv4: '10.64.1.2', ipv6: null });
  assert.throws(() => addressesAt(CFG, 255), RangeError, 'broadcast is never a host');
});

test('allocation gives distinct addresses, is idempotent per owner, and never hands out an assigned one', () => {
  let state = emptyPool(CFG);
  const seen = new Set<string>();
  for (let i = 0; i < 253; i++) {
    const r = allocateIn(state, `site-${i}`, now);
    state = r.state;
    assert.ok(!seen.has(r.assignment.ipv4!), 'unique');
    seen.add(r.assignment.ipv4!);
  }
  assert.equal(allocateIn(state, 'site-7', now).assignment.ipv4, '10.99.0.9', 'same owner, same address');
  assert.throws(() => allocateIn(state, 'one-too-many', now), PoolExhaustedError);
  state = releaseIn(state, 'site-100').state;
  const again = allocateIn(state, 'newcomer', now).assignment;
  assert.equal(again.ipv4, '10.99.0.102', 'the only free address, once released');
});

test('a released address is reused only after the other free ones', () => {
  let state = emptyPool({ ipv4: '10.99.0.0/29', ipv6: null }); // hosts 2..6
  for (const o of ['a', 'b']) state = allocateIn(state, o, now).state; // .2 .3
  state = releaseIn(state, 'a').state;
  const order: string[] = [];
  for (const o of ['c', 'd', 'e', 'f']) {
    const r = allocateIn(state, o, now);
    state = r.state;
    order.push(r.assignment.ipv4!);
  }
  assert.deepEqual(order, ['10.99.0.4', '10.99.0.5', '10.99.0.6', '10.99.0.2']);
});

test('pool definitions are checked: family, host bits, size, ULA', () => {
  assert.throws(() => emptyPool({ ipv4: '10.99.0.1/24' }), /host bits/);
  assert.throws(() => emptyPool({ ipv4: 'fd00::/64' }), /not an ipv4/);
  assert.throws(() => emptyPool({ ipv4: '10.0.0.0/31' }), /too small/);
  assert.throws(() => emptyPool({ ipv6: '2001:db8::/64' }), /unique local/);
  assert.throws(() => emptyPool({}), /needs/);
  assert.throws(() => allocateIn(emptyPool(CFG), 'bad owner!', now), TypeError);
  const ula = generateUlaPrefix(() => Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]));
  assert.equal(ula, 'fd12:3456:789a::/64');
  assert.match(generateUlaPrefix(), /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
});

test('the pool survives a restart: assignments are on disk before allocate resolves', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-pool-'));
  try {
    const file = join(dir, 'pool.json');
    const clock = new ManualClock('2026-11-23T10:00:00Z');
    const pool = await AddressPool.open(file, CFG, clock);
    assert.deepEqual(pool.hub(), { ipv4: '10.99.0.1', ipv6: 'fd5e:1c2b:77a0::1' });
    // Concurrent calls are serialised: two owners never get the same address.
    const [a, b] = await Promise.all([pool.allocate('site-a'), pool.allocate('site-b')]);
    assert.notEqual(a.ipv4, b.ipv4);
    assert.equal(a.assignedAt, '2026-11-23T10:00:00.000Z');
    const onDisk = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(onDisk.assignments.length, 2);
    const reopened = await AddressPool.open(file, CFG, clock);
    assert.deepEqual(reopened.get('site-b'), b);
    assert.equal(reopened.ownerOf('fd5e:1c2b:77a0:0:0:0:0:2'), 'site-a');
    assert.equal(reopened.ownerOf('10.99.0.3'), 'site-b');
    assert.equal((await reopened.allocate('site-c')).ipv4, '10.99.0.4');
    assert.deepEqual(await reopened.release('site-a'), a);
    assert.equal(await reopened.release('site-a'), null);
    assert.deepEqual(reopened.prefixes(), { ipv4: 24, ipv6: 64 });
    // Configured networks must match the file; a corrupted file is refused.
    await assert.rejects(AddressPool.open(file, { ipv4: '10.98.0.0/24', ipv6: CFG.ipv6 }, clock), /not the configured/);
    await writeFile(file, JSON.stringify({ ...onDisk, nextIndex: 'x' }));
    await assert.rejects(AddressPool.open(file, CFG, clock), /invalid/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { silentLogger } from '../../lib/logger.ts';
import { waitFor } from '../../test/fakes/wait.ts';
import { LinkRelay } from './relay.ts';
import { buildControlApp } from './control.ts';
import { createPreciseClock } from './main.ts';
import { resolveProfile } from './profiles.ts';

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

const quick = resolveProfile({
  name: 'quick',
  up: { rateBitsPerSecond: 50e6, delayMs: 2 },
  down: { rateBitsPerSecond: 50e6, delayMs: 2 },
});

test('the relay forwards both ways, gives each site its own endpoint at the hub, and obeys its control endpoint', async (t) => {
  // The "hub": echoes every datagram back to where it came from, remembering the sources.
  const hub = await bound();
  const sources = new Set<string>();
  hub.on('message', (m, r) => {
    sources.add(`${r.address}:${r.port}`);
    hub.send(m, r.port, r.address);
  });
  const relay = await LinkRelay.start({
    listen: { host: '127.0.0.1', port: 0 },
    forward: { host: '127.0.0.1', port: hub.address().port },
    profile: quick,
    seed: 1,
    clock: createPreciseClock(),
    logger: silentLogger(),
  });
  const app = buildControlApp(relay);
  const siteA = await bound();
  const siteB = await bound();
  t.after(async () => {
    await app.close();
    await relay.close();
    for (const s of [hub, siteA, siteB]) s.close();
  });
  const echoes = { a: 0, b: 0 };
  siteA.on('message', () => echoes.a++);
  siteB.on('message', () => echoes.b++);
  const to = relay.address().port;
  for (let i = 0; i < 20; i++) siteA.send(Buffer.alloc(1000, i), to, '127.0.0.1');
  for (let i = 0; i < 5; i++) siteB.send(Buffer.alloc(500, i), to, '127.0.0.1');
  await waitFor(() => echoes.a === 20 && echoes.b === 5, 'echoes through the relay');
  assert.equal(sources.size, 2, 'one endpoint per site at the hub');
  const s1 = (await app.inject({ method: 'GET', url: '/stats' })).json();
  assert.equal(s1.up.datagramsIn, 25);
  assert.equal(s1.up.bytesOut, 20 * 1000 + 5 * 500);
  assert.equal(s1.down.datagramsOut, 25);
  assert.equal(s1.clients.length, 2);

  // Cut now: datagrams are counted in and dropped as outage, nothing reaches the hub.
  const cut = await app.inject({ method: 'POST', url: '/outage', payload: { durationMs: 60_000 } });
  assert.equal(cut.statusCode, 200);
  assert.equal(cut.json().down, true);
  assert.ok(cut.json().changesInMs > 59_000);
  for (let i = 0; i < 10; i++) siteA.send(Buffer.alloc(1000), to, '127.0.0.1');
  await waitFor(() => relay.stats().up.datagramsIn === 35, 'the relay to see the datagrams sent during the cut');
  const s2 = relay.stats();
  assert.equal(s2.up.drops.outage, 10);
  assert.equal(s2.up.datagramsOut, 25);
  assert.equal(echoes.a, 20);

  // Restore: traffic flows again.
  assert.equal((await app.inject({ method: 'DELETE', url: '/outage' })).json().down, false);
  siteA.send(Buffer.alloc(1000), to, '127.0.0.1');
  await waitFor(() => echoes.a === 21, 'an echo after the cut');

  // Live profile change, and refusal of a bad one.
  const put = await app.inject({ method: 'PUT', url: '/profile', payload: { name: 'island-vsat' } });
  assert.equal(put.statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/profile' })).json().up.delayMs, 300);
  assert.equal((await app.inject({ method: 'PUT', url: '/profile', payload: { name: 'nope' } })).statusCode, 400);
  assert.equal((await app.inject({ method: 'POST', url: '/outage', payload: { durationMs: -1 } })).statusCode, 400);
  assert.equal(relay.stats().up.datagramsIn, 36, 'counters survive a profile change');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../test/fakes/manual-clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import { NotificationOutbox } from './outbox.ts';
import { memoryDeliveryStore, type ChannelAdapter, type DeliveryRequest, type Outcome } from './types.ts';

function scripted(outcomes: Outcome[]): ChannelAdapter & { sent: string[] } {
  const sent: string[] = [];
  return {
    name: 'sms',
    sent,
    async send(d) {
      sent.push(d.key);
      return outcomes.shift() ?? { status: 'ok' };
    },
  };
}

const req = (key: string): DeliveryRequest => ({
  key, caseId: 'c1', alert: 'study-assigned', channel: 'sms', recipient: { kind: 'radiologist', id: 'r1', label: 'Dr R1' }, address: '+33600000001',
  message: { subject: 's', short: 'hello', body: 'b', event: 'alert', data: {} },
});

test('a key is delivered once, even when enqueued again or after a restart', async () => {
  const clock = new ManualClock('2026-06-01T00:00:00Z');
  const store = memoryDeliveryStore();
  const ch = scripted([]);
  const ob = new NotificationOutbox({ clock, channels: [ch], store, logger: silentLogger() });
  await ob.start();
  assert.deepEqual(await ob.enqueue([req('k1'), req('k1')]), ['k1']);
  await ob.idle();
  assert.deepEqual(await ob.enqueue([req('k1')]), []);
  const again = new NotificationOutbox({ clock, channels: [ch], store, logger: silentLogger() });
  await again.start();
  assert.deepEqual(await again.enqueue([req('k1')]), []);
  await again.idle();
  assert.deepEqual(ch.sent, ['k1']);
  assert.equal(again.list()[0]!.status, 'sent');
});

test('transient failures retry with backoff on the clock, every attempt recorded; permanent ones stop', async () => {
  const clock = new ManualClock('2026-06-01T00:00:00Z');
  const ch = scripted([{ status: 'retry', detail: 'HTTP 503' }, { status: 'retry', detail: 'HTTP 503' }, { status: 'ok' }, { status: 'fail', detail: 'HTTP 400' }]);
  const settled: string[] = [];
  const ob = new NotificationOutbox({ clock, channels: [ch], store: memoryDeliveryStore(), logger: silentLogger(), random: () => 1, onSettled: (d) => settled.push(`${d.key}:${d.status}`) });
  await ob.start();
  await ob.enqueue([req('k1')]);
  await ob.idle();
  assert.equal(ch.sent.length, 1);
  await clock.advanceAsync(4_999);
  await ob.idle();
  assert.equal(ch.sent.length, 1, 'no retry before the backoff delay');
  await clock.advanceAsync(1);
  await ob.idle();
  assert.equal(ch.sent.length, 2);
  await clock.advanceAsync(10_000);
  await ob.idle();
  const d = ob.list()[0]!;
  assert.equal(d.status, 'sent');
  assert.deepEqual(d.attempts.map((a) => a.outcome), ['retry', 'retry', 'ok']);
  await ob.enqueue([req('k2')]);
  await ob.idle();
  assert.equal(ob.list((x) => x.key === 'k2')[0]!.status, 'failed');
  assert.deepEqual(settled, ['k1:sent', 'k2:failed']);
});

test('a pending delivery resumes after a restart', async () => {
  const clock = new ManualClock('2026-06-01T00:00:00Z');
  const store = memoryDeliveryStore();
  const down = scripted([{ status: 'retry', detail: 'unreachable' }]);
  const ob = new NotificationOutbox({ clock, channels: [down], store, logger: silentLogger(), random: () => 0 });
  await ob.start();
  await ob.enqueue([req('k1')]);
  await ob.stop();
  const up = scripted([]);
  const ob2 = new NotificationOutbox({ clock, channels: [up], store, logger: silentLogger() });
  await ob2.start();
  await clock.advanceAsync(60_000);
  await ob2.idle();
  assert.deepEqual(up.sent, ['k1']);
  assert.equal(ob2.list()[0]!.attempts.length, 2);
});

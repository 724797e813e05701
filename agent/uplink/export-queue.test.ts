import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, flushMicrotasks } from '../../test/fakes/manual-clock.ts';
import { ExportQueue, LinkGate, type RunResult } from './export-queue.ts';

const POLICY = { baseMs: 1_000, factor: 2, maxMs: 8_000, minMs: 0 };

/** Runs that last until the test finishes them or their signal aborts (a paused upload). */
function harness(opts: { concurrency: number; preempt?: boolean; openAt?: (now: number) => number }) {
  const clock = new ManualClock(0);
  const log: string[] = [];
  const running = new Map<string, { finish: (r: RunResult) => void; attempt: number }>();
  const q = new ExportQueue<string>({
    clock,
    random: () => 0.5,
    policy: POLICY,
    gate: new LinkGate(clock, POLICY, () => 0.5),
    concurrency: opts.concurrency,
    lanes: 3,
    preempt: opts.preempt ?? true,
    ...(opts.openAt ? { openAt: opts.openAt } : {}),
    run: (key, attempt, signal) =>
      new Promise<RunResult>((resolve) => {
        log.push(`start ${key}#${attempt}`);
        running.set(key, { finish: resolve, attempt });
        signal.addEventListener('abort', () => {
          log.push(`paused ${key}`);
          running.delete(key);
          resolve({ retry: true, linkDown: false });
        });
      }),
  });
  const finish = async (key: string) => {
    running.get(key)!.finish('done');
    running.delete(key);
    await flushMicrotasks();
  };
  return { clock, q, log, running, finish };
}

test('an emergency arriving behind a busy backlog starts at once and has the link to itself until it is done', async () => {
  const h = harness({ concurrency: 2 });
  for (const k of ['d1', 'd2', 'd3']) h.q.add(k, k, 2);
  h.q.add('s1', 's1', 1);
  h.q.start();
  await flushMicrotasks();
  assert.deepEqual([...h.running.keys()], ['s1', 'd1'], 'scheduled before deferred');

  h.q.add('e1', 'e1', 0);
  await flushMicrotasks();
  assert.deepEqual([...h.running.keys()], ['e1'], 'both uploads paused: nothing shares the link with the emergency');
  assert.ok(h.log.indexOf('paused d1') < h.log.indexOf('start e1#0'));
  assert.ok(h.log.indexOf('paused s1') < h.log.indexOf('start e1#0'));

  await h.finish('e1');
  assert.deepEqual([...h.running.keys()].sort(), ['d1', 's1'], 'the paused uploads resume first in their lanes, without waiting for a backoff');
  assert.ok(h.log.includes('start d1#0') && h.log.includes('start s1#0'), 'a pause is not counted as a failed attempt');
  assert.equal(h.clock.pending, 0, 'no retry timer');
});

test('two emergencies pause two uploads; emergencies never pause each other', async () => {
  const h = harness({ concurrency: 2 });
  h.q.add('d1', 'd1', 2);
  h.q.add('e0', 'e0', 0);
  h.q.start();
  await flushMicrotasks();
  h.q.add('e1', 'e1', 0);
  await flushMicrotasks();
  assert.deepEqual([...h.running.keys()].sort(), ['e0', 'e1']);
  h.q.add('e2', 'e2', 0);
  await flushMicrotasks();
  assert.deepEqual([...h.running.keys()].sort(), ['e0', 'e1'], 'the third emergency waits for a free stream');
  await h.finish('e0');
  assert.deepEqual([...h.running.keys()].sort(), ['e1', 'e2']);
  await h.finish('e1');
  await h.finish('e2');
  assert.deepEqual([...h.running.keys()], ['d1']);
});

test('the budget holds scheduled and deferred work until the window reopens, never emergencies', async () => {
  let openAt = 60_000;
  const h = harness({ concurrency: 2, openAt: (now) => Math.max(now, openAt) });
  h.q.add('s1', 's1', 1);
  h.q.start();
  await flushMicrotasks();
  assert.deepEqual([...h.running.keys()], [], 'budget spent: scheduled work waits');
  h.q.add('e1', 'e1', 0);
  await flushMicrotasks();
  assert.deepEqual([...h.running.keys()], ['e1'], 'an emergency does not');
  await h.clock.advanceAsync(59_999);
  assert.deepEqual([...h.running.keys()], ['e1']);
  await h.finish('e1');
  await h.clock.advanceAsync(1);
  assert.deepEqual([...h.running.keys()], ['s1'], 'the next window lets it go');
  openAt = 0;
});

test('a run may hand its item back (budget spent mid-transfer): it goes first in its lane, attempt unchanged', async () => {
  const h = harness({ concurrency: 1, preempt: false });
  h.q.add('s1', 's1', 1);
  h.q.add('s2', 's2', 1);
  h.q.start();
  await flushMicrotasks();
  h.running.get('s1')!.finish({ requeue: true });
  h.running.delete('s1');
  await flushMicrotasks();
  assert.deepEqual([...h.running.keys()], ['s1']);
  assert.equal(h.log.filter((l) => l === 'start s1#0').length, 2);
});

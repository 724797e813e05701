import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, flushMicrotasks } from '../../test/fakes/manual-clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import type { Urgency } from '../../protocol/index.ts';
import { AlertBook } from '../alerts.ts';
import type { InstanceRecord } from '../spool/record.ts';
import type { HubClient, HubReply, InstanceUpload } from './hub-client.ts';
import { LinkGate } from './export-queue.ts';
import { Uploader } from './uploader.ts';
import { BandwidthBudget } from './budget.ts';
import { TusUnsupportedError, type ResumableSender, type SendProgress } from './tus-sender.ts';
import { spoolResumeStore } from './resume-store.ts';

const POLICY = { baseMs: 1_000, factor: 2, maxMs: 8_000, minMs: 0 };
let seq = 0;
const shaOf = new Map<string, string>();
const record = (urgency: Urgency, size: number): InstanceRecord => {
  seq++;
  shaOf.set(`000000002-${seq.toString(16).padStart(12, '0')}`, seq.toString(16).padStart(64, '0'));
  return {
    v: 1, id: `000000002-${seq.toString(16).padStart(12, '0')}`, sopInstanceUid: `1.2.4.${seq}`, sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    studyInstanceUid: '1.2.4.100', seriesInstanceUid: '1.2.4.200', transferSyntaxUid: '1.2.840.10008.1.2.1', sha256: seq.toString(16).padStart(64, '0'),
    size, receivedAt: new Date(0).toISOString(), callingAeTitle: 'CT01', calledAeTitle: 'RELAIS', urgency,
  };
};
const ok = (u: InstanceUpload): HubReply => ({
  status: 201,
  body: { status: 'stored', sopInstanceUid: u.sopInstanceUid, studyInstanceUid: u.studyInstanceUid, sha256: u.sha256, version: 1, storedAt: new Date(0).toISOString() },
});

/**
 * A tus-like sender on the manual clock: `rate` bytes per second in 100 kB steps, keeping the
 * hub's offset across attempts (resume), and re-sending `tail` bytes on each resume.
 */
class FakeSender implements ResumableSender {
  offsets = new Map<string, number>();
  calls: string[] = [];
  unsupported = false;
  constructor(private clock: ManualClock, private rate: number, private tail = 0) {}
  async send(u: InstanceUpload & { spoolId: string }, o: { signal: AbortSignal; onProgress?: (p: SendProgress, d: number) => void }): Promise<HubReply> {
    this.calls.push(u.sopInstanceUid);
    if (this.unsupported) throw new TusUnsupportedError(404);
    let offset = this.offsets.get(u.spoolId) ?? 0;
    let sent = 0;
    if (offset > 0 && this.tail > 0) {
      sent += this.tail;
      o.onProgress?.({ sent, accepted: offset }, this.tail);
    }
    while (offset < u.size) {
      if (o.signal.aborted) throw new Error('aborted');
      const step = Math.min(100_000, u.size - offset);
      await new Promise<void>((r) => this.clock.setTimeout(r, (step / this.rate) * 1000));
      if (o.signal.aborted) throw new Error('aborted');
      offset += step;
      sent += step;
      this.offsets.set(u.spoolId, offset);
      o.onProgress?.({ sent, accepted: offset }, step);
    }
    return ok(u);
  }
}

function setup(opts: { sender: FakeSender; budget?: BandwidthBudget; concurrency?: number; clock: ManualClock }) {
  const puts: string[] = [];
  const hub: HubClient = {
    async putInstance(u) {
      puts.push(u.sopInstanceUid);
      return ok(u);
    },
    async postJson() {
      return { status: 404, body: undefined };
    },
    close() {},
  };
  const done: string[] = [];
  const uploader = new Uploader({
    clock: opts.clock, random: () => 0.5, hub, policy: POLICY, gate: new LinkGate(opts.clock, POLICY, () => 0.5), concurrency: opts.concurrency ?? 1,
    alerts: new AlertBook(opts.clock, 'en'), log: silentLogger(), dataPath: (id) => `/spool/${id}`, hashFile: async (path) => shaOf.get(path.slice('/spool/'.length)) ?? '',
    commitUploaded: async (r) => void done.push(r.sopInstanceUid), quarantine: async () => {}, sender: opts.sender, budget: opts.budget,
  });
  return { uploader, puts, done };
}

test('scheduled work stops mid-instance when the window budget is spent and resumes from the hub offset in the next window', async () => {
  const clock = new ManualClock(0);
  const sender = new FakeSender(clock, 1_000_000, 50_000);
  // 8 Mbit/s = 1 MB/s, 10 s windows, 20 % → 2 MB per window.
  const budget = new BandwidthBudget({ linkBitsPerSecond: 8_000_000, windowMs: 10_000, rules: [], defaultFraction: 0.2, utcOffsetMinutes: 0 });
  const s = setup({ sender, budget, clock });
  const r = record('scheduled', 3_000_000);
  s.uploader.enqueue(r);
  s.uploader.start();
  await clock.advanceAsync(2_500);
  assert.equal(sender.offsets.get(r.id), 2_000_000, 'paused at the budget: 2 MB in the first window');
  await clock.advanceAsync(5_000);
  assert.equal(sender.offsets.get(r.id), 2_000_000, 'nothing more in that window');
  const stats = s.uploader.stats();
  assert.equal(stats.lanes[1]!.bytes, 1_000_000, 'the lane counts what the hub still lacks');
  await clock.advanceAsync(5_000);
  assert.deepEqual(s.done, [r.sopInstanceUid], 'finished in the next window');
  assert.equal(sender.calls.length, 2, 'one resume');
  assert.equal(s.uploader.stats().resentBytes, 50_000, 'the re-sent tail is counted');
});

test('lanes report their current rate and an ETA; an emergency ignores the budget', async () => {
  const clock = new ManualClock(0);
  const sender = new FakeSender(clock, 1_000_000);
  const budget = new BandwidthBudget({ linkBitsPerSecond: 8_000_000, windowMs: 10_000, rules: [], defaultFraction: 0, utcOffsetMinutes: 0 });
  const s = setup({ sender, budget, clock, concurrency: 2 });
  const e = record('emergency', 5_000_000);
  const d = record('deferred', 1_000_000);
  s.uploader.enqueue(d);
  s.uploader.enqueue(e);
  s.uploader.start();
  await clock.advanceAsync(2_000);
  const lanes = s.uploader.stats().lanes;
  assert.ok(Math.abs(lanes[0]!.bytesPerSecond - 1_000_000) < 100_000, `about 1 MB/s (${lanes[0]!.bytesPerSecond})`);
  assert.ok(Math.abs(lanes[0]!.etaSeconds! - 3) < 0.3, `about 3 s left (${lanes[0]!.etaSeconds})`);
  assert.equal(lanes[2]!.bytesPerSecond, 0, 'deferred work has no budget at all here');
  assert.equal(lanes[2]!.etaSeconds, undefined);
  await clock.advanceAsync(3_000);
  assert.deepEqual(s.done, [e.sopInstanceUid]);
});

test('a hub without the tus route gets the v1 PUT', async () => {
  const clock = new ManualClock(0);
  const sender = new FakeSender(clock, 1_000_000);
  sender.unsupported = true;
  const s = setup({ sender, clock });
  const r = record('scheduled', 10);
  s.uploader.enqueue(r);
  s.uploader.start();
  await flushMicrotasks();
  await clock.advanceAsync(0);
  assert.deepEqual(s.puts, [r.sopInstanceUid]);
  assert.deepEqual(s.done, [r.sopInstanceUid]);
});

test('the resume URL is kept durably beside the queued instance, for the same bytes only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-resume-'));
  try {
    await mkdir(join(dir, 'a'));
    const store = spoolResumeStore((id) => join(dir, id));
    const sha = 'a'.repeat(64);
    assert.equal(await store.get('a', sha), undefined);
    await store.put('a', { v: 1, url: 'http://10.0.0.1:8080/api/v1/uploads/x', sha256: sha, createdAt: new Date(0).toISOString() });
    assert.equal(await store.get('a', sha), 'http://10.0.0.1:8080/api/v1/uploads/x');
    assert.equal(await store.get('a', 'b'.repeat(64)), undefined, 'other bytes (recompressed): start afresh');
    await writeFile(join(dir, 'a', 'tus.json'), '{not json');
    assert.equal(await store.get('a', sha), undefined, 'an unreadable record counts as absent');
    await store.forget('a');
    await store.forget('a');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

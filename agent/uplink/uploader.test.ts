import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, flushMicrotasks } from '../../test/fakes/manual-clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import { errorBody, type ErrorCode } from '../../protocol/index.ts';
import type { Urgency } from '../../protocol/index.ts';
import { AlertBook } from '../alerts.ts';
import type { InstanceRecord } from '../spool/record.ts';
import { HubUnreachableError, type HubClient, type HubReply, type InstanceUpload } from './hub-client.ts';
import { LinkGate } from './export-queue.ts';
import { Uploader } from './uploader.ts';
import { classifyUpload, classifyError } from './outcome.ts';

const POLICY = { baseMs: 1_000, factor: 2, maxMs: 8_000, minMs: 0 };
let seq = 0;

function record(urgency: Urgency = 'scheduled'): InstanceRecord {
  seq++;
  return {
    v: 1,
    id: `000000001-${seq.toString(16).padStart(12, '0')}`,
    sopInstanceUid: `1.2.3.${seq}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    studyInstanceUid: '1.2.3.100',
    seriesInstanceUid: '1.2.3.200',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sha256: seq.toString(16).padStart(64, '0'),
    size: 10,
    receivedAt: new Date(0).toISOString(),
    callingAeTitle: 'CT01',
    calledAeTitle: 'RELAIS',
    urgency,
  };
}

const ok = (u: InstanceUpload): HubReply => ({
  status: 201,
  body: { status: 'stored', sopInstanceUid: u.sopInstanceUid, studyInstanceUid: u.studyInstanceUid, sha256: u.sha256, version: 1, storedAt: new Date(0).toISOString() },
});
const error = (status: number, code: ErrorCode): HubReply => ({ status, body: errorBody(code) });

/** In-memory hub: answers each PUT with the next scripted reply for that SOP (default 201). */
class ScriptedHub implements HubClient {
  calls: Array<{ sop: string; at: number }> = [];
  script = new Map<string, Array<HubReply | Error | ((u: InstanceUpload) => HubReply)>>();
  held: Array<() => void> = [];
  hold = false;
  constructor(private clock: ManualClock) {}
  async putInstance(u: InstanceUpload): Promise<HubReply> {
    this.calls.push({ sop: u.sopInstanceUid, at: this.clock.now() });
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    const next = this.script.get(u.sopInstanceUid)?.shift();
    if (next instanceof Error) throw next;
    if (typeof next === 'function') return next(u);
    return next ?? ok(u);
  }
  async postJson(): Promise<HubReply> {
    return { status: 404, body: undefined };
  }
  close(): void {}
}

function setup(opts: { concurrency?: number; hashOf?: (r: InstanceRecord) => string } = {}) {
  const clock = new ManualClock(0);
  const hub = new ScriptedHub(clock);
  const alerts = new AlertBook(clock, 'en');
  const committed: string[] = [];
  const quarantined: Array<{ id: string; code: string }> = [];
  const records = new Map<string, InstanceRecord>();
  const uploader = new Uploader({
    clock,
    random: () => 0.5,
    hub,
    policy: POLICY,
    gate: new LinkGate(clock, POLICY, () => 0.5),
    concurrency: opts.concurrency ?? 1,
    alerts,
    log: silentLogger(),
    dataPath: (id) => `/spool/queue/${id}/data.dcm`,
    hashFile: async (path) => {
      const r = [...records.values()].find((x) => path.includes(x.id))!;
      return opts.hashOf ? opts.hashOf(r) : r.sha256;
    },
    commitUploaded: async (r) => void committed.push(r.sopInstanceUid),
    quarantine: async (r, reason) => void quarantined.push({ id: r.sopInstanceUid, code: reason.code }),
  });
  const add = (r: InstanceRecord) => {
    records.set(r.id, r);
    uploader.enqueue(r);
  };
  return { clock, hub, alerts, committed, quarantined, uploader, add };
}

test('transient failures retry with capped exponential backoff until a validated 2xx; only then is the copy dropped', async () => {
  const s = setup();
  const r = record();
  s.hub.script.set(r.sopInstanceUid, [error(503, 'RELAIS_HUB_UNAVAILABLE'), error(503, 'RELAIS_HUB_UNAVAILABLE'), error(500, 'RELAIS_INTERNAL'), new HubUnreachableError('ECONNREFUSED', 'refused')]);
  s.add(r);
  s.uploader.start();
  await s.clock.advanceAsync(60_000);
  // random 0.5 → half the ceiling: link pauses 500, 1000 ms; item retry after 500 (its first); link pause 2000 ms.
  assert.deepEqual(s.hub.calls.map((c) => c.at), [0, 500, 1500, 2000, 4000]);
  assert.deepEqual(s.committed, [r.sopInstanceUid]);
  assert.equal(s.uploader.pending, 0);
  assert.equal(s.uploader.lastUploadAt, 4000);
});

test('backoff is capped and retries never stop for clinical data', async () => {
  const s = setup();
  const r = record();
  s.hub.script.set(r.sopInstanceUid, Array.from({ length: 40 }, () => error(503, 'RELAIS_HUB_UNAVAILABLE')));
  s.add(r);
  s.uploader.start();
  await s.clock.advanceAsync(10 * 60_000);
  const gaps = s.hub.calls.slice(1).map((c, i) => c.at - s.hub.calls[i]!.at);
  assert.ok(gaps.every((g) => g <= POLICY.maxMs), `gaps ${gaps}`);
  assert.ok(s.hub.calls.length >= 40, `${s.hub.calls.length} attempts`);
  assert.deepEqual(s.committed, [r.sopInstanceUid]);
  assert.ok(s.alerts.has('RELAIS_AGENT_HUB_ANSWER') === false);
});

test('a permanent refusal of the content quarantines the instance with an alert, and others go on', async () => {
  const s = setup();
  const bad = record();
  const good = record();
  s.hub.script.set(bad.sopInstanceUid, [error(422, 'RELAIS_UPLOAD_NOT_DICOM')]);
  s.add(bad);
  s.add(good);
  s.uploader.start();
  await s.clock.advanceAsync(1_000);
  assert.deepEqual(s.quarantined, [{ id: bad.sopInstanceUid, code: 'RELAIS_UPLOAD_NOT_DICOM' }]);
  assert.deepEqual(s.committed, [good.sopInstanceUid]);
  assert.equal(s.hub.calls.filter((c) => c.sop === bad.sopInstanceUid).length, 1);
  assert.ok(s.alerts.list().some((a) => a.code === 'RELAIS_AGENT_QUARANTINE'));
});

test('an authentication error raises an alert and keeps retrying; success clears it', async () => {
  const s = setup();
  const r = record();
  s.hub.script.set(r.sopInstanceUid, [error(401, 'RELAIS_AUTH_INVALID'), error(401, 'RELAIS_AUTH_INVALID')]);
  s.add(r);
  s.uploader.start();
  await s.clock.advanceAsync(100);
  assert.ok(s.alerts.has('RELAIS_AUTH_INVALID'));
  assert.deepEqual(s.committed, []);
  await s.clock.advanceAsync(10_000);
  assert.deepEqual(s.committed, [r.sopInstanceUid]);
  assert.equal(s.alerts.has('RELAIS_AUTH_INVALID'), false);
});

test('a 2xx that does not acknowledge these bytes is not trusted', async () => {
  const s = setup();
  const r = record();
  s.hub.script.set(r.sopInstanceUid, [(u) => ({ ...ok(u), body: { ...(ok(u).body as object), sha256: 'f'.repeat(64) } }), { status: 200, body: { hello: 1 } }]);
  s.add(r);
  s.uploader.start();
  await s.clock.advanceAsync(30_000);
  assert.equal(s.hub.calls.length, 3);
  assert.deepEqual(s.committed, [r.sopInstanceUid]);
});

test('bytes that changed on disk since intake are quarantined, never sent', async () => {
  const s = setup({ hashOf: () => 'e'.repeat(64) });
  const r = record();
  s.add(r);
  s.uploader.start();
  await s.clock.advanceAsync(1_000);
  assert.deepEqual(s.hub.calls, []);
  assert.deepEqual(s.quarantined, [{ id: r.sopInstanceUid, code: 'RELAIS_AGENT_SPOOL_CORRUPT' }]);
});

test('emergencies overtake the backlog; an item failing alone does not hold the others', async () => {
  const s = setup();
  const backlog = [record('scheduled'), record('scheduled'), record('deferred')];
  s.hub.hold = true;
  for (const r of backlog) s.add(r);
  s.uploader.start();
  await flushMicrotasks();
  const urgent = record('emergency');
  s.add(urgent);
  s.hub.hold = false;
  s.hub.script.set(backlog[1]!.sopInstanceUid, [error(500, 'RELAIS_INTERNAL')]);
  for (const release of s.hub.held) release();
  await s.clock.advanceAsync(0);
  assert.deepEqual(s.hub.calls.map((c) => c.sop).slice(0, 4), [backlog[0]!, urgent, backlog[1]!, backlog[2]!].map((r) => r.sopInstanceUid));
  assert.deepEqual(s.committed, [backlog[0]!, urgent, backlog[2]!].map((r) => r.sopInstanceUid));
  await s.clock.advanceAsync(1_000);
  assert.equal(s.committed.length, 4);
});

test('outcome table: what is OK, RETRY and FAIL', () => {
  const sent = { sopInstanceUid: '1.2.3', sha256: 'a'.repeat(64) };
  const body = { status: 'duplicate', sopInstanceUid: '1.2.3', studyInstanceUid: '1.2', sha256: 'a'.repeat(64), version: 1, storedAt: '2026-11-23T10:00:00.000Z' };
  assert.equal(classifyUpload({ status: 200, body }, sent).kind, 'ok');
  const expect = (status: number, b: unknown, kind: string, linkDown?: boolean) => {
    const o = classifyUpload({ status, body: b }, sent);
    assert.equal(o.kind, kind, `${status} ${JSON.stringify(b)}`);
    if (linkDown !== undefined && o.kind === 'retry') assert.equal(o.linkDown, linkDown, `${status} linkDown`);
  };
  expect(200, { ...body, sopInstanceUid: '9.9' }, 'retry');
  expect(422, errorBody('RELAIS_UPLOAD_NOT_DICOM'), 'fail');
  expect(422, errorBody('RELAIS_UPLOAD_UID_MISMATCH'), 'fail');
  expect(413, errorBody('RELAIS_UPLOAD_TOO_LARGE'), 'fail');
  expect(422, errorBody('RELAIS_UPLOAD_HASH_MISMATCH'), 'retry', false);
  expect(507, errorBody('RELAIS_STORAGE_FULL'), 'retry', true);
  expect(503, undefined, 'retry', true);
  expect(500, errorBody('RELAIS_INTERNAL'), 'retry', false);
  expect(401, errorBody('RELAIS_AUTH_INVALID'), 'retry', true);
  expect(426, errorBody('RELAIS_PROTOCOL_UNSUPPORTED'), 'retry', true);
  expect(404, undefined, 'retry', true); // wrong hub URL: never quarantine the queue
  expect(400, undefined, 'retry', true); // no readable verdict: keep the data
  assert.equal(classifyError(new HubUnreachableError('ECONNRESET', 'reset')).kind, 'retry');
});

test('an item added again while it runs is run once more afterwards (late change to a study)', async () => {
  const clock = new ManualClock(0);
  const runs: string[] = [];
  let release: () => void = () => {};
  const { ExportQueue: Q, LinkGate: G } = await import('./export-queue.ts');
  const q = new Q<string>({
    clock,
    random: () => 0.5,
    policy: POLICY,
    gate: new G(clock, POLICY, () => 0.5),
    concurrency: 1,
    lanes: 1,
    run: async (v) => {
      runs.push(v);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
      return 'done';
    },
  });
  q.add('study', 'v1', 0);
  q.start();
  await flushMicrotasks();
  q.add('study', 'v2', 0); // while v1 is in flight
  q.add('study', 'v3', 0);
  release();
  await clock.advanceAsync(0);
  assert.deepEqual(runs, ['v1', 'v3']);
  assert.equal(q.size, 0);
});

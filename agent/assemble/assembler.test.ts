import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../test/fakes/manual-clock.ts';
import { StudyAssembler } from './assembler.ts';
import { urgencyDecider } from './urgency.ts';
import type { InstanceRecord } from '../spool/record.ts';

const T0 = Date.parse('2026-11-23T22:00:00Z');
let n = 0;
function record(clock: ManualClock, over: Partial<InstanceRecord> = {}): InstanceRecord {
  n++;
  return {
    v: 1,
    id: `${clock.now().toString(36).padStart(9, '0')}-${n.toString(16).padStart(12, '0')}`,
    sopInstanceUid: `1.2.3.${n}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    studyInstanceUid: '1.2.3.100',
    seriesInstanceUid: '1.2.3.200',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sha256: 'a'.repeat(64),
    size: 1000,
    receivedAt: new Date(clock.now()).toISOString(),
    callingAeTitle: 'CT01',
    calledAeTitle: 'RELAIS',
    urgency: 'scheduled',
    ...over,
  };
}

function setup(quietMs = 30_000, retentionMs = 3_600_000) {
  const clock = new ManualClock(T0);
  const complete: string[] = [];
  const purgeable: string[] = [];
  const a = new StudyAssembler({ clock, quietMs, retentionMs, onComplete: (u) => complete.push(u), onPurgeable: (u) => purgeable.push(u) });
  return { clock, a, complete, purgeable };
}

test('a study is complete only after the quiet period following its newest instance', () => {
  const { clock, a, complete } = setup();
  a.addQueued(record(clock));
  clock.advance(20_000);
  a.addQueued(record(clock)); // restarts the quiet period
  clock.advance(29_999);
  assert.deepEqual(complete, []);
  clock.advance(1);
  assert.deepEqual(complete, ['1.2.3.100']);
  const m = a.buildManifest('1.2.3.100')!;
  assert.equal(m.instances.length, 2);
  assert.equal(m.firstReceivedAt, new Date(T0).toISOString());
  assert.equal(m.lastReceivedAt, new Date(T0 + 20_000).toISOString());
  assert.equal(m.callingAeTitle, 'CT01');
});

test('a late instance after an accepted manifest reopens the study and a full manifest follows', () => {
  const { clock, a, complete } = setup();
  a.addQueued(record(clock));
  clock.advance(30_000);
  a.manifestAnswered(a.buildManifest('1.2.3.100')!, 'accepted');
  clock.advance(60_000);
  assert.equal(complete.length, 1);
  a.addQueued(record(clock));
  clock.advance(30_000);
  assert.equal(complete.length, 2);
  assert.equal(a.buildManifest('1.2.3.100')!.instances.length, 2);
});

test('an instance arriving while the manifest is in flight reopens the study', () => {
  const { clock, a, complete } = setup();
  a.addQueued(record(clock));
  clock.advance(30_000);
  const inFlight = a.buildManifest('1.2.3.100')!;
  clock.advance(1_000);
  a.addQueued(record(clock));
  a.manifestAnswered(inFlight, 'accepted');
  clock.advance(30_000);
  assert.equal(complete.length, 2);
});

test('study urgency is the most urgent of its instances; rules decide per instance', () => {
  const { clock, a } = setup();
  const decide = urgencyDecider(
    [
      { urgency: 'emergency', callingAeTitle: 'URG_CT' },
      { urgency: 'deferred', modality: 'MR', studyDescription: 'contr[oô]le' },
    ],
    'scheduled',
  );
  assert.equal(decide({ callingAeTitle: 'URG_CT', modality: 'CT' }), 'emergency');
  assert.equal(decide({ callingAeTitle: 'MR1', modality: 'mr', studyDescription: 'IRM CONTRÔLE genou' }), 'deferred');
  assert.equal(decide({ callingAeTitle: 'MR1', modality: 'MR', studyDescription: 'IRM cerebrale' }), 'scheduled');
  a.addQueued(record(clock, { urgency: 'deferred' }));
  a.addQueued(record(clock, { urgency: 'emergency' }));
  a.addQueued(record(clock, { urgency: 'scheduled' }));
  assert.equal(a.buildManifest('1.2.3.100')!.urgency, 'emergency');
});

test('a study is purgeable after retention once accepted and fully uploaded, not before', () => {
  const { clock, a, purgeable } = setup(1_000, 10_000);
  const r1 = record(clock);
  const r2 = record(clock);
  a.addQueued(r1);
  a.addQueued(r2);
  clock.advance(1_000);
  a.manifestAnswered(a.buildManifest('1.2.3.100')!, 'accepted');
  a.markUploaded(r1);
  clock.advance(60_000);
  assert.deepEqual(purgeable, [], 'an instance still waits for upload');
  a.markUploaded(r2);
  clock.advance(0);
  assert.deepEqual(purgeable, ['1.2.3.100'], 'retention counted from the manifest');
  assert.equal(a.study('1.2.3.100'), undefined, 'forgotten at once');
});

test('restored state: uploaded instances stay in the manifest and a covered study is not resent', () => {
  const { clock, a, complete } = setup();
  const uploaded = record(clock);
  const queued = record(clock);
  a.restore([{ studyInstanceUid: '1.2.3.100', uploaded: [uploaded] }], [queued]);
  clock.advance(30_000);
  assert.deepEqual(complete, ['1.2.3.100']);
  assert.equal(a.buildManifest('1.2.3.100')!.instances.length, 2);

  const b = setup();
  b.a.restore(
    [
      {
        studyInstanceUid: '1.2.3.100',
        uploaded: [uploaded],
        manifest: { v: 1, studyInstanceUid: '1.2.3.100', coversReceivedUntil: uploaded.receivedAt, instances: 1, postedAt: uploaded.receivedAt, outcome: 'accepted' },
      },
    ],
    [],
  );
  b.clock.advance(120_000);
  assert.deepEqual(b.complete, []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordInstance, recordManifest, isClosed, toStudyView, type StudyTotals } from './study-record.ts';

const totals = (n: number, manifest?: number): StudyTotals => ({
  instancesReceived: n, seriesCount: 1, bytesReceived: n * 10, modalities: ['CT'],
  manifestReceived: manifest === undefined ? undefined : Math.min(n, manifest), manifestSize: manifest, hasNewVersions: false,
});

test('a study completes when its manifest is fully present, whichever arrives last', () => {
  const base = { studyInstanceUid: '1.2.3', agentId: 'site-a', at: '2026-11-23T10:00:00.000Z', dicom: {}, patient: { name: 'DOE^JANE' } };
  let s = recordInstance(undefined, { ...base, urgency: 'deferred', totals: totals(1) });
  assert.equal(s.status, 'receiving');
  assert.equal(s.instancesExpected, null);
  s = recordManifest(s, { studyInstanceUid: '1.2.3', agentId: 'site-a', urgency: 'emergency', at: base.at, totals: totals(1, 2) });
  assert.equal(s.status, 'receiving');
  assert.equal(s.urgency, 'emergency', 'urgency only rises');
  s = recordInstance(s, { ...base, urgency: 'deferred', totals: totals(2, 2) });
  assert.equal(s.status, 'complete');
  assert.equal(s.urgency, 'emergency');
  assert.deepEqual(Object.keys(toStudyView(s)).filter((k) => k === 'patient' || k === 'dicom'), [], 'views carry no patient data');
  assert.equal(isClosed({ ...s, status: 'delivered' }, Date.parse(base.at) + 10, ['delivered'], 10), true);
  assert.equal(isClosed({ ...s, status: 'delivered' }, Date.parse(base.at) + 9, ['delivered'], 10), false);
  assert.equal(isClosed(s, Date.parse(base.at) + 1e9, ['delivered'], 10), false);
});

test('a study whose case already moved it on (assigned at the first instance) still records its completion', () => {
  const base = { studyInstanceUid: '1.2.4', agentId: 'site-a', at: '2026-11-23T10:00:00.000Z', dicom: {}, patient: {} };
  let s = recordInstance(undefined, { ...base, urgency: 'emergency', totals: totals(1, 2) });
  s = { ...s, status: 'assigned' };
  s = recordInstance(s, { ...base, at: '2026-11-23T10:01:00.000Z', urgency: 'emergency', totals: totals(2, 2) });
  assert.equal(s.status, 'assigned', 'the case status stays');
  assert.equal(s.completedAt, '2026-11-23T10:01:00.000Z');
  assert.equal(toStudyView(s).completedAt, '2026-11-23T10:01:00.000Z');
});

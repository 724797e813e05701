import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordInstance, applyMatch } from '../catalog/study-record.ts';
import { studyStatusFor } from './study-cases.ts';

const at = '2026-11-23T10:00:00.000Z';
const study = recordInstance(undefined, {
  studyInstanceUid: '1.2.5', agentId: 'site-a', at, dicom: {}, patient: {}, urgency: 'emergency',
  totals: { instancesReceived: 1, seriesCount: 1, bytesReceived: 10, modalities: ['CT'], manifestReceived: undefined, manifestSize: undefined, hasNewVersions: false },
});

test('the catalog status follows the case, except a confirmed delivery and a hold', () => {
  assert.equal(studyStatusFor(study, undefined), 'receiving', 'no case: the transfer status');
  assert.equal(studyStatusFor(study, 'acknowledged'), 'acknowledged');
  assert.equal(studyStatusFor(study, 'received'), 'receiving', 'a case waiting for someone shows the transfer');
  const delivered = { ...study, status: 'delivered' as const };
  assert.equal(studyStatusFor(delivered, undefined), 'delivered', 'the report confirmed in the site PACS stands');
  assert.equal(studyStatusFor(delivered, 'received'), 'delivered', 'a case nobody took does not pull it back to receiving');
  assert.equal(studyStatusFor(applyMatch(delivered, { hold: ['no-request'] }, at), 'assigned'), 'held', 'identity vigilance first');
});

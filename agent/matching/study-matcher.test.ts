import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchInstance, identityReasons, dicomPatientName } from './study-matcher.ts';
import type { PatientIdentity } from '../../protocol/clinical.ts';

const patient: PatientIdentity = { birthNames: 'DUPONT', firstNames: 'MARIE HELENE', sex: 'F', birthDate: '1955-08-03', localId: { value: 'IPP-1', issuer: 'CH' } };
const lookup = {
  byStudyUid: (uid: string) => (uid === '1.2.3' ? { requestId: 'rq-a', patient } : uid === '9.9' ? { requestId: 'rq-b', patient } : undefined),
  byAccession: (acc: string) => (acc === 'RL1' ? { requestId: 'rq-a', patient } : undefined),
};
const same = { patientId: 'IPP-1', patientName: 'Dupont^Marié', patientBirthDate: '19550803', patientSex: 'F' };

test('a study matches its request by Study UID or accession when the identity agrees exactly', () => {
  assert.deepEqual(matchInstance({ studyInstanceUid: '1.2.3', ...same }, lookup), { requestId: 'rq-a', reasons: [] });
  assert.deepEqual(matchInstance({ studyInstanceUid: '5.5', accessionNumber: ' RL1 ', ...same, patientName: 'DUPONT^MARIE^HELENE' }, lookup), { requestId: 'rq-a', reasons: [] });
  assert.equal(dicomPatientName(patient), 'DUPONT^MARIE^HELENE');
});

test('no request, two requests, or any identity difference holds the study (never merged)', () => {
  assert.deepEqual(matchInstance({ studyInstanceUid: '5.5', accessionNumber: 'XX', ...same }, lookup).reasons, ['no-request']);
  assert.deepEqual(matchInstance({ studyInstanceUid: '9.9', accessionNumber: 'RL1', ...same }, lookup).reasons, ['request-conflict']);
  assert.deepEqual(identityReasons({ studyInstanceUid: '1', ...same, patientId: 'IPP-2' }, patient), ['patient-id-differs']);
  assert.deepEqual(identityReasons({ studyInstanceUid: '1', ...same, patientName: 'DURAND^MARIE' }, patient), ['patient-name-differs']);
  assert.deepEqual(identityReasons({ studyInstanceUid: '1', ...same, patientBirthDate: '19550804' }, patient), ['birth-date-differs']);
  assert.deepEqual(identityReasons({ studyInstanceUid: '1', ...same, patientSex: '' }, patient), ['sex-differs'], 'an empty value cannot confirm the identity');
});

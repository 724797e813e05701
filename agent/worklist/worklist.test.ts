import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findWorklist, localDicomDateTime, type Naturalized } from './worklist.ts';

const item = (acc: string, modality: string, date: string, station: string): Naturalized => ({
  SpecificCharacterSet: 'ISO_IR 192', AccessionNumber: acc, PatientName: 'DUPONT^MARIE', PatientID: 'IPP-1', PatientBirthDate: '19550803', StudyInstanceUID: `1.2.${acc.length}`,
  ScheduledProcedureStepSequence: [{ Modality: modality, ScheduledStationAETitle: station, ScheduledProcedureStepStartDate: date, ScheduledProcedureStepStartTime: '101500' }],
});
const items = [item('RL1', 'CT', '20261124', 'CT_ROOM'), item('RL22', 'MR', '20261125', 'IRM'), item('RL333', 'CT', '20261126', '')];

test('worklist matching: modality, station AE, date range, patient ID, accession, wildcards', () => {
  const acc = (q: Naturalized) => findWorklist(items, q).map((x) => x.AccessionNumber);
  assert.deepEqual(acc({ AccessionNumber: '', ScheduledProcedureStepSequence: [{ Modality: 'CT' }] }), ['RL1', 'RL333']);
  assert.deepEqual(acc({ AccessionNumber: '', ScheduledProcedureStepSequence: [{ ScheduledStationAETitle: 'CT_ROOM' }] }), ['RL1', 'RL333'], 'an item without station matches any');
  assert.deepEqual(acc({ AccessionNumber: '', ScheduledProcedureStepSequence: [{ ScheduledProcedureStepStartDate: '20261125-' }] }), ['RL22', 'RL333']);
  assert.deepEqual(acc({ AccessionNumber: '', ScheduledProcedureStepSequence: [{ ScheduledProcedureStepStartDate: '-20261124' }] }), ['RL1']);
  assert.deepEqual(acc({ AccessionNumber: 'RL22' }), ['RL22']);
  assert.deepEqual(acc({ AccessionNumber: '', PatientID: 'IPP-2' }), []);
  assert.deepEqual(acc({ AccessionNumber: '', PatientName: [{ Alphabetic: 'dup*' }] }), ['RL1', 'RL22', 'RL333'], 'names: wildcard, case-insensitive');
});

test('the answer holds the asked keys only, unknown ones empty, charset declared', () => {
  const [first] = findWorklist(items, { AccessionNumber: 'RL1', PatientSex: '', ScheduledProcedureStepSequence: [{ Modality: '' }] });
  assert.deepEqual(first, { SpecificCharacterSet: 'ISO_IR 192', AccessionNumber: 'RL1', PatientSex: '', ScheduledProcedureStepSequence: [{ Modality: 'CT' }] });
});

test('scheduled times are given in the site zone', () => {
  assert.deepEqual(localDicomDateTime('2026-11-23T23:30:00Z', 'Europe/Paris'), { date: '20261124', time: '003000' });
  assert.deepEqual(localDicomDateTime('2026-11-24T03:30:00Z', 'America/Martinique'), { date: '20261123', time: '233000' });
});

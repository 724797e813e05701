/**
 * DICOM JSON model (PS3.18 F.2) for QIDO-RS answers, built from catalog records and instance
 * index entries. Patient-level and identifying study attributes are included only when the
 * caller may see them (`withPatient`); attributes the hub does not know are sent empty.
 */
import type { StudyRecord } from '../catalog/study-record.ts';
import type { InstanceEntry, SeriesSummary } from '../catalog/instance-index.ts';

export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

function put(o: DicomJson, tag: string, vr: string, value: string | number | undefined | null | string[]): void {
  if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) {
    o[tag] = { vr };
    return;
  }
  const values = Array.isArray(value) ? value : [value];
  o[tag] = { vr, Value: vr === 'PN' ? values.map((v) => ({ Alphabetic: String(v) })) : values };
}

export function studyJson(s: StudyRecord, baseUrl: string, withPatient: boolean): DicomJson {
  const o: DicomJson = {};
  put(o, '00080020', 'DA', s.dicom.studyDate);
  put(o, '00080030', 'TM', s.dicom.studyTime);
  put(o, '00080061', 'CS', s.modalities);
  put(o, '00080090', 'PN', s.dicom.referringPhysicianName);
  put(o, '00081190', 'UR', `${baseUrl}/dicomweb/studies/${s.studyInstanceUid}`);
  put(o, '0020000D', 'UI', s.studyInstanceUid);
  put(o, '00201206', 'IS', s.seriesCount);
  put(o, '00201208', 'IS', s.instancesReceived);
  if (withPatient) {
    put(o, '00080050', 'SH', s.dicom.accessionNumber);
    put(o, '00081030', 'LO', s.dicom.studyDescription);
    put(o, '00100010', 'PN', s.patient.name);
    put(o, '00100020', 'LO', s.patient.id);
    put(o, '00100021', 'LO', s.patient.issuer);
    put(o, '00100030', 'DA', s.patient.birthDate);
    put(o, '00100040', 'CS', s.patient.sex);
  }
  return sortTags(o);
}

export function seriesJson(studyUid: string, s: SeriesSummary, baseUrl: string): DicomJson {
  const o: DicomJson = {};
  put(o, '00080060', 'CS', s.modality);
  put(o, '0008103E', 'LO', s.seriesDescription);
  put(o, '00081190', 'UR', `${baseUrl}/dicomweb/studies/${studyUid}/series/${s.seriesInstanceUid}`);
  put(o, '0020000D', 'UI', studyUid);
  put(o, '0020000E', 'UI', s.seriesInstanceUid);
  put(o, '00200011', 'IS', s.seriesNumber);
  put(o, '00201209', 'IS', s.instances);
  return sortTags(o);
}

export function instanceJson(studyUid: string, e: InstanceEntry, baseUrl: string): DicomJson {
  const o: DicomJson = {};
  put(o, '00080016', 'UI', e.sopClassUid);
  put(o, '00080018', 'UI', e.sopInstanceUid);
  put(o, '00080060', 'CS', e.modality);
  put(o, '00081190', 'UR', `${baseUrl}/dicomweb/studies/${studyUid}/series/${e.seriesInstanceUid}/instances/${e.sopInstanceUid}`);
  put(o, '00083002', 'UI', e.transferSyntaxUid);
  put(o, '0020000D', 'UI', studyUid);
  put(o, '0020000E', 'UI', e.seriesInstanceUid);
  put(o, '00200013', 'IS', e.instanceNumber);
  put(o, '00280008', 'IS', e.numberOfFrames);
  put(o, '00280010', 'US', e.rows);
  put(o, '00280011', 'US', e.columns);
  return sortTags(o);
}

function sortTags(o: DicomJson): DicomJson {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Matching an incoming study to its exam request (pure): by Study Instance UID, else by
 * accession number; then the identity the modality sent (patient ID, name, birth date, sex) is
 * compared with the request's local ID and strict INS traits. Anything that does not agree
 * exactly is a hold reason — a study is never merged with a request on a guess.
 *
 * Name comparison: DICOM PN `FAMILY^GIVEN^MIDDLE…`, upper-cased, accents and extra spaces
 * removed; the family name must equal the birth names, the given name's first word the first
 * first name. A value the modality left empty differs (it cannot confirm the identity).
 */
import type { HoldReason, PatientIdentity } from '../../protocol/clinical.ts';

export interface InstanceIdentity {
  studyInstanceUid: string;
  accessionNumber?: string | undefined;
  patientId?: string | undefined;
  patientName?: string | undefined;
  patientBirthDate?: string | undefined;
  patientSex?: string | undefined;
}

export interface RequestLookup {
  byStudyUid(uid: string): { requestId: string; patient: PatientIdentity } | undefined;
  byAccession(accession: string): { requestId: string; patient: PatientIdentity } | undefined;
}

export interface InstanceMatch {
  requestId?: string;
  reasons: HoldReason[];
}

export function normalizeName(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z' -]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The DICOM Patient's Name the worklist gives for an identity (birth names ^ first first name). */
export function dicomPatientName(p: PatientIdentity): string {
  const [first, ...others] = p.firstNames.split(' ');
  return others.length > 0 ? `${p.birthNames}^${first}^${others.join(' ')}` : `${p.birthNames}^${first}`;
}

export function identityReasons(i: InstanceIdentity, p: PatientIdentity): HoldReason[] {
  const out: HoldReason[] = [];
  if ((i.patientId ?? '').trim() !== p.localId.value.trim()) out.push('patient-id-differs');
  const [family = '', given = ''] = (i.patientName ?? '').split('^');
  const firstGiven = normalizeName(given).split(' ')[0] ?? '';
  if (normalizeName(family) !== normalizeName(p.birthNames) || firstGiven !== normalizeName(p.firstNames).split(' ')[0]) out.push('patient-name-differs');
  if ((i.patientBirthDate ?? '').trim() !== p.birthDate.replace(/-/g, '')) out.push('birth-date-differs');
  if ((i.patientSex ?? '').trim().toUpperCase() !== p.sex) out.push('sex-differs');
  return out;
}

export function matchInstance(i: InstanceIdentity, requests: RequestLookup): InstanceMatch {
  const byUid = requests.byStudyUid(i.studyInstanceUid);
  const accession = i.accessionNumber?.trim();
  const byAcc = accession ? requests.byAccession(accession) : undefined;
  if (!byUid && !byAcc) return { reasons: ['no-request'] };
  if (byUid && byAcc && byUid.requestId !== byAcc.requestId) return { requestId: byUid.requestId, reasons: ['request-conflict'] };
  const req = (byUid ?? byAcc)!;
  return { requestId: req.requestId, reasons: identityReasons(i, req.patient) };
}

/**
 * Business rules of an exam request beyond its shape, applied where a request is entered (the
 * agent's page) and where it arrives (the hub): INS key and consistency with the traits, the
 * INS OID matching the kind of matricule, a birth date in the past, the requested exam in the
 * catalogue with its modality and body part, a requester reachable by phone.
 *
 * Contract: pure; returns one entry per problem with the field path it concerns and a stable
 * code (the pages turn codes into French or English sentences); an empty list means valid.
 * Warnings do not block (e.g. a birth place that differs from the matricule's).
 */
import type { ExamRequest } from './clinical.ts';
import { examType } from './exams.ts';
import { INS_OIDS, insTraitProblems, insTraitWarnings } from './ins.ts';

export interface RequestProblem {
  field: string;
  code: string;
}

export function requestProblems(r: ExamRequest, nowMs: number): RequestProblem[] {
  const out: RequestProblem[] = [];
  const p = r.patient;
  if (p.ins) {
    for (const c of insTraitProblems(p.ins.matricule, { sex: p.sex, birthDate: p.birthDate, birthPlaceCode: p.birthPlaceCode })) {
      out.push({ field: c === 'format' || c === 'key' ? 'patient.ins.matricule' : c === 'sex' ? 'patient.sex' : 'patient.birthDate', code: `ins-${c}` });
    }
    const temporary = /^[78]/.test(p.ins.matricule);
    const nia = p.ins.oid === INS_OIDS.nia || p.ins.oid === INS_OIDS.niaTest;
    if (temporary !== nia) out.push({ field: 'patient.ins.oid', code: 'ins-oid-kind' });
    if (!p.birthPlaceCode) out.push({ field: 'patient.birthPlaceCode', code: 'required-with-ins' });
  }
  const birth = Date.parse(`${p.birthDate}T00:00:00Z`);
  if (!Number.isFinite(birth) || new Date(birth).toISOString().slice(0, 10) !== p.birthDate) out.push({ field: 'patient.birthDate', code: 'date-invalid' });
  else if (birth > nowMs) out.push({ field: 'patient.birthDate', code: 'date-future' });
  else if (birth < Date.UTC(1880, 0, 1)) out.push({ field: 'patient.birthDate', code: 'date-too-old' });
  const exam = examType(r.exam.examType);
  if (!exam) out.push({ field: 'exam.examType', code: 'exam-unknown' });
  else {
    if (exam.modality !== r.exam.modality) out.push({ field: 'exam.modality', code: 'exam-modality' });
    if (exam.bodyPart !== r.exam.bodyPart) out.push({ field: 'exam.bodyPart', code: 'exam-body-part' });
  }
  if (r.requester.phone.replace(/[^0-9]/g, '').length < 4) out.push({ field: 'requester.phone', code: 'phone-invalid' });
  if (r.revision === 1 && r.updatedAt !== r.createdAt) out.push({ field: 'updatedAt', code: 'revision-dates' });
  return out;
}

export function requestWarnings(r: ExamRequest): RequestProblem[] {
  const p = r.patient;
  if (!p.ins) return [];
  return insTraitWarnings(p.ins.matricule, { sex: p.sex, birthDate: p.birthDate, birthPlaceCode: p.birthPlaceCode }).map((c) => ({ field: 'patient.birthPlaceCode', code: `ins-${c}` }));
}

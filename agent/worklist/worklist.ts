/**
 * Modality Worklist (pure): the worklist item of an accepted exam request, query matching on
 * the usual keys, and the answer built from the keys the modality asked for. Datasets are dcmjs
 * "naturalized" objects (keywords → values), as dcmjs-dimse hands them over and takes them back.
 *
 * Item content (PS3.4 K.6): patient (name `BIRTH NAMES^FIRST FIRST NAME`, local ID and issuer,
 * birth date, sex; the INS in Other Patient IDs Sequence with its OID as ISO Universal Entity
 * ID, the way the French CI-SIS carries it), accession number, Study Instance UID, requested
 * procedure (exam label, ID, priority, reason), requesting and referring physician, and one
 * Scheduled Procedure Step (modality, station AE, start date/time in the site's zone, protocol
 * label, step ID). Character set: ISO_IR 192 (UTF-8), which dcmjs writes.
 *
 * Matching: empty keys are universal; single values and `*` / `?` wildcards (case-insensitive
 * for names); `YYYYMMDD-YYYYMMDD` ranges (open ends allowed) on dates and `HHMM-HHMM` on times;
 * Study Instance UID lists (`\`). An item without a Scheduled Station AE matches any station.
 */
import type { PatientIdentity } from '../../protocol/clinical.ts';
import { INS_OIDS } from '../../protocol/ins.ts';
import { examType } from '../../protocol/exams.ts';
import type { AgentRequestRecord } from '../requests/request-store.ts';
import { dicomPatientName } from '../matching/study-matcher.ts';

export type Naturalized = Record<string, unknown>;

export const MWL_SOP_CLASS = '1.2.840.10008.5.1.4.31';
export const MWL_CHARSET = 'ISO_IR 192';

const PRIORITY = { emergency: 'STAT', scheduled: 'ROUTINE', deferred: 'LOW' } as const;

/** Local date (YYYYMMDD) and time (HHMMSS) of an instant in a zone. */
export function localDicomDateTime(iso: string, zone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso));
  const g = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return { date: `${g('year')}${g('month')}${g('day')}`, time: `${g('hour')}${g('minute')}${g('second')}` };
}

function personName(name: string): string {
  // "Dr Jeanne Martin" → "Dr Jeanne Martin" as family component (no ^: nothing guessed).
  return name.replace(/[\\^=]/g, ' ').slice(0, 64);
}

function insItem(p: PatientIdentity): Naturalized[] {
  if (!p.ins) return [];
  const nia = p.ins.oid === INS_OIDS.nia || p.ins.oid === INS_OIDS.niaTest;
  return [
    {
      PatientID: p.ins.matricule,
      IssuerOfPatientID: nia ? 'INS-NIA' : 'INS-NIR',
      TypeOfPatientID: 'TEXT',
      IssuerOfPatientIDQualifiersSequence: [{ UniversalEntityID: p.ins.oid, UniversalEntityIDType: 'ISO' }],
    },
  ];
}

export function worklistItem(r: AgentRequestRecord, zone: string): Naturalized {
  const req = r.request;
  const answer = [...r.answers].reverse().find((a) => a.decision === 'accepted');
  const when = localDicomDateTime(req.exam.scheduledAt, zone);
  const exam = examType(req.exam.examType);
  const sps: Naturalized = {
    Modality: req.exam.modality,
    ScheduledStationAETitle: req.exam.stationAeTitle ?? '',
    ScheduledProcedureStepStartDate: when.date,
    ScheduledProcedureStepStartTime: when.time,
    ScheduledPerformingPhysicianName: '',
    ScheduledProcedureStepDescription: (answer?.protocol?.templateLabel.fr ?? exam?.label.fr ?? req.exam.examType).slice(0, 64),
    ScheduledProcedureStepID: req.accessionNumber,
    ScheduledProcedureStepStatus: 'SCHEDULED',
  };
  return {
    SpecificCharacterSet: MWL_CHARSET,
    AccessionNumber: req.accessionNumber,
    ReferringPhysicianName: personName(req.requester.name),
    PatientName: dicomPatientName(req.patient),
    PatientID: req.patient.localId.value,
    IssuerOfPatientID: req.patient.localId.issuer,
    PatientBirthDate: req.patient.birthDate.replace(/-/g, ''),
    PatientSex: req.patient.sex,
    OtherPatientIDsSequence: insItem(req.patient),
    StudyInstanceUID: req.studyInstanceUid,
    RequestedProcedureDescription: (exam?.label.fr ?? req.exam.examType).slice(0, 64),
    RequestedProcedureID: req.accessionNumber,
    RequestedProcedurePriority: PRIORITY[req.urgency],
    ReasonForTheRequestedProcedure: req.clinical.question.replace(/[\\\r\n]/g, ' ').slice(0, 64),
    RequestingPhysician: personName(req.requester.name),
    ScheduledProcedureStepSequence: [sps],
  };
}

/** A PN value as dcmjs gives it: a string, or [{ Alphabetic }]. */
export function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.length === 0 ? '' : textOf(v[0]);
  if (typeof v === 'object') return String((v as { Alphabetic?: unknown }).Alphabetic ?? '');
  return String(v);
}

function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const esc = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`, caseInsensitive ? 'i' : '').test(value);
}

function inRange(query: string, value: string): boolean {
  if (!query.includes('-')) return value === query;
  const [from, to] = query.split('-');
  if (!value) return false;
  return (!from || value >= from) && (!to || value <= to);
}

const NAME_KEYS = new Set(['PatientName', 'ReferringPhysicianName', 'RequestingPhysician', 'ScheduledPerformingPhysicianName']);
const RANGE_KEYS = new Set(['PatientBirthDate', 'ScheduledProcedureStepStartDate', 'ScheduledProcedureStepStartTime', 'StudyDate']);

function valueMatches(key: string, query: unknown, value: unknown): boolean {
  if (Array.isArray(query) && query.length > 0 && typeof query[0] === 'object' && !('Alphabetic' in (query[0] as object))) return true; // sequence: handled apart
  const q = textOf(query).trim();
  if (q === '' || q === '*') return true;
  const v = textOf(value).trim();
  if (key === 'StudyInstanceUID') return q.split('\\').includes(v);
  if (RANGE_KEYS.has(key)) return inRange(q.replace(/[:.]/g, ''), v);
  if (key === 'ScheduledStationAETitle' && v === '') return true;
  return wildcard(q, v, NAME_KEYS.has(key));
}

/** Whether an item matches a C-FIND identifier. */
export function matchesQuery(item: Naturalized, query: Naturalized): boolean {
  for (const [k, q] of Object.entries(query)) {
    if (k === 'SpecificCharacterSet' || k === 'ScheduledProcedureStepSequence' || k === 'OtherPatientIDsSequence' || k === '_vrMap') continue;
    if (!valueMatches(k, q, item[k])) return false;
  }
  const spsQuery = (query.ScheduledProcedureStepSequence as Naturalized[] | undefined)?.[0];
  if (spsQuery) {
    const sps = (item.ScheduledProcedureStepSequence as Naturalized[])[0]!;
    for (const [k, q] of Object.entries(spsQuery)) {
      if (k === '_vrMap') continue;
      if (!valueMatches(k, q, sps[k])) return false;
    }
  }
  return true;
}

/** The answer: the keys the query asked for (values from the item, empty when unknown). */
export function project(item: Naturalized, query: Naturalized): Naturalized {
  const out: Naturalized = { SpecificCharacterSet: MWL_CHARSET };
  for (const k of Object.keys(query)) {
    if (k === 'SpecificCharacterSet' || k === '_vrMap') continue;
    if (k === 'ScheduledProcedureStepSequence') {
      const spsQuery = (query[k] as Naturalized[] | undefined)?.[0] ?? {};
      const sps = (item[k] as Naturalized[])[0]!;
      const keys = Object.keys(spsQuery).filter((x) => x !== '_vrMap');
      const projected: Naturalized = {};
      for (const sk of keys.length > 0 ? keys : Object.keys(sps)) projected[sk] = sps[sk] ?? '';
      out[k] = [projected];
    } else if (k in item) out[k] = item[k];
    else out[k] = Array.isArray(query[k]) ? [] : '';
  }
  return out;
}

export function findWorklist(items: Naturalized[], query: Naturalized): Naturalized[] {
  return items.filter((i) => matchesQuery(i, query)).map((i) => project(i, query));
}

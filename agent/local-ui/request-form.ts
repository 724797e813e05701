/**
 * The request form (pure): the flat fields a browser posts → a NewRequest for the desk, with
 * the person's typing normalised the INS way (traits upper-cased, accents removed, spaces
 * collapsed; matricule without spaces; local date-time in the site's zone → UTC), and the
 * problems mapped back to form fields for the page to show next to them.
 */
import { normalizeMatricule } from '../../protocol/ins.ts';
import { examType } from '../../protocol/exams.ts';
import type { RequestProblem } from '../../protocol/request-rules.ts';
import type { NewRequest } from '../requests/request-desk.ts';

export type FormFields = Record<string, string>;

export function traits(s: string | undefined): string {
  return (s ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[’`]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** Wall-clock `YYYY-MM-DDTHH:MM` in `zone` → ISO instant. */
export function zonedToUtc(local: string, zone: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return undefined;
  const guess = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!);
  const offsetAt = (t: number) => {
    const p = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(t));
    const g = (k: string) => Number(p.find((x) => x.type === k)?.value);
    return Date.UTC(g('year'), g('month') - 1, g('day'), g('hour'), g('minute')) - t;
  };
  const t = guess - offsetAt(guess - offsetAt(guess));
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** Which form field a problem's path belongs to. */
export const FIELD_OF: Record<string, string> = {
  'patient.ins.matricule': 'insMatricule',
  'patient.ins.oid': 'insOid',
  'patient.ins': 'insMatricule',
  'patient.birthNames': 'birthNames',
  'patient.firstNames': 'firstNames',
  'patient.sex': 'sex',
  'patient.birthDate': 'birthDate',
  'patient.birthPlaceCode': 'birthPlaceCode',
  'patient.localId.value': 'localId',
  'patient.localId.issuer': 'localIssuer',
  'patient.localId': 'localId',
  'clinical.context': 'context',
  'clinical.question': 'question',
  'clinical.precautions': 'precautions',
  urgency: 'urgency',
  'exam.examType': 'examType',
  'exam.modality': 'examType',
  'exam.bodyPart': 'examType',
  'exam.scheduledAt': 'scheduledAt',
  'exam.stationAeTitle': 'station',
  'requester.name': 'requesterName',
  'requester.rpps': 'rpps',
  'requester.service': 'service',
  'requester.phone': 'phone',
  'requester.email': 'email',
};

export function fieldProblems(problems: RequestProblem[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of problems) {
    const field = FIELD_OF[p.field] ?? FIELD_OF[p.field.split('.').slice(0, -1).join('.')] ?? 'form';
    const code = p.code === 'invalid' && ['birthNames', 'firstNames'].includes(field) ? 'traits' : p.code;
    if (!out.has(field)) out.set(field, code);
  }
  return out;
}

export function requestFromForm(f: FormFields, opts: { zone: string; nowMs: number; defaultIssuer: string }): NewRequest {
  const exam = examType(f.examType ?? '');
  const matricule = normalizeMatricule(f.insMatricule ?? '');
  const oid = f.insOid ?? '';
  const opt = (v: string | undefined) => (v && v.trim() !== '' ? v.trim() : undefined);
  const scheduledAt = opt(f.scheduledAt) ? zonedToUtc(f.scheduledAt!.trim(), opts.zone) ?? 'invalid' : new Date(opts.nowMs).toISOString();
  const patient: NewRequest['patient'] = {
    birthNames: traits(f.birthNames),
    firstNames: traits(f.firstNames),
    sex: (f.sex ?? '') as NewRequest['patient']['sex'],
    birthDate: (f.birthDate ?? '').trim(),
    localId: { value: (f.localId ?? '').trim(), issuer: opt(f.localIssuer) ?? opts.defaultIssuer },
  };
  if (matricule !== '' || (oid !== '' && oid !== 'none')) patient.ins = { matricule, oid: oid as NonNullable<NewRequest['patient']['ins']>['oid'] };
  const birthPlace = opt(f.birthPlaceCode)?.toUpperCase();
  if (birthPlace) patient.birthPlaceCode = birthPlace;
  const request: NewRequest = {
    urgency: (f.urgency ?? '') as NewRequest['urgency'],
    patient,
    clinical: { context: (f.context ?? '').trim(), question: (f.question ?? '').trim(), ...(opt(f.precautions) ? { precautions: opt(f.precautions)! } : {}) },
    exam: {
      examType: f.examType ?? '',
      modality: exam?.modality ?? '',
      bodyPart: exam?.bodyPart ?? '',
      scheduledAt,
      ...(opt(f.station) ? { stationAeTitle: opt(f.station)! } : {}),
    },
    requester: {
      name: (f.requesterName ?? '').trim(),
      phone: (f.phone ?? '').trim(),
      ...(opt(f.rpps) ? { rpps: opt(f.rpps)! } : {}),
      ...(opt(f.service) ? { service: opt(f.service)! } : {}),
      ...(opt(f.email) ? { email: opt(f.email)! } : {}),
    },
  };
  return request;
}

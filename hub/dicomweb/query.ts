/**
 * QIDO-RS query parameters (PS3.18 8.3.4): matching on the attributes the hub indexes, by
 * keyword or tag (UID lists, exact values, `*`/`?` wildcards on names, DA ranges), and the
 * paging controls limit/offset, capped. `includefield` and `fuzzymatching` are accepted
 * (every known field is always returned; matching is never fuzzy). Unknown keys are ignored,
 * as most archives do.
 */
import { HubError } from '../errors.ts';

export type RawQuery = Record<string, string | string[] | undefined>;

export const STUDY_KEYS = {
  StudyInstanceUID: '0020000D',
  PatientID: '00100020',
  PatientName: '00100010',
  AccessionNumber: '00080050',
  StudyDate: '00080020',
  ModalitiesInStudy: '00080061',
} as const;

export const SERIES_KEYS = { SeriesInstanceUID: '0020000E', Modality: '00080060', SeriesNumber: '00200011' } as const;
export const INSTANCE_KEYS = { SOPInstanceUID: '00080018', SOPClassUID: '00080016', InstanceNumber: '00200013' } as const;

/** The values of a matching key given by keyword or tag (repeated keys and comma lists merged). */
export function values(q: RawQuery, keyword: string, tag: string): string[] | undefined {
  const raw = [q[keyword], q[tag], q[tag.toLowerCase()]].flat().filter((v): v is string => typeof v === 'string');
  if (raw.length === 0) return undefined;
  return raw.flatMap((v) => v.split(/[,\\]/)).map((v) => v.trim()).filter((v) => v.length > 0);
}

export function paging(q: RawQuery, defaultLimit: number, maxLimit: number): { limit: number; offset: number; capped: boolean } {
  const num = (v: string | string[] | undefined, name: string): number | undefined => {
    const s = Array.isArray(v) ? v[0] : v;
    if (s === undefined || s === '') return undefined;
    if (!/^[0-9]{1,9}$/.test(s)) throw new HubError('RELAIS_BAD_REQUEST', `${name} must be a non-negative integer`);
    return Number(s);
  };
  const asked = num(q.limit, 'limit');
  const offset = num(q.offset, 'offset') ?? 0;
  const limit = Math.min(asked ?? defaultLimit, maxLimit);
  return { limit, offset, capped: asked !== undefined && asked > maxLimit };
}

/** Wildcard match of DICOM (`*`, `?`), case-insensitive, on a whole value. */
export function wildcardMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(value) || re.test(value.replace(/\^/g, ' ').trim());
}

/** DA matching: exact `YYYYMMDD` or a range `A-B`, `-B`, `A-`. */
export function dateMatch(pattern: string, value: string | undefined): boolean {
  if (!/^(\d{8})?-?(\d{8})?$/.test(pattern)) throw new HubError('RELAIS_BAD_REQUEST', 'StudyDate must be YYYYMMDD or a range YYYYMMDD-YYYYMMDD');
  if (value === undefined) return false;
  if (!pattern.includes('-')) return value === pattern;
  const [from, to] = pattern.split('-') as [string, string];
  return (from === '' || value >= from) && (to === '' || value <= to);
}

/**
 * The French national health identifier (INS, identifiant national de santé): the matricule
 * (NIR or NIA, 13 digits + a 2-digit key) with its OID, and the consistency rules between the
 * matricule and the strict identity traits. Pure functions, no I/O.
 *
 * Contract:
 * - `insKeyValid` checks the key: 97 − (the 13 first characters as a number mod 97), Corsica's
 *   departments 2A / 2B counted as 19 / 18 (the NIR algorithm);
 * - `insTraitProblems` returns blocking problems (sex digit, birth year, birth month when the
 *   matricule carries a real month) and `insTraitWarnings` non-blocking ones (birth place code,
 *   which the NIR keeps from the birth-time commune code while INSEE codes change).
 */

/** OIDs of the INS matricule (ANS, référentiel INS): production and test. */
export const INS_OIDS = {
  nir: '1.2.250.1.213.1.4.8',
  nia: '1.2.250.1.213.1.4.9',
  nirTest: '1.2.250.1.213.1.4.10',
  niaTest: '1.2.250.1.213.1.4.11',
} as const;
export type InsOid = (typeof INS_OIDS)[keyof typeof INS_OIDS];
export const INS_OID_LIST: readonly InsOid[] = Object.values(INS_OIDS);

/** 15 characters: sex, year, month, department (2 digits or 2A/2B), commune, order, key. */
export const INS_MATRICULE_PATTERN = '^[1-478][0-9]{4}(?:2[ABab]|[0-9]{2})[0-9]{6}[0-9]{2}$';
const MATRICULE_RE = new RegExp(INS_MATRICULE_PATTERN);

/** Spaces and dots people type between groups are dropped; letters upper-cased. */
export function normalizeMatricule(raw: string): string {
  return raw.replace(/[\s.]/g, '').toUpperCase();
}

/** The key (1–97) of the 13 first characters of a matricule. */
export function insKey(first13: string): number {
  const numeric = first13.toUpperCase().replace(/^(.{5})2A/, '$119').replace(/^(.{5})2B/, '$118');
  if (!/^[0-9]{13}$/.test(numeric)) throw new Error('not a matricule body');
  return 97 - Number(BigInt(numeric) % 97n);
}

export function insKeyValid(matricule: string): boolean {
  const m = normalizeMatricule(matricule);
  if (!MATRICULE_RE.test(m)) return false;
  return insKey(m.slice(0, 13)) === Number(m.slice(13));
}

export interface InsTraits {
  sex: string;
  /** YYYY-MM-DD */
  birthDate: string;
  birthPlaceCode?: string | undefined;
}

export type InsProblem = 'format' | 'key' | 'sex' | 'birth-year' | 'birth-month';

/** Blocking disagreements between a matricule and the traits. */
export function insTraitProblems(matricule: string, traits: InsTraits): InsProblem[] {
  const m = normalizeMatricule(matricule);
  if (!MATRICULE_RE.test(m)) return ['format'];
  const out: InsProblem[] = [];
  if (insKey(m.slice(0, 13)) !== Number(m.slice(13))) out.push('key');
  const sexDigit = Number(m[0]);
  const odd = sexDigit % 2 === 1; // 1, 3, 7: male; 2, 4, 8: female
  if ((traits.sex === 'M' && !odd) || (traits.sex === 'F' && odd) || (traits.sex !== 'M' && traits.sex !== 'F')) out.push('sex');
  const birth = /^(\d{4})-(\d{2})-(\d{2})$/.exec(traits.birthDate);
  if (birth) {
    if (birth[1]!.slice(2) !== m.slice(1, 3)) out.push('birth-year');
    const month = Number(m.slice(3, 5));
    // Months 20–42 and 50–99 stand for an unknown month in the NIR: only 01–12 are compared.
    if (month >= 1 && month <= 12 && month !== Number(birth[2])) out.push('birth-month');
  }
  return out;
}

export type InsWarning = 'birth-place';

export function insTraitWarnings(matricule: string, traits: InsTraits): InsWarning[] {
  const m = normalizeMatricule(matricule);
  if (!MATRICULE_RE.test(m) || !traits.birthPlaceCode) return [];
  return m.slice(5, 10) === traits.birthPlaceCode.toUpperCase() ? [] : ['birth-place'];
}

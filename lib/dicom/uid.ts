/**
 * DICOM UID checks. A UID is digits and dots, no empty component, at most 64 characters
 * (PS3.5 §9.1). Leading zeros inside a component are tolerated: some modalities emit them,
 * and refusing an emergency study over that would be worse than storing it. UIDs are never
 * used to build file names anywhere in Relais, so this check is about data quality, not paths.
 */
const UID_RE = /^[0-9]+(\.[0-9]+)*$/;

export function isWellFormedUid(uid: unknown): uid is string {
  return typeof uid === 'string' && uid.length > 0 && uid.length <= 64 && UID_RE.test(uid);
}

/** Strips the trailing NUL / space padding DICOM adds to odd-length UI values. */
export function trimUid(raw: string): string {
  return raw.replace(/[\0 ]+$/, '');
}

/** A fresh UID under the UUID-derived root 2.25 (PS3.5 §B.2). */
export function newUid(): string {
  const hex = globalThis.crypto.randomUUID().replace(/-/g, '');
  return `2.25.${BigInt(`0x${hex}`).toString(10)}`;
}

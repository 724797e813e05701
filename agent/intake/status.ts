/** DIMSE status codes the C-STORE SCP answers with (PS3.4 Annex B, PS3.7 Annex C). */
export const STORE_STATUS = {
  success: 0x0000,
  /** Refused: out of resources (disk full, I/O error, spool below reserve): retry later. */
  outOfResources: 0xa700,
  /** Error: data set does not match SOP class. */
  datasetDoesNotMatchSopClass: 0xa900,
  /** Error: cannot understand (unparsable dataset, malformed or inconsistent UIDs). */
  cannotUnderstand: 0xc000,
} as const;

export function statusHex(status: number): string {
  return status.toString(16).padStart(4, '0').toUpperCase();
}

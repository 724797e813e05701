/**
 * Admission of one received instance: the checks between "last PDV written" and C-STORE-RSP.
 *
 * Contract: resolves (never rejects) with the status to answer.
 * - 0000 only once the file parses (meta and dataset header), its UIDs are well formed, the
 *   dataset's SOP Instance/Class UIDs equal the command's, and spool.admit has made data and
 *   sidecar durable in queue/;
 * - A700 for any write, sync or rename failure (disk full, I/O error, refusal below reserve),
 *   C000 for an unparsable dataset or inconsistent UIDs, A900 for a SOP class mismatch;
 * - whatever is not admitted is removed from tmp/ before resolving.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Urgency } from '../../protocol/index.ts';
import { readDicomHeader, DicomParseError, type DicomHeader } from '../../lib/dicom/header.ts';
import { isWellFormedUid } from '../../lib/dicom/uid.ts';
import type { Spool } from '../spool/spool.ts';
import type { InstanceRecord } from '../spool/record.ts';
import type { IntakeWriter } from './intake-writer.ts';
import type { UrgencyFacts } from '../assemble/urgency.ts';
import { STORE_STATUS } from './status.ts';

export interface AdmitContext {
  writer: IntakeWriter;
  commandSopClassUid: string;
  commandSopInstanceUid: string;
  transferSyntaxUid: string;
  callingAeTitle: string;
  calledAeTitle: string;
  receivedAt: Date;
}


export interface AdmitDeps {
  spool: Spool;
  /**
   * Clinical matching (study registry): request id or hold reasons, and the request's urgency.
   * Durable before it resolves; a failure refuses the instance (A700, the modality retries).
   */
  classify?: (header: DicomHeader) => Promise<{ requestId?: string; hold?: InstanceRecord['hold']; urgency?: Urgency }>;
  urgencyOf: (facts: UrgencyFacts) => Urgency;
  maxInflatedBytes: number;
  log: Logger;
}

export type AdmitResult =
  | { status: typeof STORE_STATUS.success; record: InstanceRecord }
  | { status: number; comment: string; code: string };

export async function admitInstance(ctx: AdmitContext, deps: AdmitDeps): Promise<AdmitResult> {
  const { writer } = ctx;
  const refuse = async (status: number, code: string, comment: string): Promise<AdmitResult> => {
    await writer.abandon();
    if (writer.created) await deps.spool.discardIntake(writer.id);
    return { status, code, comment: comment.slice(0, 64) };
  };
  const failure = writer.failure;
  if (failure) {
    if (failure.kind === 'io') return refuse(STORE_STATUS.outOfResources, failure.code, `spool write failed: ${failure.code}`);
    if (failure.kind === 'too-large') return refuse(STORE_STATUS.outOfResources, 'TOO_LARGE', `instance above ${failure.limit} bytes`);
    const status = failure.code === 'C000' ? STORE_STATUS.cannotUnderstand : STORE_STATUS.outOfResources;
    return refuse(status, failure.code, failure.message);
  }
  let header: DicomHeader;
  try {
    header = await readDicomHeader(writer.dataPath, { maxInflatedBytes: deps.maxInflatedBytes });
  } catch (err) {
    if (err instanceof DicomParseError) return refuse(STORE_STATUS.cannotUnderstand, 'NOT_DICOM', 'dataset cannot be parsed');
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return refuse(STORE_STATUS.outOfResources, code, `spool read failed: ${code}`);
  }
  const uids = [header.sopInstanceUid, header.sopClassUid, header.studyInstanceUid, header.seriesInstanceUid];
  if (!uids.every(isWellFormedUid)) return refuse(STORE_STATUS.cannotUnderstand, 'BAD_UID', 'missing or malformed UID in dataset');
  if (header.sopInstanceUid !== ctx.commandSopInstanceUid) {
    return refuse(STORE_STATUS.cannotUnderstand, 'UID_MISMATCH', 'SOP Instance UID differs from command');
  }
  if (header.sopClassUid !== ctx.commandSopClassUid) {
    return refuse(STORE_STATUS.datasetDoesNotMatchSopClass, 'CLASS_MISMATCH', 'SOP Class UID differs from command');
  }
  const facts: UrgencyFacts = { callingAeTitle: ctx.callingAeTitle };
  if (header.modality) facts.modality = header.modality;
  if (header.studyDescription) facts.studyDescription = header.studyDescription;
  const record: InstanceRecord = {
    v: 1,
    id: writer.id,
    sopInstanceUid: header.sopInstanceUid,
    sopClassUid: header.sopClassUid,
    studyInstanceUid: header.studyInstanceUid,
    seriesInstanceUid: header.seriesInstanceUid,
    transferSyntaxUid: ctx.transferSyntaxUid,
    sha256: writer.digest(),
    size: writer.fileBytes,
    receivedAt: ctx.receivedAt.toISOString(),
    callingAeTitle: ctx.callingAeTitle,
    calledAeTitle: ctx.calledAeTitle,
    urgency: deps.urgencyOf(facts),
    ...(header.modality ? { modality: header.modality.slice(0, 16) } : {}),
  };
  if (deps.classify) {
    try {
      const c = await deps.classify(header);
      if (c.urgency) record.urgency = c.urgency;
      if (c.hold && c.hold.length > 0) record.hold = c.hold;
      else if (c.requestId) record.requestId = c.requestId;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      deps.log.error({ spoolId: writer.id, code, err: (err as Error).message }, 'intake: could not record the study match');
      return refuse(STORE_STATUS.outOfResources, code, `study match not recorded: ${code}`);
    }
  }
  try {
    // data.dcm is fsynced while the sidecar is written; the rename into queue/ waits for both.
    await deps.spool.admit(record, () => writer.syncAndClose());
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    deps.log.error({ spoolId: writer.id, code }, 'intake: could not commit instance to the spool');
    await writer.abandon();
    await deps.spool.discardIntake(writer.id);
    return { status: STORE_STATUS.outOfResources, code, comment: `spool commit failed: ${code}` };
  }
  return { status: STORE_STATUS.success, record };
}

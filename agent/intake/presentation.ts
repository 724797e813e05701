/**
 * Which presentation contexts the C-STORE SCP accepts, and with which transfer syntax (pure).
 * Storage: every SOP class under 1.2.840.10008.5.1.4.1.1. (all image, SR, PDF, RT... storage
 * classes), in any transfer syntax of lib/dicom/transfer-syntax.ts; the first syntax the SCU
 * proposes that we know wins (the SCU lists its preference first, and we store what arrives
 * byte for byte), except that Explicit VR LE is taken over Implicit VR LE when both are offered:
 * only Explicit VR LE can be compressed losslessly by the agent (agent/compress).
 * Verification (C-ECHO): uncompressed only.
 */
import { TRANSFER_SYNTAXES, TS } from '../../lib/dicom/transfer-syntax.ts';

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
/** Modality Worklist Information Model – FIND (served when the agent has a worklist). */
export const MWL_FIND_SOP_CLASS = '1.2.840.10008.5.1.4.31';
export const STORAGE_SOP_CLASS_PREFIX = '1.2.840.10008.5.1.4.1.1.';

export type PresentationDecision =
  | { accept: true; transferSyntaxUid: string }
  | { accept: false; reason: 'abstract-syntax-not-supported' | 'transfer-syntaxes-not-supported' };

export function isStorageSopClass(uid: string): boolean {
  return uid.startsWith(STORAGE_SOP_CLASS_PREFIX) && /^[0-9.]+$/.test(uid) && uid.length <= 64;
}

export function decidePresentation(abstractSyntaxUid: string, proposed: readonly string[], opts: { worklist?: boolean } = {}): PresentationDecision {
  if (abstractSyntaxUid === VERIFICATION_SOP_CLASS || (opts.worklist && abstractSyntaxUid === MWL_FIND_SOP_CLASS)) {
    const ts = proposed.find((t) => t === TS.explicitLE || t === TS.implicitLE);
    return ts ? { accept: true, transferSyntaxUid: ts } : { accept: false, reason: 'transfer-syntaxes-not-supported' };
  }
  if (!isStorageSopClass(abstractSyntaxUid)) return { accept: false, reason: 'abstract-syntax-not-supported' };
  let ts = proposed.find((t) => TRANSFER_SYNTAXES.has(t));
  if (ts === TS.implicitLE && proposed.includes(TS.explicitLE)) ts = TS.explicitLE;
  return ts ? { accept: true, transferSyntaxUid: ts } : { accept: false, reason: 'transfer-syntaxes-not-supported' };
}

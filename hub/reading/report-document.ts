/**
 * A study's report as the radiologist writes it: the state machine and the signed contents.
 * Pure (time and ids come in as arguments).
 *
 *   draft ──save──▶ draft ──sign──▶ signed ──addendum──▶ signed (+1 addendum) …
 *
 * Contract:
 * - a draft may be saved any number of times; once signed, the original is never changed
 *   (save and sign refuse: `already-signed`); only signed addenda are appended;
 * - signing needs findings and, for a critical finding, who was phoned and when
 *   (`critical-call-missing`); the signer's RPPS is required (it goes into the DICOM report);
 * - each signed part keeps the SHA-256 of its canonical content (keys sorted, UTF-8 JSON): the
 *   study, the kind, the texts, the critical flag and call, the signer and the instant, and for
 *   an addendum the SHA-256 of the original it completes — so any later change shows.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { IsoDateTime, Uid } from '../../protocol/common.ts';

export const CriticalCall = Type.Object({
  who: Type.String({ minLength: 2, maxLength: 120 }),
  /** When the call was made, as the radiologist typed it (local date-time). */
  at: Type.String({ minLength: 4, maxLength: 40 }),
});
export type CriticalCall = Static<typeof CriticalCall>;

export const ReportDraft = Type.Object({
  templateId: Type.Optional(Type.String({ maxLength: 64 })),
  title: Type.String({ maxLength: 200 }),
  text: Type.String({ maxLength: 60_000 }),
  conclusion: Type.String({ maxLength: 10_000 }),
  critical: Type.Boolean(),
  criticalCall: Type.Optional(CriticalCall),
});
export type ReportDraft = Static<typeof ReportDraft>;

export const Signer = Type.Object({ userId: Type.String(), name: Type.String({ minLength: 1, maxLength: 120 }), rpps: Type.String({ pattern: '^[0-9]{11}$' }) });
export type Signer = Static<typeof Signer>;

export const SignedContent = Type.Object({
  kind: Type.Union([Type.Literal('report'), Type.Literal('addendum')]),
  studyInstanceUid: Uid,
  title: Type.String(),
  text: Type.String(),
  conclusion: Type.String(),
  critical: Type.Boolean(),
  criticalCall: Type.Optional(CriticalCall),
  signer: Signer,
  signedAt: IsoDateTime,
  /** Addendum: the SHA-256 of the signed original. */
  completes: Type.Optional(Type.String()),
});
export type SignedContent = Static<typeof SignedContent>;

export const SignedPart = Type.Object({
  reportId: Type.String(),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  content: SignedContent,
});
export type SignedPart = Static<typeof SignedPart>;

export const ReportDocument = Type.Object({
  v: Type.Literal(1),
  studyInstanceUid: Uid,
  state: Type.Union([Type.Literal('draft'), Type.Literal('signed')]),
  draft: ReportDraft,
  updatedAt: IsoDateTime,
  updatedBy: Type.String(),
  signed: Type.Optional(SignedPart),
  addenda: Type.Array(SignedPart),
});
export type ReportDocument = Static<typeof ReportDocument>;

export type ReportProblem = 'already-signed' | 'not-signed' | 'text-missing' | 'critical-call-missing' | 'title-missing';

export class ReportStateError extends Error {
  constructor(readonly problem: ReportProblem) {
    super(problem);
  }
}

export function emptyDocument(studyInstanceUid: string, at: string, by: string): ReportDocument {
  return { v: 1, studyInstanceUid, state: 'draft', draft: { title: '', text: '', conclusion: '', critical: false }, updatedAt: at, updatedBy: by, addenda: [] };
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function contentSha256(c: SignedContent): string {
  return createHash('sha256').update(canonical(c), 'utf8').digest('hex');
}

/** A report id derived from the signed content (so sending it again is idempotent). */
export function reportIdFor(sha256: string): string {
  return `rp-${sha256.slice(0, 32)}`;
}

export function saveDraft(doc: ReportDocument, draft: ReportDraft, at: string, by: string): ReportDocument {
  if (doc.state !== 'draft') throw new ReportStateError('already-signed');
  const clean: ReportDraft = { ...draft };
  if (!clean.critical) delete clean.criticalCall;
  return { ...doc, draft: clean, updatedAt: at, updatedBy: by };
}

export function signProblems(draft: ReportDraft): ReportProblem[] {
  const out: ReportProblem[] = [];
  if (!draft.title.trim()) out.push('title-missing');
  if (!draft.text.trim()) out.push('text-missing');
  if (draft.critical && (!draft.criticalCall || !draft.criticalCall.who.trim() || !draft.criticalCall.at.trim())) out.push('critical-call-missing');
  return out;
}

/** draft → signed: the draft becomes the signed original (with its digest). */
export function sign(doc: ReportDocument, draft: ReportDraft, signer: Signer, signedAt: string): ReportDocument {
  if (doc.state !== 'draft') throw new ReportStateError('already-signed');
  const p = signProblems(draft);
  if (p.length > 0) throw new ReportStateError(p[0]!);
  const content: SignedContent = {
    kind: 'report',
    studyInstanceUid: doc.studyInstanceUid,
    title: draft.title.trim(),
    text: draft.text.trim(),
    conclusion: draft.conclusion.trim(),
    critical: draft.critical,
    ...(draft.critical && draft.criticalCall ? { criticalCall: { who: draft.criticalCall.who.trim(), at: draft.criticalCall.at.trim() } } : {}),
    signer,
    signedAt,
  };
  const sha256 = contentSha256(content);
  return { ...doc, state: 'signed', draft: saveDraft(doc, draft, signedAt, signer.userId).draft, updatedAt: signedAt, updatedBy: signer.userId, signed: { reportId: reportIdFor(sha256), sha256, content } };
}

/** signed → signed: a signed addendum appended; the original untouched. */
export function addAddendum(doc: ReportDocument, text: string, critical: boolean, criticalCall: CriticalCall | undefined, signer: Signer, signedAt: string): ReportDocument {
  if (doc.state !== 'signed' || !doc.signed) throw new ReportStateError('not-signed');
  if (!text.trim()) throw new ReportStateError('text-missing');
  if (critical && (!criticalCall || !criticalCall.who.trim() || !criticalCall.at.trim())) throw new ReportStateError('critical-call-missing');
  const n = doc.addenda.length + 1;
  const content: SignedContent = {
    kind: 'addendum',
    studyInstanceUid: doc.studyInstanceUid,
    title: `Addendum ${n} — ${doc.signed.content.title}`.slice(0, 200),
    text: text.trim(),
    conclusion: '',
    critical,
    ...(critical && criticalCall ? { criticalCall } : {}),
    signer,
    signedAt,
    completes: doc.signed.sha256,
  };
  const sha256 = contentSha256(content);
  return { ...doc, updatedAt: signedAt, updatedBy: signer.userId, addenda: [...doc.addenda, { reportId: reportIdFor(sha256), sha256, content }] };
}

/** Whether a stored part still matches its digest (tamper check). */
export function partIntact(p: SignedPart): boolean {
  return contentSha256(p.content) === p.sha256 && reportIdFor(p.sha256) === p.reportId;
}

/**
 * A study as the hub's catalog keeps it (one record per study, never per instance), and the
 * pure rules that change it: an instance arrives, a manifest arrives, a study is closed.
 * Patient-level attributes sit in `patient` and study identifiers in `dicom`, so views for
 * users not allowed to see them are built by leaving those out (toStudyView never includes them).
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId, IsoDateTime, Uid, Urgency, URGENCIES } from '../../protocol/common.ts';
import { StudyStatus, type StudyView } from '../../protocol/fleet.ts';

const Text = (max = 200) => Type.Optional(Type.String({ maxLength: max }));

export const StudyRecord = Type.Object({
  studyInstanceUid: Uid,
  agentId: AgentId,
  urgency: Urgency,
  status: StudyStatus,
  modalities: Type.Array(Type.String({ maxLength: 16 })),
  seriesCount: Type.Integer({ minimum: 0 }),
  instancesReceived: Type.Integer({ minimum: 0 }),
  instancesExpected: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** Of the manifest's instances, how many are at the hub. */
  manifestReceived: Type.Integer({ minimum: 0 }),
  bytesReceived: Type.Integer({ minimum: 0 }),
  firstReceivedAt: IsoDateTime,
  updatedAt: IsoDateTime,
  completedAt: Type.Union([IsoDateTime, Type.Null()]),
  flags: Type.Array(Type.String({ maxLength: 64 })),
  dicom: Type.Object({
    studyDate: Text(16),
    studyTime: Text(32),
    accessionNumber: Text(64),
    studyDescription: Text(),
    referringPhysicianName: Text(),
    /** (0018,0015), routes a case (a head CT → neuro); not patient-identifying. */
    bodyPartExamined: Text(64),
  }),
  patient: Type.Object({
    name: Text(),
    id: Text(),
    issuer: Text(),
    birthDate: Text(16),
    sex: Text(16),
  }),
  /** The exam request the agent matched this study to (protocol 2). */
  requestId: Type.Optional(Type.String({ maxLength: 64 })),
  /**
   * Held for reconciliation (protocol 2): the agent found no request for the study, or its
   * identity differs from its request's. Sticky: only an operator's decision lifts it. The
   * original DICOM values stay in `patient` / `dicom` and in the stored instances.
   */
  hold: Type.Optional(Type.Object({
    reasons: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 10 }),
    requestId: Type.Optional(Type.String({ maxLength: 64 })),
    since: IsoDateTime,
  })),
  /**
   * An operator's reconciliation decision (issue 7, hub/reading/reconcile.ts): the hold lifted,
   * the study attached to a request or released as unsolicited. Later hold claims from the agent
   * for this study are then ignored (the decision stands); the original values stay as they are.
   */
  reconciled: Type.Optional(Type.Object({
    decision: Type.Union([Type.Literal('attached'), Type.Literal('unsolicited')]),
    requestId: Type.Optional(Type.String({ maxLength: 64 })),
    reasons: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 10 }),
    heldSince: IsoDateTime,
    at: IsoDateTime,
    by: Type.String({ maxLength: 128 }),
    /** The operator's justification (may name the patient: kept here, never logged). */
    note: Type.Optional(Type.String({ maxLength: 500 })),
  })),
});
export type StudyRecord = Static<typeof StudyRecord>;

export const FLAG_NEW_VERSION = 'new-version';

/** What the study's instance index says now (recomputed after each change, never drifted). */
export interface StudyTotals {
  instancesReceived: number;
  seriesCount: number;
  bytesReceived: number;
  modalities: string[];
  /** Of the manifest's instances, how many are present (undefined without a manifest). */
  manifestReceived: number | undefined;
  manifestSize: number | undefined;
  hasNewVersions: boolean;
}

export interface InstanceArrival {
  studyInstanceUid: string;
  agentId: string;
  urgency: Urgency;
  at: string;
  totals: StudyTotals;
  /** Study- and patient-level attributes read from this instance's header. */
  dicom: StudyRecord['dicom'];
  patient: StudyRecord['patient'];
}

/** The more urgent of two urgencies (emergency > scheduled > deferred). */
export function moreUrgent(a: Urgency, b: Urgency): Urgency {
  return URGENCIES.indexOf(a) <= URGENCIES.indexOf(b) ? a : b;
}

function fillMissing<T extends Record<string, string | undefined>>(current: T, incoming: T): T {
  const out: Record<string, string | undefined> = { ...current };
  for (const [k, v] of Object.entries(incoming)) if (out[k] === undefined && v !== undefined && v !== '') out[k] = v;
  return out as T;
}

function emptyStudy(uid: string, agentId: string, urgency: Urgency, at: string): StudyRecord {
  return {
    studyInstanceUid: uid,
    agentId,
    urgency,
    status: 'receiving',
    modalities: [],
    seriesCount: 0,
    instancesReceived: 0,
    instancesExpected: null,
    manifestReceived: 0,
    bytesReceived: 0,
    firstReceivedAt: at,
    updatedAt: at,
    completedAt: null,
    flags: [],
    dicom: {},
    patient: {},
  };
}

function withTotals(s: StudyRecord, t: StudyTotals): StudyRecord {
  return {
    ...s,
    modalities: t.modalities,
    seriesCount: t.seriesCount,
    instancesReceived: t.instancesReceived,
    bytesReceived: t.bytesReceived,
    instancesExpected: t.manifestSize ?? s.instancesExpected,
    manifestReceived: t.manifestReceived ?? s.manifestReceived,
    flags: t.hasNewVersions && !s.flags.includes(FLAG_NEW_VERSION) ? [...s.flags, FLAG_NEW_VERSION] : s.flags,
  };
}

export function recordInstance(study: StudyRecord | undefined, a: InstanceArrival): StudyRecord {
  const base = study ?? emptyStudy(a.studyInstanceUid, a.agentId, a.urgency, a.at);
  const next = withTotals(
    {
      ...base,
      urgency: moreUrgent(base.urgency, a.urgency),
      updatedAt: a.at,
      dicom: fillMissing(base.dicom, a.dicom),
      patient: fillMissing(base.patient, a.patient),
    },
    a.totals,
  );
  return withCompletion(next, a.at);
}

/** Whether the stored record lags behind the index (a crash between index and catalog). */
export function lagsBehind(s: StudyRecord | undefined, t: StudyTotals): boolean {
  if (!s) return true;
  return s.instancesReceived !== t.instancesReceived || s.bytesReceived !== t.bytesReceived || s.seriesCount !== t.seriesCount;
}

export interface ManifestArrival {
  studyInstanceUid: string;
  agentId: string;
  urgency: Urgency;
  at: string;
  totals: StudyTotals;
}

export function recordManifest(study: StudyRecord | undefined, m: ManifestArrival): StudyRecord {
  const base = study ?? emptyStudy(m.studyInstanceUid, m.agentId, m.urgency, m.at);
  return withCompletion(withTotals({ ...base, urgency: moreUrgent(base.urgency, m.urgency), updatedAt: m.at }, m.totals), m.at);
}

/**
 * A study is complete once every instance of its manifest is at the hub: `completedAt` is set
 * then, whatever the status; the status moves from `receiving` to `complete` unless the
 * study's case already moved it on (assigned, acknowledged…: a case opens at the first instance).
 */
function withCompletion(s: StudyRecord, at: string): StudyRecord {
  if (s.completedAt === null && isComplete(s)) {
    return { ...s, status: s.status === 'receiving' ? 'complete' : s.status, completedAt: at };
  }
  return s;
}

/** The status a study has from its transfer alone (before, or without, a case). */
export function transferStatus(s: StudyRecord): 'receiving' | 'complete' {
  return s.completedAt !== null ? 'complete' : 'receiving';
}

export function isComplete(s: StudyRecord): boolean {
  return s.instancesExpected !== null && s.manifestReceived >= s.instancesExpected;
}

/** Whether a study may leave the live catalog (terminal status, quiet long enough). */
export function isClosed(s: StudyRecord, now: number, statuses: readonly string[], afterMs: number): boolean {
  return statuses.includes(s.status) && now - Date.parse(s.updatedAt) >= afterMs;
}

/** What the agent said about a study's request (upload headers or manifest `match`). */
export interface MatchClaim {
  requestId?: string | undefined;
  /** Hold reasons; empty or absent = matched (or nothing said). */
  hold?: readonly string[] | undefined;
}

/**
 * Applies a match claim: a hold is sticky and accumulates reasons (status `held`); a request
 * id links the study when it is not held. Pure.
 */
export function applyMatch(s: StudyRecord, claim: MatchClaim, at: string): StudyRecord {
  if (s.reconciled) return s; // an operator decided: later claims from the agent do not undo it
  if (claim.hold && claim.hold.length > 0) {
    const reasons = [...new Set([...(s.hold?.reasons ?? []), ...claim.hold])].slice(0, 10);
    const hold: NonNullable<StudyRecord['hold']> = { reasons, since: s.hold?.since ?? at };
    const requestId = s.hold?.requestId ?? claim.requestId;
    if (requestId) hold.requestId = requestId;
    const next: StudyRecord = { ...s, hold, status: 'held' };
    delete next.requestId;
    return next;
  }
  if (claim.requestId && !s.hold && s.requestId !== claim.requestId) return { ...s, requestId: claim.requestId };
  return s;
}

/** The operator's view of a study: progress and status, no patient-level attributes. */
export function toStudyView(s: StudyRecord): StudyView {
  return {
    studyInstanceUid: s.studyInstanceUid,
    agentId: s.agentId,
    status: s.status,
    urgency: s.urgency,
    modalities: s.modalities,
    instancesReceived: s.instancesReceived,
    instancesExpected: s.instancesExpected,
    bytesReceived: s.bytesReceived,
    firstReceivedAt: s.firstReceivedAt,
    updatedAt: s.updatedAt,
    flags: s.flags,
    completedAt: s.completedAt,
  };
}

/**
 * Dispatch: the on-call directory (radiologists, teams, sites, agreements, routing rules,
 * operators), the rota (repeating shift patterns in an IANA zone, overrides, planned periods),
 * the dispatch case (lifecycle, deadline, timeline), the hub's dispatch HTTP routes and the
 * socket.io events of the `/dispatch` namespace (radiologist and operator pages).
 *
 * Contract: instants are ISO 8601 in UTC (`…Z`); wall-clock rules (cron patterns, holidays,
 * "same day") are evaluated in the IANA zone they name. A dispatch case carries no patient
 * identity (name, IDs, birth date, accession number): the catalog owns it; alerts are built
 * from case fields only, so no channel can leak what the case does not hold.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDateTime, Language, SiteId, Urgency } from './common.ts';

export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
export const IanaZone = Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$' });
/** Five or six cron fields (croner syntax, seconds optional), evaluated in the shift's zone. */
export const CronPattern = Type.String({ minLength: 9, maxLength: 120 });
export const LocalDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const Specialty = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }); // neuro, paediatrics, msk, chest, general…
export const E164 = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' });
export const Email = Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 });
export const HttpUrl = Type.String({ pattern: '^https?://', maxLength: 2000 });

/** Holiday calendars: metropolitan France, Alsace-Moselle, and the overseas departments. */
export const HolidayRegion = Type.Union([
  Type.Literal('FR-MET'),
  Type.Literal('FR-AM'),
  Type.Literal('FR-GP'),
  Type.Literal('FR-MQ'),
  Type.Literal('FR-GF'),
  Type.Literal('FR-RE'),
  Type.Literal('FR-YT'),
]);
export type HolidayRegion = Static<typeof HolidayRegion>;

export const Channels = Type.Object({
  sms: Type.Optional(E164),
  email: Type.Optional(Email),
  webhook: Type.Optional(Type.Object({ url: HttpUrl, secretName: Type.String({ maxLength: 64 }) })),
});
export type Channels = Static<typeof Channels>;

export const ChannelName = Type.Union([Type.Literal('web'), Type.Literal('sms'), Type.Literal('email'), Type.Literal('webhook')]);
export type ChannelName = Static<typeof ChannelName>;

export const Radiologist = Type.Object({
  id: Id,
  displayName: Type.String({ minLength: 1, maxLength: 120 }),
  /** Répertoire partagé des professionnels de santé number (11 digits). */
  rpps: Type.String({ pattern: '^[0-9]{11}$' }),
  specialties: Type.Array(Specialty, { maxItems: 20 }),
  channels: Channels,
  maxOpenCases: Type.Integer({ minimum: 1, maximum: 200 }),
  language: Type.Optional(Language),
  /** Zone for times shown in this radiologist's alerts (default: the team's zone). */
  zone: Type.Optional(IanaZone),
  active: Type.Optional(Type.Boolean()),
});
export type Radiologist = Static<typeof Radiologist>;

export const Team = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 120 }),
  zone: IanaZone,
  holidayRegion: Type.Optional(HolidayRegion),
  members: Type.Array(Id, { maxItems: 500 }),
  lead: Id,
  /** Back-up radiologists in the order they are called on escalation. */
  backupOrder: Type.Array(Id, { maxItems: 50 }),
});
export type Team = Static<typeof Team>;

export const Contact = Type.Object({
  name: Type.String({ maxLength: 120 }),
  channels: Channels,
  language: Type.Optional(Language),
});
export type Contact = Static<typeof Contact>;

export const Site = Type.Object({
  id: SiteId,
  name: Type.String({ minLength: 1, maxLength: 120 }),
  zone: IanaZone,
  holidayRegion: Type.Optional(HolidayRegion),
  /** Who is told "taken in charge" / "report available" when a request names no clinician. */
  defaultContact: Type.Optional(Contact),
  webhook: Type.Optional(Type.Object({ url: HttpUrl, secretName: Type.String({ maxLength: 64 }) })),
  /** Informational: the agents of this site. An agent's site is the one its identity names (`relais provision agent --site`). */
  agentIds: Type.Optional(Type.Array(Type.String({ maxLength: 63 }))),
});
export type Site = Static<typeof Site>;

export const ResponseMinutes = Type.Object({
  emergency: Type.Optional(Type.Integer({ minimum: 5, maximum: 10_080 })),
  scheduled: Type.Optional(Type.Integer({ minimum: 5, maximum: 10_080 })),
  deferred: Type.Optional(Type.Integer({ minimum: 5, maximum: 20_160 })),
});

/** Partners' directory: which hub team serves which site, for what, within which times. */
export const Agreement = Type.Object({
  id: Id,
  siteId: SiteId,
  teamId: Id,
  urgencies: Type.Optional(Type.Array(Urgency)),
  modalities: Type.Optional(Type.Array(Type.String({ maxLength: 16 }))),
  /** Lower is preferred when several teams could take the same study. */
  priority: Type.Integer({ minimum: 0, maximum: 1000 }),
  /** Agreed report deadline per urgency, overriding the hub's defaults. */
  responseMinutes: Type.Optional(ResponseMinutes),
  validFrom: Type.Optional(IsoDateTime),
  validUntil: Type.Optional(IsoDateTime),
});
export type Agreement = Static<typeof Agreement>;

/** Derives the specialty asked from the study when the request does not say (e.g. stroke CT → neuro). */
export const RoutingRule = Type.Object({
  id: Id,
  specialty: Specialty,
  modalities: Type.Optional(Type.Array(Type.String({ maxLength: 16 }))),
  bodyParts: Type.Optional(Type.Array(Type.String({ maxLength: 64 }))),
  urgencies: Type.Optional(Type.Array(Urgency)),
});
export type RoutingRule = Static<typeof RoutingRule>;

export const Operator = Type.Object({ id: Id, displayName: Type.String({ maxLength: 120 }), channels: Channels, language: Type.Optional(Language) });
export type Operator = Static<typeof Operator>;

export const ShiftRole = Type.Union([Type.Literal('primary'), Type.Literal('backup')]);
export type ShiftRole = Static<typeof ShiftRole>;
export const DayType = Type.Union([Type.Literal('any'), Type.Literal('working'), Type.Literal('non-working')]);
export type DayType = Static<typeof DayType>;

/**
 * A repeating shift: starts at each `start` occurrence (in `zone`) whose local day matches
 * `dayType` (and the week cycle), ends at the next `end` occurrence after it.
 * Example night permanence: start `0 18 * * *`, end `0 8 * * *`.
 */
export const ShiftPattern = Type.Object({
  id: Id,
  teamId: Id,
  radiologistId: Id,
  role: ShiftRole,
  zone: IanaZone,
  start: CronPattern,
  end: CronPattern,
  dayType: Type.Optional(DayType),
  /** 1-in-N weeks rota: the shift applies in weeks where (weeks since `anchorMonday`) mod N == offset. */
  cycle: Type.Optional(Type.Object({ everyWeeks: Type.Integer({ minimum: 2, maximum: 12 }), anchorMonday: LocalDate, offset: Type.Integer({ minimum: 0, maximum: 11 }) })),
  /** Urgencies this shift takes (default all); e.g. a night permanence for emergencies only. */
  urgencies: Type.Optional(Type.Array(Urgency)),
  label: Type.Optional(Type.String({ maxLength: 80 })),
  validFrom: Type.Optional(IsoDateTime),
  validUntil: Type.Optional(IsoDateTime),
});
export type ShiftPattern = Static<typeof ShiftPattern>;

/** One-off on-call interval; with `replaces`, that radiologist is off call for the interval (swaps are two of these). */
export const RotaOverride = Type.Object({
  id: Id,
  teamId: Id,
  radiologistId: Id,
  role: ShiftRole,
  from: IsoDateTime,
  to: IsoDateTime,
  replaces: Type.Optional(Id),
  urgencies: Type.Optional(Type.Array(Urgency)),
  reason: Type.Optional(Type.String({ maxLength: 200 })),
});
export type RotaOverride = Static<typeof RotaOverride>;

/** A published rota (CSV/iCal import): inside it, the team's patterns are ignored; only overrides count. */
export const PlannedPeriod = Type.Object({ id: Id, teamId: Id, from: IsoDateTime, to: IsoDateTime, source: Type.Optional(Type.String({ maxLength: 120 })) });
export type PlannedPeriod = Static<typeof PlannedPeriod>;

export const ExtraHoliday = Type.Object({ date: LocalDate, region: Type.Optional(HolidayRegion), label: Type.String({ maxLength: 80 }) });
export type ExtraHoliday = Static<typeof ExtraHoliday>;

export const UrgencyMinutes = Type.Object({ emergency: Type.Integer({ minimum: 1 }), scheduled: Type.Integer({ minimum: 1 }), deferred: Type.Integer({ minimum: 1 }) });
export type UrgencyMinutes = Static<typeof UrgencyMinutes>;

export const DispatchPolicy = Type.Object({
  /** Time to take a case in charge before escalating; also the interval between escalation steps. */
  ackTimeoutMinutes: UrgencyMinutes,
  /** Emergency: report deadline and target after arrival, in minutes. */
  emergencyDeadlineMinutes: Type.Integer({ minimum: 5 }),
  emergencyTargetMinutes: Type.Integer({ minimum: 1 }),
  /** Scheduled (end of the arrival day) and deferred (end of the next working day): at risk this long before. */
  atRiskBeforeMinutes: Type.Object({ scheduled: Type.Integer({ minimum: 0 }), deferred: Type.Integer({ minimum: 0 }) }),
  /** When alert (3) goes: once the report is delivered to the site (default) or once signed. */
  reportAlertOn: Type.Union([Type.Literal('delivered'), Type.Literal('signed')]),
});
export type DispatchPolicy = Static<typeof DispatchPolicy>;

export const DEFAULT_DISPATCH_POLICY: DispatchPolicy = {
  ackTimeoutMinutes: { emergency: 5, scheduled: 30, deferred: 120 },
  emergencyDeadlineMinutes: 60,
  emergencyTargetMinutes: 30,
  atRiskBeforeMinutes: { scheduled: 120, deferred: 240 },
  reportAlertOn: 'delivered',
};

/** The whole editable directory and rota (one document, edited by operators). */
export const Rota = Type.Object({
  radiologists: Type.Array(Radiologist),
  teams: Type.Array(Team),
  sites: Type.Array(Site),
  agreements: Type.Array(Agreement),
  rules: Type.Array(RoutingRule),
  operators: Type.Array(Operator),
  patterns: Type.Array(ShiftPattern),
  overrides: Type.Array(RotaOverride),
  planned: Type.Array(PlannedPeriod),
  extraHolidays: Type.Array(ExtraHoliday),
  policy: DispatchPolicy,
});
export type Rota = Static<typeof Rota>;

/** A resolved on-call interval (pattern occurrence or override), instants in UTC. */
export const ShiftInstance = Type.Object({
  teamId: Id,
  radiologistId: Id,
  role: ShiftRole,
  start: IsoDateTime,
  end: IsoDateTime,
  source: Type.String({ maxLength: 80 }),
  urgencies: Type.Optional(Type.Array(Urgency)),
  label: Type.Optional(Type.String({ maxLength: 80 })),
});
export type ShiftInstance = Static<typeof ShiftInstance>;

// ---- cases ---------------------------------------------------------------------------------

export const RequestingClinician = Type.Object({
  name: Type.String({ maxLength: 120 }),
  channels: Channels,
  language: Type.Optional(Language),
});
export type RequestingClinician = Static<typeof RequestingClinician>;

/** What ingest (or the request desk) tells dispatch about a study. No patient identity. */
export const StudyForDispatch = Type.Object({
  /** Case key: the Study Instance UID, or the request id when the request came first. */
  caseId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }),
  studyInstanceUid: Type.Optional(Type.String({ maxLength: 64, pattern: '^[0-9]+(\\.[0-9]+)*$' })),
  siteId: SiteId,
  urgency: Urgency,
  modality: Type.String({ minLength: 1, maxLength: 16 }),
  bodyPart: Type.Optional(Type.String({ maxLength: 64 })),
  specialty: Type.Optional(Specialty),
  requestedBy: Type.Optional(RequestingClinician),
  /** Arrival at the hub (default: now on the hub's clock). Deadlines run from it. */
  receivedAt: Type.Optional(IsoDateTime),
});
export type StudyForDispatch = Static<typeof StudyForDispatch>;

export const CaseState = Type.Union([
  Type.Literal('received'), // waiting for someone on call (no one available yet)
  Type.Literal('assigned'),
  Type.Literal('acknowledged'),
  Type.Literal('reported'),
  Type.Literal('delivered'),
  Type.Literal('held'),
  Type.Literal('cancelled'),
]);
export type CaseState = Static<typeof CaseState>;
export const OPEN_CASE_STATES: readonly CaseState[] = ['received', 'assigned', 'acknowledged', 'held'];

export const DeadlineStatus = Type.Union([Type.Literal('on-time'), Type.Literal('at-risk'), Type.Literal('breached'), Type.Literal('met'), Type.Literal('missed')]);
export type DeadlineStatus = Static<typeof DeadlineStatus>;

export const Text2 = Type.Object({ fr: Type.String(), en: Type.String() });
export type Text2 = Static<typeof Text2>;

export const Actor = Type.Object({
  kind: Type.Union([Type.Literal('system'), Type.Literal('radiologist'), Type.Literal('operator'), Type.Literal('site')]),
  id: Type.Optional(Type.String({ maxLength: 64 })),
  rpps: Type.Optional(Type.String({ maxLength: 11 })),
});
export type Actor = Static<typeof Actor>;

export const TimelineEntry = Type.Object({
  at: IsoDateTime,
  type: Type.String({ maxLength: 40 }), // received, assigned, escalated, acknowledged, at-risk, breached, reported, delivered, notified…
  actor: Actor,
  text: Text2,
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

export const DispatchCase = Type.Object({
  caseId: Type.String(),
  reference: Type.String(),
  studyInstanceUid: Type.Optional(Type.String()),
  siteId: SiteId,
  urgency: Urgency,
  modality: Type.String(),
  bodyPart: Type.Optional(Type.String()),
  specialty: Type.Optional(Specialty),
  requestedBy: Type.Optional(RequestingClinician),
  state: CaseState,
  teamId: Type.Optional(Id),
  assignee: Type.Optional(Id),
  /** Radiologists told about this case (assignees and escalation targets): any may take it in charge. */
  alerted: Type.Array(Id),
  receivedAt: IsoDateTime,
  assignedAt: Type.Optional(IsoDateTime),
  acknowledgedAt: Type.Optional(IsoDateTime),
  reportedAt: Type.Optional(IsoDateTime),
  deliveredAt: Type.Optional(IsoDateTime),
  deadlineAt: IsoDateTime,
  atRiskAt: IsoDateTime,
  deadlineStatus: DeadlineStatus,
  /** Escalation clock: steps fire at escalationBase + k × ack timeout (k ≥ 1). */
  escalationBase: Type.Optional(IsoDateTime),
  escalationStep: Type.Integer({ minimum: 0 }),
  nextEscalationAt: Type.Optional(IsoDateTime),
  /** Next link of the escalation chain (back-up → team lead → hub operator, looping). */
  escalationNext: Type.Optional(Type.Union([Type.Literal('backup'), Type.Literal('lead'), Type.Literal('operator')])),
  timeline: Type.Array(TimelineEntry),
});
export type DispatchCase = Static<typeof DispatchCase>;

/** The live cases file (hub/dispatch/store). */
export const CaseDocument = Type.Object({ version: Type.Literal(1), cases: Type.Array(DispatchCase) });
export type CaseDocument = Static<typeof CaseDocument>;

export const WorklistItem = Type.Object({
  caseId: Type.String(),
  reference: Type.String(),
  studyInstanceUid: Type.Optional(Type.String()),
  siteId: SiteId,
  siteName: Type.String(),
  urgency: Urgency,
  modality: Type.String(),
  bodyPart: Type.Optional(Type.String()),
  specialty: Type.Optional(Specialty),
  state: CaseState,
  receivedAt: IsoDateTime,
  deadlineAt: IsoDateTime,
  deadlineStatus: DeadlineStatus,
  explanation: Type.Optional(Text2),
  /** Who holds the case now (assigned or taken in charge), for operators' and radiologists' lists. */
  assigneeId: Type.Optional(Id),
  assigneeName: Type.Optional(Type.String()),
  acknowledgedAt: Type.Optional(IsoDateTime),
  /** Escalation steps taken so far, and when the next one fires if nobody takes the case. */
  escalationStep: Type.Optional(Type.Integer({ minimum: 0 })),
  nextEscalationAt: Type.Optional(IsoDateTime),
});
export type WorklistItem = Static<typeof WorklistItem>;

export const DeadlineCounters = Type.Object({
  at: IsoDateTime,
  open: Type.Record(Type.String(), Type.Object({ onTime: Type.Integer(), atRisk: Type.Integer(), breached: Type.Integer() })),
  closed: Type.Record(Type.String(), Type.Object({ met: Type.Integer(), missed: Type.Integer() })),
  waiting: Type.Integer(),
  escalations: Type.Integer(),
});
export type DeadlineCounters = Static<typeof DeadlineCounters>;

export const AcknowledgeBody = Type.Object({ radiologistId: Type.Optional(Id) });
export const ReassignBody = Type.Object({ radiologistId: Id, reason: Type.Optional(Type.String({ maxLength: 200 })) });

// ---- HTTP routes (hub) -----------------------------------------------------------------------

/**
 * | method | path                                           | role                  |
 * | ------ | ---------------------------------------------- | --------------------- |
 * | GET    | /api/v1/dispatch/rota                          | operator, admin       |
 * | PUT    | /api/v1/dispatch/rota                          | admin                 |
 * | PUT    | /api/v1/dispatch/rota/:collection/:id          | admin                 |
 * | DELETE | /api/v1/dispatch/rota/:collection/:id          | admin                 |
 * | POST   | /api/v1/dispatch/rota/swaps                    | operator, admin       |
 * | GET    | /api/v1/dispatch/rota/shifts.csv|.ics?from&to  | operator, admin, radiologist (own) |
 * | POST   | /api/v1/dispatch/rota/shifts.csv|.ics?teamId&from&to | admin           |
 * | GET    | /api/v1/dispatch/on-call?at=&teamId=           | operator, admin, radiologist (now and next change per team) |
 * | GET    | /api/v1/dispatch/channels                      | operator, admin (alert channels this hub is configured for) |
 * | GET    | /api/v1/dispatch/worklist                      | radiologist (own), operator (?radiologistId) |
 * | GET    | /api/v1/dispatch/cases?state=                  | operator, admin       |
 * | GET    | /api/v1/dispatch/cases/:caseId                 | operator, admin, radiologist alerted on it |
 * | POST   | /api/v1/dispatch/cases/:caseId/acknowledge     | radiologist alerted on it |
 * | POST   | /api/v1/dispatch/cases/:caseId/reassign        | operator, admin       |
 * | GET    | /api/v1/dispatch/counters                      | operator, admin       |
 */
export const DISPATCH_ROUTES = {
  rota: '/api/v1/dispatch/rota',
  rotaItem: (collection: string, id: string) => `/api/v1/dispatch/rota/${collection}/${encodeURIComponent(id)}`,
  swaps: '/api/v1/dispatch/rota/swaps',
  shiftsCsv: '/api/v1/dispatch/rota/shifts.csv',
  shiftsIcs: '/api/v1/dispatch/rota/shifts.ics',
  onCall: '/api/v1/dispatch/on-call',
  channels: '/api/v1/dispatch/channels',
  worklist: '/api/v1/dispatch/worklist',
  cases: '/api/v1/dispatch/cases',
  case: (caseId: string) => `/api/v1/dispatch/cases/${encodeURIComponent(caseId)}`,
  acknowledge: (caseId: string) => `/api/v1/dispatch/cases/${encodeURIComponent(caseId)}/acknowledge`,
  reassign: (caseId: string) => `/api/v1/dispatch/cases/${encodeURIComponent(caseId)}/reassign`,
  counters: '/api/v1/dispatch/counters',
} as const;

/** One radiologist on call (answer of the on-call route). */
export const OnCallEntry = Type.Object({
  teamId: Id,
  radiologistId: Id,
  displayName: Type.String(),
  role: ShiftRole,
  since: IsoDateTime,
  until: IsoDateTime,
  openCases: Type.Integer({ minimum: 0 }),
});
export type OnCallEntry = Static<typeof OnCallEntry>;

/**
 * `GET /api/v1/dispatch/on-call`: who is on call at `at`, and for each team the next instant
 * (within two weeks) at which that changes, with who is on call then.
 */
export const OnCallAnswer = Type.Object({
  at: IsoDateTime,
  onCall: Type.Array(OnCallEntry),
  next: Type.Array(Type.Object({ teamId: Id, at: IsoDateTime, onCall: Type.Array(OnCallEntry) })),
});
export type OnCallAnswer = Static<typeof OnCallAnswer>;

export const SwapBody = Type.Object({
  teamId: Id,
  a: Type.Object({ radiologistId: Id, from: IsoDateTime, to: IsoDateTime }),
  b: Type.Object({ radiologistId: Id, from: IsoDateTime, to: IsoDateTime }),
  reason: Type.Optional(Type.String({ maxLength: 200 })),
});
export type SwapBody = Static<typeof SwapBody>;

// ---- socket.io (/dispatch) -----------------------------------------------------------------

export const DISPATCH_NAMESPACE = '/dispatch';

export const AssignmentEvent = Type.Object({ item: WorklistItem, explanation: Text2 });
export type AssignmentEvent = Static<typeof AssignmentEvent>;
export const EscalationEvent = Type.Object({ caseId: Type.String(), reference: Type.String(), step: Type.Integer(), target: Type.String(), urgency: Urgency, text: Text2 });
export type EscalationEvent = Static<typeof EscalationEvent>;
export const AlertEvent = Type.Object({ alert: Type.String(), caseId: Type.String(), reference: Type.String(), text: Text2 });
export type AlertEvent = Static<typeof AlertEvent>;

/** Radiologists join room `radiologist:<id>`; operators and admins join `operators`. */
export interface DispatchServerToClient {
  assignment: (e: AssignmentEvent) => void;
  escalation: (e: EscalationEvent) => void;
  alert: (e: AlertEvent) => void;
  'case:update': (c: WorklistItem) => void;
}

export interface DispatchClientToServer {
  'worklist:get': (ack: (items: WorklistItem[]) => void) => void;
}

/**
 * The dispatch engine: a case's life from arrival to delivery of its report.
 * received → assigned → acknowledged (taken in charge) → reported → delivered, plus held and
 * cancelled. Routing picks who (routing.ts); an unacknowledged case escalates every ack
 * timeout along back-up → team lead → hub operator, looping; deadlines turn at-risk and
 * breached on time; shift changes hand unacknowledged cases to who is now on call; alerts go
 * through the notification outbox after the state change that causes them is durable.
 *
 * Contract:
 * - Every timer runs on the injected clock (one keyed scheduler); a manual clock drives it all.
 * - Public mutations resolve once the new state is on disk (case store), then the alerts they
 *   cause are recorded and sent; a timer-driven change is persisted the same way, in order.
 * - `start()` recovers: re-arms deadlines and escalations from the stored instants (an
 *   escalation overdue by more than one step fires once and the chain restarts from now),
 *   routes waiting cases, and re-plans the alerts each state implies (deduplicated by key).
 * - A case holds no patient identity; inputs are validated against protocol/dispatch.ts.
 */
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { BackoffPolicy } from '../../lib/backoff.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import { assertValid } from '../../protocol/validate.ts';
import {
  Rota as RotaSchema, StudyForDispatch as StudySchema, DEFAULT_DISPATCH_POLICY,
  type CaseDocument, type DeadlineCounters, type DispatchCase, type Rota, type StudyForDispatch, type Text2, type TimelineEntry, type Actor, type WorklistItem, type CaseState,
} from '../../protocol/dispatch.ts';
import type { Urgency } from '../../protocol/common.ts';
import { NotificationOutbox } from '../notify/outbox.ts';
import type { ChannelAdapter, Delivery, DeliveryRequest, DeliveryStore } from '../notify/types.ts';
import { compileRota, OnCallIndex, type CompiledRota, type OnCall } from './rota/rota.ts';
import { regionForZone } from './rota/holidays.ts';
import { Directory, route, agreementsFor, type RoutingDecision } from './routing.ts';
import { deadlineFor } from './deadlines.ts';
import { Scheduler } from './scheduler.ts';
import { caseReference } from './reference.ts';
import { planAlert, radiologistAudience, clinicianAudiences, operatorAudiences, type AlertKind, type AlertFacts } from './alerts.ts';
import { T } from './texts.ts';
import type { DocumentStore } from './store/json-document.ts';
import type { CaseArchive } from './store/archive.ts';

export class DispatchError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'DispatchError';
  }
}

export interface DispatchEngineDeps {
  clock: Clock;
  logger: Logger;
  rotaStore: DocumentStore<Rota>;
  caseStore: DocumentStore<CaseDocument>;
  notify: { channels: readonly ChannelAdapter[]; store: DeliveryStore; random?: () => number; retry?: BackoffPolicy; maxAgeMs?: number };
  /** Rota used when the store holds none yet. */
  initialRota?: Rota;
  /** Zone of the hub's operators, for times in their alerts. */
  hubZone?: string;
  /** Where closed cases go once `retainClosedMs` has passed (default: kept in the live file). */
  archive?: CaseArchive;
  retainClosedMs?: number;
}

export type CaseListener = (c: DispatchCase) => void;

const URGENCY_RANK: Record<Urgency, number> = { emergency: 0, scheduled: 1, deferred: 2 };
const CHAIN = ['backup', 'lead', 'operator'] as const;
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const SYSTEM: Actor = { kind: 'system' };

export function emptyRota(): Rota {
  return { radiologists: [], teams: [], sites: [], agreements: [], rules: [], operators: [], patterns: [], overrides: [], planned: [], extraHolidays: [], policy: DEFAULT_DISPATCH_POLICY };
}

export class DispatchEngine {
  readonly #d: DispatchEngineDeps;
  readonly #scheduler: Scheduler;
  readonly outbox: NotificationOutbox;
  readonly #cases = new Map<string, DispatchCase>();
  readonly #load = new Map<string, number>();
  readonly #listeners = new Set<CaseListener>();
  #rota: Rota = emptyRota();
  #compiled!: CompiledRota;
  #dir!: Directory;
  #index!: OnCallIndex;
  #alerts: DeliveryRequest[] = [];
  #commitChain: Promise<void> = Promise.resolve();
  #queuedCommit: Promise<void> | undefined;
  #started = false;

  constructor(deps: DispatchEngineDeps) {
    this.#d = deps;
    this.#scheduler = new Scheduler(deps.clock, (err, key) => deps.logger.error({ err: (err as Error).message, key }, 'dispatch timer failed'));
    this.outbox = new NotificationOutbox({
      clock: deps.clock,
      logger: deps.logger,
      channels: deps.notify.channels,
      store: deps.notify.store,
      ...(deps.notify.random ? { random: deps.notify.random } : {}),
      ...(deps.notify.retry ? { retry: deps.notify.retry } : {}),
      ...(deps.notify.maxAgeMs ? { maxAgeMs: deps.notify.maxAgeMs } : {}),
      onSettled: (d) => this.#onDeliverySettled(d),
    });
    this.#useRota(deps.initialRota ?? emptyRota());
  }

  // ---- life ---------------------------------------------------------------------------------

  async start(): Promise<void> {
    const stored = await this.#d.rotaStore.load();
    if (stored) this.#useRota(assertValid(RotaSchema, stored));
    else await this.#d.rotaStore.save(this.#rota);
    const doc = await this.#d.caseStore.load();
    for (const c of doc?.cases ?? []) this.#cases.set(c.caseId, c);
    for (const c of this.#cases.values()) if (c.assignee && (c.state === 'assigned' || c.state === 'acknowledged')) this.#inc(c.assignee);
    await this.outbox.start();
    this.#started = true;
    const now = this.#now();
    for (const c of this.#cases.values()) {
      this.#armDeadline(c);
      if (c.state === 'assigned') this.#armEscalation(c);
      this.#replanAlerts(c);
    }
    this.#assignWaiting(now);
    this.#armRotaChange(now);
    this.#armArchiveSweep(now);
    await this.#commit();
  }

  async stop(): Promise<void> {
    this.#scheduler.stop();
    await this.idle();
    await this.outbox.stop();
    await this.idle();
  }

  /** Resolves when pending writes and alert sends are done, follow-ups included (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const chain = this.#commitChain;
      await chain.catch(() => {});
      await this.outbox.idle();
      if (chain === this.#commitChain && this.#alerts.length === 0) return;
    }
  }

  onCase(listener: CaseListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- rota ---------------------------------------------------------------------------------

  get rota(): Rota {
    return structuredClone(this.#rota);
  }

  get directory(): Directory {
    return this.#dir;
  }

  get compiledRota(): CompiledRota {
    return this.#compiled;
  }

  /** Validates, stores and applies a new rota; unacknowledged cases follow the new on-call list. */
  async setRota(rota: Rota): Promise<void> {
    const valid = assertValid(RotaSchema, rota);
    const previous = this.#rota;
    this.#useRota(valid); // throws RotaInvalidError before anything is stored
    try {
      await this.#d.rotaStore.save(valid);
    } catch (err) {
      this.#useRota(previous);
      throw err;
    }
    const now = this.#now();
    this.#rebalance(now);
    this.#armRotaChange(now);
    await this.#commit();
  }

  onCallAt(instant: number, teamId?: string): OnCall[] {
    return this.#index.at(instant, teamId);
  }

  /** The engine's clock (routes answer "now" on it, so a manual clock drives pages in tests). */
  now(): number {
    return this.#now();
  }

  /** The list view of a live case (no timeline copy), or undefined. */
  summary(caseId: string): WorklistItem | undefined {
    const c = this.#cases.get(caseId);
    return c ? this.worklistItem(c) : undefined;
  }

  /** Whether a case with this id is live (cheap: no copy). */
  hasCase(caseId: string): boolean {
    return this.#cases.has(caseId);
  }

  /** Names of the alert channels this engine can send on (web, sms, email, webhook). */
  channels(): string[] {
    return this.outbox.channelNames();
  }

  #useRota(rota: Rota): void {
    const compiled = compileRota(rota);
    this.#rota = rota;
    this.#compiled = compiled;
    this.#dir = new Directory(rota);
    this.#index = new OnCallIndex(compiled);
  }

  // ---- cases: the API for ingest, reporting and the pages -----------------------------------

  /** A study (or a request) arrived. Idempotent per caseId. Resolves once the case is durable. */
  async onStudyReceived(input: StudyForDispatch): Promise<DispatchCase> {
    const study = assertValid(StudySchema, input);
    this.#assertStarted();
    const existing = this.#cases.get(study.caseId);
    if (existing) {
      if (study.studyInstanceUid && !existing.studyInstanceUid) {
        existing.studyInstanceUid = study.studyInstanceUid;
        this.#note(existing, 'images-received', SYSTEM, T.imagesReceived());
        this.#changed(existing);
        await this.#commit();
      }
      return structuredClone(existing);
    }
    const now = this.#now();
    const receivedAt = study.receivedAt ? Math.min(Date.parse(study.receivedAt), now) : now;
    const site = this.#dir.sites.get(study.siteId);
    const zone = site?.zone ?? this.#hubZone();
    const routable = { siteId: study.siteId, urgency: study.urgency, modality: study.modality, ...(study.bodyPart ? { bodyPart: study.bodyPart } : {}), ...(study.specialty ? { specialty: study.specialty } : {}) };
    const agreed = agreementsFor(this.#dir, routable, now).find((a) => a.responseMinutes?.[study.urgency] !== undefined)?.responseMinutes?.[study.urgency];
    const deadline = deadlineFor({
      urgency: study.urgency, receivedAt, zone: this.#compiled.zones.get(zone), region: site?.holidayRegion ?? regionForZone(zone),
      holidays: this.#compiled.holidays, policy: this.#rota.policy, ...(agreed !== undefined ? { agreedMinutes: agreed } : {}),
    });
    const c: DispatchCase = {
      caseId: study.caseId,
      reference: caseReference(study.caseId),
      siteId: study.siteId,
      urgency: study.urgency,
      modality: study.modality.toUpperCase(),
      state: 'received',
      alerted: [],
      receivedAt: iso(receivedAt),
      deadlineAt: iso(deadline.deadlineAt),
      atRiskAt: iso(deadline.atRiskAt),
      deadlineStatus: 'on-time',
      escalationStep: 0,
      timeline: [],
    };
    if (study.studyInstanceUid) c.studyInstanceUid = study.studyInstanceUid;
    if (study.bodyPart) c.bodyPart = study.bodyPart.toUpperCase();
    if (study.specialty) c.specialty = study.specialty;
    if (study.requestedBy) c.requestedBy = study.requestedBy;
    this.#cases.set(c.caseId, c);
    this.#note(c, 'received', { kind: 'site', id: c.siteId }, T.received(site?.name ?? c.siteId, c.urgency, c.modality, c.bodyPart), { deadlineAt: c.deadlineAt, atRiskAt: c.atRiskAt });
    this.#routeCase(c, now);
    this.#armDeadline(c);
    this.#changed(c);
    await this.#commit();
    return structuredClone(c);
  }

  /** The radiologist takes the case in charge (any radiologist alerted on it may). */
  async acknowledge(caseId: string, radiologistId: string): Promise<DispatchCase> {
    const c = this.#get(caseId);
    if (c.state === 'acknowledged' && c.assignee === radiologistId) return structuredClone(c);
    if (c.state !== 'assigned') throw new DispatchError('RELAIS_DISPATCH_INVALID_STATE', `case is ${c.state}`);
    if (!c.alerted.includes(radiologistId)) throw new DispatchError('RELAIS_DISPATCH_NOT_ALERTED', 'this radiologist was not alerted for this case');
    const now = this.#now();
    this.#doAcknowledge(c, radiologistId, now);
    this.#changed(c);
    await this.#commit();
    return structuredClone(c);
  }

  /** The report is signed (implies taking in charge if not done). Stops the deadline clock. */
  async onReportSigned(e: { caseId: string; radiologistId: string; signedAt?: string }): Promise<DispatchCase> {
    const c = this.#get(e.caseId);
    if (c.state === 'reported' || c.state === 'delivered') return structuredClone(c);
    const now = this.#now();
    if (c.state === 'assigned') {
      if (!c.alerted.includes(e.radiologistId)) throw new DispatchError('RELAIS_DISPATCH_NOT_ALERTED', 'this radiologist was not alerted for this case');
      this.#doAcknowledge(c, e.radiologistId, now);
    }
    if (c.state !== 'acknowledged') throw new DispatchError('RELAIS_DISPATCH_INVALID_STATE', `case is ${c.state}`);
    const at = e.signedAt ? Math.min(Date.parse(e.signedAt), now) : now;
    const signer = this.#dir.radiologists.get(e.radiologistId);
    if (c.assignee) this.#dec(c.assignee);
    c.state = 'reported';
    c.reportedAt = iso(at);
    const met = at < Date.parse(c.deadlineAt); // the deadline instant itself is late: the breach fires then
    c.deadlineStatus = met ? 'met' : 'missed';
    this.#clearTimers(c);
    this.#note(c, 'reported', this.#radActor(e.radiologistId), T.reported(signer?.displayName ?? e.radiologistId, met), { radiologistId: e.radiologistId, met });
    if (this.#rota.policy.reportAlertOn === 'signed') this.#alert('report-available', c, this.#facts(c, { radiologistName: signer?.displayName }), clinicianAudiences(this.#dir, c));
    this.#changed(c);
    this.#assignWaiting(now);
    await this.#commit();
    return structuredClone(c);
  }

  /** The site confirmed the report is in its systems: alert (3) to the clinician (default policy). */
  async onReportDelivered(e: { caseId: string; deliveredAt?: string }): Promise<DispatchCase> {
    const c = this.#get(e.caseId);
    if (c.state === 'delivered') return structuredClone(c);
    if (c.state !== 'reported') throw new DispatchError('RELAIS_DISPATCH_INVALID_STATE', `case is ${c.state}`);
    const now = this.#now();
    c.state = 'delivered';
    c.deliveredAt = iso(e.deliveredAt ? Math.min(Date.parse(e.deliveredAt), now) : now);
    this.#note(c, 'delivered', { kind: 'site', id: c.siteId }, T.delivered());
    if (this.#rota.policy.reportAlertOn === 'delivered') this.#alert('report-available', c, this.#facts(c), clinicianAudiences(this.#dir, c));
    this.#changed(c);
    await this.#commit();
    return structuredClone(c);
  }

  /** Operator: give the case to a radiologist (who must exist; capacity is their call). */
  async reassign(caseId: string, radiologistId: string, by: Actor, reason?: string): Promise<DispatchCase> {
    const c = this.#get(caseId);
    if (!['received', 'assigned', 'acknowledged'].includes(c.state)) throw new DispatchError('RELAIS_DISPATCH_INVALID_STATE', `case is ${c.state}`);
    const r = this.#dir.radiologists.get(radiologistId);
    if (!r) throw new DispatchError('RELAIS_NOT_FOUND', 'unknown radiologist');
    const now = this.#now();
    const teamId = c.teamId ?? this.#rota.teams.find((t) => t.members.includes(radiologistId))?.id ?? '';
    this.#assign(c, radiologistId, teamId, now, 'reassigned', T.reassignedByOperator(r.displayName, reason), by, {});
    this.#changed(c);
    await this.#commit();
    return structuredClone(c);
  }

  async hold(caseId: string, reason: string, by: Actor): Promise<DispatchCase> {
    const c = this.#get(caseId);
    if (!['received', 'assigned'].includes(c.state)) throw new DispatchError('RELAIS_DISPATCH_INVALID_STATE', `case is ${c.state}`);
    if (c.assignee && c.state === 'assigned') this.#dec(c.assignee);
    c.state = 'held';
    this.#scheduler.cancel(`esc:${c.caseId}`);
    delete c.nextEscalationAt;
    this.#note(c, 'held', by, T.held(reason));
    this.#changed(c);
    this.#assignWaiting(this.#now());
    await this.#commit();
    return structuredClone(c);
  }

  async release(caseId: string, by: Actor): Promise<DispatchCase> {
    const c = this.#get(caseId);
    if (c.state !== 'held') throw new DispatchError('RELAIS_DISPATCH_INVALID_STATE', `case is ${c.state}`);
    c.state = 'received';
    delete c.assignee;
    this.#note(c, 'released', by, T.released());
    this.#routeCase(c, this.#now());
    this.#changed(c);
    await this.#commit();
    return structuredClone(c);
  }

  async cancel(caseId: string, reason: string, by: Actor): Promise<DispatchCase> {
    const c = this.#get(caseId);
    if (c.state === 'cancelled') return structuredClone(c);
    if (c.state === 'reported' || c.state === 'delivered') throw new DispatchError('RELAIS_DISPATCH_INVALID_STATE', `case is ${c.state}`);
    if (c.assignee && (c.state === 'assigned' || c.state === 'acknowledged')) this.#dec(c.assignee);
    c.state = 'cancelled';
    this.#clearTimers(c);
    this.#note(c, 'cancelled', by, T.cancelled(reason));
    this.#changed(c);
    this.#assignWaiting(this.#now());
    await this.#commit();
    return structuredClone(c);
  }

  /**
   * Issue 7: the radiologist answered the case's exam request (protocol sent, more information
   * asked, declined): a timeline line, and the requesting clinician is told (deduplicated per
   * answer: `step` is the answer's number).
   */
  async onRequestAnswered(e: { caseId: string; answerNumber: number; words: Text2; radiologistName: string; actor: Actor }): Promise<void> {
    const c = this.#get(e.caseId);
    this.#note(c, 'request-answered', e.actor, e.words, { answer: e.answerNumber });
    this.#alert('request-answered', c, this.#facts(c, { radiologistName: e.radiologistName, step: e.answerNumber, reason: e.words }), clinicianAudiences(this.#dir, c));
    this.#changed(c);
    await this.#commit();
  }

  /** Adds a line to a case's timeline (other hub modules: protocol answer, report sent…). */
  async note(caseId: string, type: string, actor: Actor, text: Text2, data?: Record<string, unknown>): Promise<void> {
    const c = this.#get(caseId);
    this.#note(c, type, actor, text, data);
    this.#changed(c);
    await this.#commit();
  }

  // ---- reading ------------------------------------------------------------------------------

  getCase(caseId: string): DispatchCase | undefined {
    const c = this.#cases.get(caseId);
    return c ? structuredClone(c) : undefined;
  }

  cases(filter: (c: DispatchCase) => boolean = () => true): DispatchCase[] {
    return [...this.#cases.values()].filter(filter).map((c) => structuredClone(c));
  }

  openCases(radiologistId: string): number {
    return this.#load.get(radiologistId) ?? 0;
  }

  /** The radiologist's cases (assigned to them, or alerted by escalation and not yet taken), most urgent first. */
  worklist(radiologistId: string): WorklistItem[] {
    const mine = [...this.#cases.values()].filter(
      (c) => (c.assignee === radiologistId && (c.state === 'assigned' || c.state === 'acknowledged')) || (c.state === 'assigned' && c.alerted.includes(radiologistId)),
    );
    return mine.sort(byUrgencyThenDeadline).map((c) => this.worklistItem(c));
  }

  worklistItem(c: DispatchCase): WorklistItem {
    const explanation = [...c.timeline].reverse().find((e) => e.type === 'assigned' || e.type === 'reassigned' || e.type === 'escalated')?.text;
    const item: WorklistItem = {
      caseId: c.caseId, reference: c.reference, siteId: c.siteId, siteName: this.#dir.sites.get(c.siteId)?.name ?? c.siteId,
      urgency: c.urgency, modality: c.modality, state: c.state, receivedAt: c.receivedAt, deadlineAt: c.deadlineAt, deadlineStatus: c.deadlineStatus,
    };
    if (c.studyInstanceUid) item.studyInstanceUid = c.studyInstanceUid;
    if (c.bodyPart) item.bodyPart = c.bodyPart;
    if (c.specialty) item.specialty = c.specialty;
    if (explanation) item.explanation = explanation;
    if (c.assignee && (c.state === 'assigned' || c.state === 'acknowledged' || c.state === 'reported' || c.state === 'delivered')) {
      item.assigneeId = c.assignee;
      item.assigneeName = this.#dir.name(c.assignee);
    }
    if (c.acknowledgedAt) item.acknowledgedAt = c.acknowledgedAt;
    if (c.escalationStep > 0) item.escalationStep = c.escalationStep;
    if (c.nextEscalationAt && c.state === 'assigned') item.nextEscalationAt = c.nextEscalationAt;
    return item;
  }

  counters(): DeadlineCounters {
    const open: DeadlineCounters['open'] = {};
    const closed: DeadlineCounters['closed'] = {};
    let waiting = 0;
    let escalations = 0;
    for (const u of ['emergency', 'scheduled', 'deferred'] as const) {
      open[u] = { onTime: 0, atRisk: 0, breached: 0 };
      closed[u] = { met: 0, missed: 0 };
    }
    for (const c of this.#cases.values()) {
      escalations += c.timeline.filter((e) => e.type === 'escalated').length;
      if (c.state === 'cancelled') continue;
      if (c.state === 'received') waiting++;
      const o = open[c.urgency]!;
      const k = closed[c.urgency]!;
      if (c.deadlineStatus === 'on-time') o.onTime++;
      else if (c.deadlineStatus === 'at-risk') o.atRisk++;
      else if (c.deadlineStatus === 'breached') o.breached++;
      else if (c.deadlineStatus === 'met') k.met++;
      else k.missed++;
    }
    return { at: iso(this.#now()), open, closed, waiting, escalations };
  }

  // ---- internals: routing and assignment ----------------------------------------------------

  #routeCase(c: DispatchCase, now: number, exclude?: ReadonlySet<string>): RoutingDecision {
    const decision = route({
      dir: this.#dir,
      study: { siteId: c.siteId, urgency: c.urgency, modality: c.modality, ...(c.bodyPart ? { bodyPart: c.bodyPart } : {}), ...(c.specialty ? { specialty: c.specialty } : {}) },
      at: now,
      onCallAt: (teamId) => this.#index.at(now, teamId),
      load: (id) => this.#load.get(id) ?? 0,
      ...(exclude ? { exclude } : {}),
    });
    if (decision.kind === 'assign') {
      this.#assign(c, decision.radiologistId, decision.teamId, now, 'assigned', decision.text, SYSTEM, {
        teamId: decision.teamId, role: decision.role, openCases: decision.openCases, specialtyAsked: decision.specialtyAsked, specialtyMatched: decision.specialtyMatched, agreementId: decision.agreementId,
      });
    } else if (c.state === 'received' && !c.timeline.some((e) => e.type === 'waiting')) {
      this.#note(c, 'waiting', SYSTEM, decision.text, { reason: decision.reason });
      this.#alert('operator-attention', c, this.#facts(c, { reason: decision.text }), operatorAudiences(this.#dir, this.#hubZone()));
    }
    return decision;
  }

  #assign(c: DispatchCase, radiologistId: string, teamId: string, now: number, type: 'assigned' | 'reassigned', text: Text2, actor: Actor, data: Record<string, unknown>): void {
    const wasHolding = c.assignee && (c.state === 'assigned' || c.state === 'acknowledged');
    if (wasHolding && c.assignee) this.#dec(c.assignee);
    c.assignee = radiologistId;
    c.teamId = teamId;
    c.state = 'assigned';
    delete c.acknowledgedAt;
    c.assignedAt = iso(now);
    if (!c.alerted.includes(radiologistId)) c.alerted.push(radiologistId);
    this.#inc(radiologistId);
    c.escalationBase = iso(now);
    c.escalationStep = 0;
    c.escalationNext = 'backup';
    c.nextEscalationAt = iso(now + this.#ackMs(c));
    const r = this.#dir.radiologists.get(radiologistId);
    this.#note(c, type, actor, text, { radiologistId, rpps: r?.rpps, ...data });
    this.#armEscalation(c);
    this.#alert('study-assigned', c, this.#facts(c, { reason: text, ackBy: now + this.#ackMs(c), radiologistName: r?.displayName }), [this.#radAudience(c, radiologistId)]);
  }

  #doAcknowledge(c: DispatchCase, radiologistId: string, now: number): void {
    if (c.assignee !== radiologistId) {
      if (c.assignee) this.#dec(c.assignee);
      this.#inc(radiologistId);
      c.assignee = radiologistId;
    }
    c.state = 'acknowledged';
    c.acknowledgedAt = iso(now);
    this.#scheduler.cancel(`esc:${c.caseId}`);
    delete c.nextEscalationAt;
    const r = this.#dir.radiologists.get(radiologistId);
    this.#note(c, 'acknowledged', this.#radActor(radiologistId), T.acknowledged(r?.displayName ?? radiologistId, this.openCases(radiologistId), r?.maxOpenCases ?? 0));
    this.#alert('taken-in-charge', c, this.#facts(c, { radiologistName: r?.displayName }), clinicianAudiences(this.#dir, c));
  }

  /** Waiting cases go to whoever is free now, most urgent first. */
  #assignWaiting(now: number): void {
    const waiting = [...this.#cases.values()].filter((c) => c.state === 'received').sort(byUrgencyThenDeadline);
    for (const c of waiting) {
      if (this.#routeCase(c, now).kind === 'assign') this.#changed(c);
    }
  }

  /** After a shift change or a rota edit: unacknowledged cases of people now off call move on. */
  #rebalance(now: number): void {
    for (const c of this.#cases.values()) {
      if (c.state !== 'assigned' || !c.assignee || !c.teamId) continue;
      const still = this.#index.at(now, c.teamId).some((o) => o.radiologistId === c.assignee);
      if (still) continue;
      const name = this.#dir.name(c.assignee);
      const decision = route({
        dir: this.#dir,
        study: { siteId: c.siteId, urgency: c.urgency, modality: c.modality, ...(c.bodyPart ? { bodyPart: c.bodyPart } : {}), ...(c.specialty ? { specialty: c.specialty } : {}) },
        at: now,
        onCallAt: (teamId) => this.#index.at(now, teamId),
        load: (id) => this.#load.get(id) ?? 0,
        exclude: new Set([c.assignee]),
      });
      if (decision.kind !== 'assign') continue; // nobody else: keep it, escalation goes on
      this.#note(c, 'shift-ended', SYSTEM, T.shiftEnded(name), { radiologistId: c.assignee });
      this.#assign(c, decision.radiologistId, decision.teamId, now, 'assigned', decision.text, SYSTEM, { teamId: decision.teamId, role: decision.role, openCases: decision.openCases, specialtyAsked: decision.specialtyAsked, specialtyMatched: decision.specialtyMatched });
      this.#changed(c);
    }
    this.#assignWaiting(now);
  }

  #armRotaChange(now: number): void {
    const next = this.#index.nextChange(now);
    if (next === undefined) return;
    this.#scheduler.schedule('rota:change', next, () => {
      const t = this.#now();
      this.#rebalance(t);
      this.#armRotaChange(t);
      void this.#commit().catch(() => {});
    });
  }

  /** Hourly: closed cases older than the retention leave the live file for the archive. */
  #armArchiveSweep(now: number): void {
    if (!this.#d.archive) return;
    this.#scheduler.schedule('archive:sweep', now + 3_600_000, () => {
      void this.archiveClosed().catch((err) => this.#d.logger.error({ err: (err as Error).message }, 'could not archive closed cases'));
      this.#armArchiveSweep(this.#now());
    });
  }

  /** Moves closed cases (delivered, cancelled) whose alerts are settled out of the live file. */
  async archiveClosed(): Promise<number> {
    const archive = this.#d.archive;
    if (!archive) return 0;
    await this.idle();
    const now = this.#now();
    const retain = this.#d.retainClosedMs ?? 24 * 3_600_000;
    const pending = new Set(this.outbox.list((d) => d.status === 'pending').map((d) => d.caseId));
    const old = [...this.#cases.values()].filter((c) => {
      if (c.state !== 'delivered' && c.state !== 'cancelled') return false;
      const closedAt = Date.parse(c.timeline[c.timeline.length - 1]?.at ?? c.receivedAt);
      return now - closedAt >= retain && !pending.has(c.caseId);
    });
    if (old.length === 0) return 0;
    await archive.append(old, now); // durable first, then forgotten
    for (const c of old) this.#cases.delete(c.caseId);
    await this.#commit();
    await this.outbox.forget(new Set(old.map((c) => c.caseId)));
    return old.length;
  }

  // ---- internals: escalation and deadlines --------------------------------------------------

  #ackMs(c: DispatchCase): number {
    return this.#rota.policy.ackTimeoutMinutes[c.urgency] * MIN;
  }

  #armEscalation(c: DispatchCase): void {
    if (c.state !== 'assigned' || !c.nextEscalationAt) return;
    this.#scheduler.schedule(`esc:${c.caseId}`, Date.parse(c.nextEscalationAt), () => this.#escalate(c.caseId));
  }

  #escalate(caseId: string): void {
    const c = this.#cases.get(caseId);
    if (!c || c.state !== 'assigned' || !c.escalationBase) return;
    const now = this.#now();
    const ackMs = this.#ackMs(c);
    const k = c.escalationStep + 1;
    let base = Date.parse(c.escalationBase);
    if (now - (base + k * ackMs) >= ackMs) {
      base = now - k * ackMs; // recovered late (hub was down): one step now, then the normal pace
      c.escalationBase = iso(base);
    }
    const minutes = Math.round((now - base) / MIN);
    const team = c.teamId ? this.#dir.teams.get(c.teamId) : undefined;
    let pos = Math.max(0, CHAIN.indexOf(c.escalationNext ?? 'backup'));
    for (let tried = 0; tried < 3; tried++, pos = (pos + 1) % 3) {
      const link = CHAIN[pos]!;
      if (link === 'backup') {
        const b = this.#pickBackup(c, now);
        if (!b) {
          this.#note(c, 'escalation-skipped', SYSTEM, T.noBackup(), { step: k, link });
          continue;
        }
        const from = this.#dir.name(c.assignee ?? '');
        if (c.assignee) this.#dec(c.assignee);
        this.#inc(b);
        c.assignee = b;
        if (!c.alerted.includes(b)) c.alerted.push(b);
        const text = T.escalatedBackup(this.#dir.name(b), from, minutes);
        this.#note(c, 'escalated', SYSTEM, text, { step: k, link, radiologistId: b, rpps: this.#dir.radiologists.get(b)?.rpps });
        this.#alert('escalation', c, this.#facts(c, { step: k, reason: text }), [this.#radAudience(c, b)]);
        break;
      }
      if (link === 'lead') {
        const lead = team?.lead;
        if (!lead || lead === c.assignee) {
          this.#note(c, 'escalation-skipped', SYSTEM, { fr: "escalade : pas d'autre chef d'équipe", en: 'escalation: no other team lead' }, { step: k, link });
          continue;
        }
        if (!c.alerted.includes(lead)) c.alerted.push(lead);
        const text = T.escalatedLead(this.#dir.name(lead), minutes);
        this.#note(c, 'escalated', SYSTEM, text, { step: k, link, radiologistId: lead, rpps: this.#dir.radiologists.get(lead)?.rpps });
        this.#alert('escalation', c, this.#facts(c, { step: k, reason: text }), [this.#radAudience(c, lead)]);
        break;
      }
      const text = T.escalatedOperator(minutes);
      this.#note(c, 'escalated', SYSTEM, text, { step: k, link });
      this.#alert('escalation', c, this.#facts(c, { step: k, reason: text }), operatorAudiences(this.#dir, this.#hubZone()));
      break;
    }
    c.escalationStep = k;
    c.escalationNext = CHAIN[(pos + 1) % 3]!;
    c.nextEscalationAt = iso(base + (k + 1) * ackMs);
    this.#armEscalation(c);
    this.#changed(c);
    void this.#commit().catch(() => {});
  }

  /** The team's back-up on call now: by the team's back-up order, then other back-up shifts; under their maximum. */
  #pickBackup(c: DispatchCase, now: number): string | undefined {
    if (!c.teamId) return undefined;
    const team = this.#dir.teams.get(c.teamId);
    const onCall = this.#index.at(now, c.teamId);
    const free = (id: string) => {
      const r = this.#dir.radiologists.get(id);
      return !!r && r.active !== false && id !== c.assignee && this.openCases(id) < r.maxOpenCases;
    };
    for (const id of team?.backupOrder ?? []) if (onCall.some((o) => o.radiologistId === id) && free(id)) return id;
    const others = onCall.filter((o) => o.role === 'backup' && free(o.radiologistId)).sort((a, b) => this.openCases(a.radiologistId) - this.openCases(b.radiologistId));
    return others[0]?.radiologistId;
  }

  #armDeadline(c: DispatchCase): void {
    if (!['received', 'assigned', 'acknowledged', 'held'].includes(c.state)) return;
    if (c.deadlineStatus === 'on-time') this.#scheduler.schedule(`risk:${c.caseId}`, Date.parse(c.atRiskAt), () => this.#deadlineEvent(c.caseId, 'at-risk'));
    if (c.deadlineStatus === 'on-time' || c.deadlineStatus === 'at-risk') this.#scheduler.schedule(`breach:${c.caseId}`, Date.parse(c.deadlineAt), () => this.#deadlineEvent(c.caseId, 'breached'));
  }

  #deadlineEvent(caseId: string, kind: 'at-risk' | 'breached'): void {
    const c = this.#cases.get(caseId);
    if (!c || !['received', 'assigned', 'acknowledged', 'held'].includes(c.state)) return;
    if (kind === 'at-risk' && c.deadlineStatus !== 'on-time') return;
    if (kind === 'breached' && c.deadlineStatus === 'breached') return;
    const now = this.#now();
    c.deadlineStatus = kind;
    const audiences = operatorAudiences(this.#dir, this.#hubZone(), kind === 'at-risk' ? ['web'] : undefined);
    if (c.assignee) audiences.push(this.#radAudience(c, c.assignee, ['web']));
    if (kind === 'at-risk') {
      this.#note(c, 'at-risk', SYSTEM, T.atRisk(Math.max(0, Math.round((Date.parse(c.deadlineAt) - now) / MIN))));
      this.#alert('deadline-at-risk', c, this.#facts(c), audiences);
    } else {
      this.#note(c, 'breached', SYSTEM, T.breached());
      this.#alert('deadline-breached', c, this.#facts(c), audiences);
    }
    this.#changed(c);
    void this.#commit().catch(() => {});
  }

  #clearTimers(c: DispatchCase): void {
    for (const k of ['esc', 'risk', 'breach']) this.#scheduler.cancel(`${k}:${c.caseId}`);
    delete c.nextEscalationAt;
  }

  // ---- internals: alerts ---------------------------------------------------------------------

  #facts(c: DispatchCase, extra: Partial<Omit<AlertFacts, 'c' | 'siteName'>> & { radiologistName?: string | undefined } = {}): AlertFacts {
    const f: AlertFacts = { c: structuredClone(c), siteName: this.#dir.sites.get(c.siteId)?.name ?? c.siteId, worklistItem: this.worklistItem(c) };
    if (extra.radiologistName) f.radiologistName = extra.radiologistName;
    if (extra.step !== undefined) f.step = extra.step;
    if (extra.ackBy !== undefined) f.ackBy = extra.ackBy;
    if (extra.reason) f.reason = extra.reason;
    return f;
  }

  #radAudience(c: DispatchCase, radiologistId: string, only?: Parameters<typeof radiologistAudience>[3]) {
    const zone = (c.teamId ? this.#dir.teams.get(c.teamId)?.zone : undefined) ?? this.#hubZone();
    return radiologistAudience(this.#dir, radiologistId, zone, only);
  }

  #alert(kind: AlertKind, c: DispatchCase, facts: AlertFacts, audiences: Parameters<typeof planAlert>[2]): void {
    void c;
    this.#alerts.push(...planAlert(kind, facts, audiences));
  }

  /** After a restart: the alerts each state implies (no-ops for keys already recorded). */
  #replanAlerts(c: DispatchCase): void {
    const name = c.assignee ? this.#dir.name(c.assignee) : undefined;
    if (c.state === 'assigned' && c.assignee) {
      const assigned = [...c.timeline].reverse().find((e) => e.type === 'assigned' || e.type === 'reassigned');
      this.#alert('study-assigned', c, this.#facts(c, { radiologistName: name, ackBy: Date.parse(c.assignedAt ?? c.receivedAt) + this.#ackMs(c), ...(assigned ? { reason: assigned.text } : {}) }), [this.#radAudience(c, c.assignee)]);
    }
    if ((c.state === 'acknowledged' || c.state === 'reported' || c.state === 'delivered') && c.acknowledgedAt) {
      this.#alert('taken-in-charge', c, this.#facts(c, { radiologistName: name }), clinicianAudiences(this.#dir, c));
    }
    const reportAlertDue = this.#rota.policy.reportAlertOn === 'signed' ? c.state === 'reported' || c.state === 'delivered' : c.state === 'delivered';
    if (reportAlertDue) this.#alert('report-available', c, this.#facts(c), clinicianAudiences(this.#dir, c));
  }

  #onDeliverySettled(d: Delivery): void {
    const c = this.#cases.get(d.caseId);
    if (!c) return;
    const last = d.attempts[d.attempts.length - 1];
    if (d.status === 'sent') {
      this.#note(c, 'notified', SYSTEM, T.notified(d.alert, d.channel, d.recipient.label), { alert: d.alert, channel: d.channel, recipient: `${d.recipient.kind}:${d.recipient.id}`, attempts: d.attempts.length, key: d.key });
    } else {
      const reason = last?.detail ?? 'failed';
      const text = T.notifyFailed(d.alert, d.channel, d.recipient.label, reason);
      this.#note(c, 'notify-failed', SYSTEM, text, { alert: d.alert, channel: d.channel, recipient: `${d.recipient.kind}:${d.recipient.id}`, attempts: d.attempts.length, key: d.key });
      if (d.recipient.kind !== 'operator') this.#alert('operator-attention', c, this.#facts(c, { step: c.timeline.length, reason: text }), operatorAudiences(this.#dir, this.#hubZone(), ['web']));
    }
    this.#changed(c);
    void this.#commit().catch(() => {});
  }

  // ---- internals: plumbing -------------------------------------------------------------------

  /**
   * Persists the cases, then records and sends the alerts planned so far. In order; calls made
   * while a commit waits for its turn share it (one write of the whole file serves them all).
   */
  #commit(): Promise<void> {
    if (this.#queuedCommit) return this.#queuedCommit;
    const run = this.#commitChain.catch(() => {}).then(async () => {
      this.#queuedCommit = undefined;
      const alerts = this.#alerts.splice(0);
      try {
        await this.#d.caseStore.save({ version: 1, cases: [...this.#cases.values()] });
      } catch (err) {
        this.#alerts.unshift(...alerts);
        this.#d.logger.error({ err: (err as Error).message }, 'could not store dispatch cases');
        throw err;
      }
      if (alerts.length) await this.outbox.enqueue(alerts);
    });
    this.#queuedCommit = run;
    this.#commitChain = run;
    return run;
  }

  #note(c: DispatchCase, type: string, actor: Actor, text: Text2, data?: Record<string, unknown>): void {
    const e: TimelineEntry = { at: iso(this.#now()), type, actor, text };
    if (data) {
      const clean = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
      if (Object.keys(clean).length) e.data = clean;
    }
    c.timeline.push(e);
  }

  #radActor(radiologistId: string): Actor {
    const r = this.#dir.radiologists.get(radiologistId);
    return { kind: 'radiologist', id: radiologistId, ...(r ? { rpps: r.rpps } : {}) };
  }

  #changed(c: DispatchCase): void {
    for (const l of this.#listeners) {
      try {
        l(c);
      } catch (err) {
        this.#d.logger.error({ err: (err as Error).message }, 'case listener failed');
      }
    }
  }

  #get(caseId: string): DispatchCase {
    this.#assertStarted();
    const c = this.#cases.get(caseId);
    if (!c) throw new DispatchError('RELAIS_NOT_FOUND', 'unknown case');
    return c;
  }

  #assertStarted(): void {
    if (!this.#started) throw new DispatchError('RELAIS_HUB_UNAVAILABLE', 'dispatch engine not started');
  }

  #inc(id: string): void {
    this.#load.set(id, (this.#load.get(id) ?? 0) + 1);
  }

  #dec(id: string): void {
    this.#load.set(id, Math.max(0, (this.#load.get(id) ?? 0) - 1));
  }

  #now(): number {
    return this.#d.clock.now();
  }

  #hubZone(): string {
    return this.#d.hubZone ?? 'Europe/Paris';
  }
}

function byUrgencyThenDeadline(a: DispatchCase, b: DispatchCase): number {
  return URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency] || a.deadlineAt.localeCompare(b.deadlineAt) || a.caseId.localeCompare(b.caseId);
}

export type { CaseState };

/**
 * The live state of the fleet, for the operator: last heartbeat of each agent and the status
 * derived from its age (clock port; a timer per agent fires at the stale and offline
 * thresholds so the page changes without a new heartbeat), plus study progress pushed by
 * ingest, each with its dispatch case's summary (state, « assigné à … »). Listeners receive
 * whole views (idempotent, last one wins), never patient data.
 * Heartbeats live in memory: after a hub restart agents show as never seen until their next
 * heartbeat (one interval).
 * Tunnel: up when the latest WireGuard handshake is younger than 3 minutes — as the hub's own
 * interface sees it when the hub runs the tunnel (`tunnelObserved`), else as the agent last
 * reported it, aged by the time since that heartbeat. Clock reports of agents whose handshakes
 * fail (enrolment listener) set the clock offset shown even when no heartbeat gets through.
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import type { Heartbeat, HeartbeatAck } from '../../protocol/heartbeat.ts';
import type { AgentView, FleetSnapshot, StudyCase, StudyView } from '../../protocol/fleet.ts';
import type { IdentityStore } from '../../provisioning/identity-store.ts';
import type { CatalogStore } from '../catalog/store.ts';
import { toStudyView, type StudyRecord } from '../catalog/study-record.ts';
import { agentStatus, TUNNEL_HANDSHAKE_MAX_AGE_S, type StatusThresholds } from './agent-status.ts';

interface Beat {
  name: string;
  heartbeat: Heartbeat;
  receivedAt: number;
  clockSkewMs: number;
}

export interface FleetListeners {
  agent: (a: AgentView) => void;
  study: (s: StudyView) => void;
}

export interface FleetStateDeps {
  clock: Clock;
  identities: IdentityStore;
  catalog: CatalogStore;
  thresholds: StatusThresholds;
  /** Most studies sent in a snapshot (newest first). */
  snapshotStudies?: number;
  /** The study's dispatch case, shown beside its progress (« assigné à … »). */
  caseOf?: (studyInstanceUid: string) => StudyCase | undefined;
  /** URLs of the study's series previews that reached the hub (issue 4). */
  previewsOf?: (studyInstanceUid: string) => string[] | undefined;
}

export class FleetState {
  readonly #d: FleetStateDeps;
  readonly #beats = new Map<string, Beat>();
  /** Latest handshake per agent as the hub's interface reports it (null: never). */
  readonly #handshakes = new Map<string, number | null>();
  readonly #clockReports = new Map<string, { name: string; offsetMs: number; at: number }>();
  readonly #tunnelTimers = new Map<string, TimerHandle>();
  readonly #timers = new Map<string, TimerHandle[]>();
  readonly #agentListeners = new Set<FleetListeners['agent']>();
  readonly #studyListeners = new Set<FleetListeners['study']>();

  constructor(deps: FleetStateDeps) {
    this.#d = deps;
  }

  on<K extends keyof FleetListeners>(kind: K, fn: FleetListeners[K]): () => void {
    const set = (kind === 'agent' ? this.#agentListeners : this.#studyListeners) as Set<FleetListeners[K]>;
    set.add(fn);
    return () => set.delete(fn);
  }

  heartbeat(agentId: string, name: string, hb: Heartbeat): HeartbeatAck {
    const now = this.#d.clock.now();
    const clockSkewMs = now - Date.parse(hb.sentAt);
    this.#beats.set(agentId, { name, heartbeat: hb, receivedAt: now, clockSkewMs });
    for (const t of this.#timers.get(agentId) ?? []) this.#d.clock.clearTimeout(t);
    const { staleAfterMs, offlineAfterMs } = this.#d.thresholds;
    this.#timers.set(agentId, [
      this.#d.clock.setTimeout(() => this.#emitAgent(agentId), staleAfterMs),
      this.#d.clock.setTimeout(() => this.#emitAgent(agentId), offlineAfterMs),
    ]);
    this.#emitAgent(agentId);
    return { receivedAt: new Date(now).toISOString(), clockOffsetMs: clockSkewMs };
  }

  #view(agentId: string, name: string): AgentView {
    const beat = this.#beats.get(agentId);
    const report = this.#clockReports.get(agentId);
    const now = this.#d.clock.now();
    const skew = report && (!beat || report.at > beat.receivedAt) ? report.offsetMs : (beat?.clockSkewMs ?? null);
    const view: AgentView = {
      agentId,
      name: beat?.name ?? report?.name ?? name,
      status: agentStatus(beat?.receivedAt, now, this.#d.thresholds),
      lastSeenAt: beat ? new Date(beat.receivedAt).toISOString() : null,
      heartbeat: beat?.heartbeat ?? null,
      clockSkewMs: skew,
    };
    view.tunnelUp = this.#tunnelUp(agentId, beat, now);
    return view;
  }

  #tunnelUp(agentId: string, beat: Beat | undefined, now: number): boolean | null {
    if (this.#handshakes.has(agentId)) {
      const at = this.#handshakes.get(agentId);
      return at != null && now - at < TUNNEL_HANDSHAKE_MAX_AGE_S * 1000;
    }
    const t = beat?.heartbeat.tunnel;
    if (!t || !beat) return null;
    return t.latestHandshakeAgeSeconds !== null && t.latestHandshakeAgeSeconds + (now - beat.receivedAt) / 1000 < TUNNEL_HANDSHAKE_MAX_AGE_S;
  }

  /**
   * The hub's own view of each enrolled agent's tunnel (its interface's latest handshakes); an
   * agent's row changes when its tunnel goes up or down, and again when the handshake ages past
   * 3 minutes without a new one.
   */
  tunnelObserved(observed: ReadonlyMap<string, { latestHandshakeMs: number | null } | undefined>): void {
    const now = this.#d.clock.now();
    for (const [agentId, peer] of observed) {
      const before = this.#tunnelUp(agentId, this.#beats.get(agentId), now);
      const at = peer?.latestHandshakeMs ?? null;
      if (this.#handshakes.get(agentId) === at && this.#handshakes.has(agentId)) continue;
      this.#handshakes.set(agentId, at);
      this.#d.clock.clearTimeout(this.#tunnelTimers.get(agentId));
      if (at !== null) {
        const due = at + TUNNEL_HANDSHAKE_MAX_AGE_S * 1000 - now;
        if (due > 0) this.#tunnelTimers.set(agentId, this.#d.clock.setTimeout(() => this.#emitAgent(agentId), due));
      }
      if (this.#tunnelUp(agentId, this.#beats.get(agentId), now) !== before) this.#emitAgent(agentId);
    }
    for (const agentId of [...this.#handshakes.keys()]) {
      if (!observed.has(agentId)) {
        this.#handshakes.delete(agentId);
        this.#d.clock.clearTimeout(this.#tunnelTimers.get(agentId));
        this.#emitAgent(agentId);
      }
    }
  }

  /** An agent whose tunnel handshakes fail reported its clock (hub time minus agent time). */
  clockReport(agentId: string, name: string, offsetMs: number): void {
    this.#clockReports.set(agentId, { name, offsetMs, at: this.#d.clock.now() });
    this.#emitAgent(agentId);
  }

  #emitAgent(agentId: string): void {
    const beat = this.#beats.get(agentId);
    const view = this.#view(agentId, beat?.name ?? agentId);
    for (const fn of this.#agentListeners) fn(view);
  }

  #studyView(record: StudyRecord): StudyView {
    const view = toStudyView(record);
    const c = this.#d.caseOf?.(record.studyInstanceUid);
    if (c) view.case = c;
    const previews = this.#d.previewsOf?.(record.studyInstanceUid);
    if (previews && previews.length > 0) view.previews = previews;
    return view;
  }

  studyChanged(record: StudyRecord): void {
    const view = this.#studyView(record);
    for (const fn of this.#studyListeners) fn(view);
  }

  async agents(): Promise<AgentView[]> {
    const known = await this.#d.identities.listAgents();
    const revoked = new Set(known.filter((a) => a.revokedAt).map((a) => a.id));
    const views = known.filter((a) => !a.revokedAt).map((a) => this.#view(a.id, a.name));
    for (const [id, beat] of this.#beats) if (!revoked.has(id) && !views.some((v) => v.agentId === id)) views.push(this.#view(id, beat.name));
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  async snapshot(): Promise<FleetSnapshot> {
    const studies = (await this.#d.catalog.live()).slice(0, this.#d.snapshotStudies ?? 200).map((r) => this.#studyView(r));
    return { agents: await this.agents(), studies, serverTime: new Date(this.#d.clock.now()).toISOString() };
  }

  close(): void {
    for (const list of this.#timers.values()) for (const t of list) this.#d.clock.clearTimeout(t);
    for (const t of this.#tunnelTimers.values()) this.#d.clock.clearTimeout(t);
    this.#tunnelTimers.clear();
    this.#timers.clear();
    this.#agentListeners.clear();
    this.#studyListeners.clear();
  }
}

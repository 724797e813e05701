/**
 * The live state of the fleet, for the operator: last heartbeat of each agent and the status
 * derived from its age (clock port; a timer per agent fires at the stale and offline
 * thresholds so the page changes without a new heartbeat), plus study progress pushed by
 * ingest, each with its dispatch case's summary (state, « assigné à … »). Listeners receive
 * whole views (idempotent, last one wins), never patient data.
 * Heartbeats live in memory: after a hub restart agents show as never seen until their next
 * heartbeat (one interval).
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
}

export class FleetState {
  readonly #d: FleetStateDeps;
  readonly #beats = new Map<string, Beat>();
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
    const view: AgentView = {
      agentId,
      name: beat?.name ?? name,
      status: agentStatus(beat?.receivedAt, this.#d.clock.now(), this.#d.thresholds),
      lastSeenAt: beat ? new Date(beat.receivedAt).toISOString() : null,
      heartbeat: beat?.heartbeat ?? null,
      clockSkewMs: beat?.clockSkewMs ?? null,
    };
    const tunnel = beat?.heartbeat.tunnel;
    view.tunnelUp = tunnel ? tunnel.latestHandshakeAgeSeconds !== null && tunnel.latestHandshakeAgeSeconds < TUNNEL_HANDSHAKE_MAX_AGE_S : null;
    return view;
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
    return view;
  }

  studyChanged(record: StudyRecord): void {
    const view = this.#studyView(record);
    for (const fn of this.#studyListeners) fn(view);
  }

  async agents(): Promise<AgentView[]> {
    const known = await this.#d.identities.listAgents();
    const views = known.filter((a) => !a.revokedAt).map((a) => this.#view(a.id, a.name));
    for (const [id, beat] of this.#beats) if (!views.some((v) => v.agentId === id)) views.push(this.#view(id, beat.name));
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  async snapshot(): Promise<FleetSnapshot> {
    const studies = (await this.#d.catalog.live()).slice(0, this.#d.snapshotStudies ?? 200).map((r) => this.#studyView(r));
    return { agents: await this.agents(), studies, serverTime: new Date(this.#d.clock.now()).toISOString() };
  }

  close(): void {
    for (const list of this.#timers.values()) for (const t of list) this.#d.clock.clearTimeout(t);
    this.#timers.clear();
    this.#agentListeners.clear();
    this.#studyListeners.clear();
  }
}

/**
 * Heartbeat: every `intervalMs` the agent tells the hub how it is (protocol/heartbeat.ts):
 * version, uptime, queue depth and age, free disk, last successful upload, DICOM listener,
 * alerts. `buildHeartbeat` is pure; `HeartbeatLoop` schedules it on the clock port.
 * Contract: a heartbeat that cannot be sent is dropped (the next one carries fresh state);
 * the loop never stops by itself and never throws. The hub's clock offset is checked on each
 * acknowledgement (WireGuard refuses handshakes from a clock in the past: tell a human early).
 */
import type { Logger } from '../../lib/logger.ts';
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import { PROTOCOL_VERSION, ROUTES, assertValid, Heartbeat, type HeartbeatAck, type TunnelState } from '../../protocol/index.ts';
import type { AlertBook, Alert } from '../alerts.ts';
import type { HubClient } from '../uplink/hub-client.ts';
import type { QueueStats } from '../uplink/uploader.ts';
import { classifyError, classifyHeartbeat } from '../uplink/outcome.ts';

export interface HeartbeatFacts {
  agentId: string;
  agentVersion: string;
  startedAt: number;
  now: number;
  queue: QueueStats;
  quarantined: number;
  lastUploadAt: number | undefined;
  disk: { freeBytes: number; totalBytes: number };
  dicom: { aeTitle: string; port: number; activeAssociations: number };
  alerts: Alert[];
  /** The WireGuard tunnel to the hub, when the agent runs one. */
  tunnel?: TunnelState;
}

export function buildHeartbeat(f: HeartbeatFacts): Heartbeat {
  const hb: Heartbeat = {
    agentId: f.agentId,
    agentVersion: f.agentVersion.slice(0, 40),
    protocolVersion: PROTOCOL_VERSION,
    sentAt: new Date(f.now).toISOString(),
    uptimeSeconds: Math.max(0, (f.now - f.startedAt) / 1000),
    queue: {
      studies: f.queue.studies,
      instances: f.queue.instances,
      bytes: f.queue.bytes,
      oldestUnsentAgeSeconds: f.queue.oldestReceivedAt === undefined ? null : Math.max(0, (f.now - f.queue.oldestReceivedAt) / 1000),
      quarantined: f.quarantined,
      lanes: f.queue.lanes.map((l) => ({
        lane: l.lane,
        instances: l.instances,
        bytes: l.bytes,
        oldestAgeSeconds: l.oldestReceivedAt === undefined ? null : Math.max(0, (f.now - l.oldestReceivedAt) / 1000),
        bytesPerSecond: l.bytesPerSecond,
        etaSeconds: l.etaSeconds === undefined ? null : l.etaSeconds,
      })),
    },
    disk: { freeBytes: Math.max(0, Math.floor(f.disk.freeBytes)), totalBytes: Math.max(0, Math.floor(f.disk.totalBytes)) },
    lastUploadAt: f.lastUploadAt === undefined ? null : new Date(f.lastUploadAt).toISOString(),
    dicom: { aeTitle: f.dicom.aeTitle, port: f.dicom.port, activeAssociations: f.dicom.activeAssociations },
    alerts: f.alerts.slice(0, 50),
    ...(f.tunnel ? { tunnel: f.tunnel } : {}),
  };
  return assertValid(Heartbeat, hb);
}

export interface HeartbeatLoopDeps {
  clock: Clock;
  intervalMs: number;
  hub: HubClient;
  facts: () => Promise<HeartbeatFacts>;
  alerts: AlertBook;
  log: Logger;
  /** Age of the oldest unsent instance above which an alert is raised. */
  backlogAlertMs: number;
  onSent?: (hb: Heartbeat) => void;
  /** Each acknowledgement (e.g. the hub asking for a new tunnel key). */
  onAck?: (ack: HeartbeatAck) => void;
}

export class HeartbeatLoop {
  readonly #d: HeartbeatLoopDeps;
  readonly #abort = new AbortController();
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: HeartbeatLoopDeps) {
    this.#d = deps;
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#d.clock.clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#d.clock.setTimeout(() => {
      this.#running = this.#beat().finally(() => this.#schedule(this.#d.intervalMs));
    }, ms);
  }

  async #beat(): Promise<void> {
    const d = this.#d;
    try {
      const facts = await d.facts();
      const age = facts.queue.oldestReceivedAt === undefined ? 0 : facts.now - facts.queue.oldestReceivedAt;
      if (age > d.backlogAlertMs) d.alerts.raise('RELAIS_AGENT_BACKLOG_OLD', `${Math.round(age / 60_000)} min`);
      else d.alerts.clear('RELAIS_AGENT_BACKLOG_OLD');
      facts.alerts = d.alerts.list();
      const hb = buildHeartbeat(facts);
      let outcome;
      try {
        outcome = classifyHeartbeat(await d.hub.postJson(ROUTES.heartbeat, hb, this.#abort.signal));
      } catch (err) {
        outcome = classifyError(err);
      }
      if (outcome.kind === 'ok') {
        const offset = outcome.value.clockOffsetMs;
        if (Math.abs(offset) > 120_000) {
          if (!d.alerts.has('RELAIS_AGENT_CLOCK_SKEW')) {
            d.log.error({ clockOffsetMs: offset }, 'clock: this box is off by more than 2 minutes from the hub (WireGuard refuses handshakes from the past): set the clock right (NTP)');
          }
          d.alerts.raise('RELAIS_AGENT_CLOCK_SKEW', `${Math.round(offset / 1000)} s`);
        } else d.alerts.clear('RELAIS_AGENT_CLOCK_SKEW');
        d.onSent?.(hb);
        d.onAck?.(outcome.value);
      } else if (!this.#stopped) {
        d.log.debug({ code: outcome.code, message: outcome.message }, 'heartbeat: not delivered');
      }
    } catch (err) {
      d.log.error({ err: (err as Error).message }, 'heartbeat: could not be built');
    }
  }
}

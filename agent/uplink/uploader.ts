/**
 * Sends each spooled instance to the hub as soon as it is admitted (not waiting for its
 * study to complete), emergency lane first.
 *
 * Contract:
 * - before the first attempt the file is hashed again and compared with its sidecar: bytes that
 *   changed on disk are quarantined, never sent;
 * - OK (validated 2xx UploadResult with the same UID and hash) → `commitUploaded` (which records
 *   it durably and only then removes the spool copy); RETRY → backoff, forever; FAIL → the
 *   instance moves to quarantine with the hub's reason, and an alert is raised;
 * - authentication, protocol-version and odd hub answers raise alerts and keep retrying;
 *   alerts clear on the next success.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Clock } from '../../lib/clock.ts';
import type { BackoffPolicy } from '../../lib/backoff.ts';
import type { UploadResult, Urgency } from '../../protocol/index.ts';
import { URGENCIES } from '../../protocol/index.ts';
import type { InstanceRecord } from '../spool/record.ts';
import type { AlertBook } from '../alerts.ts';
import { urgencyRank } from '../assemble/urgency.ts';
import type { HubClient } from './hub-client.ts';
import { classifyError, classifyUpload, type ExportOutcome, type AlertKind } from './outcome.ts';
import { ExportQueue, type LinkGate, type RunResult } from './export-queue.ts';

export interface UploaderDeps {
  clock: Clock;
  random: () => number;
  hub: HubClient;
  policy: BackoffPolicy;
  gate: LinkGate;
  concurrency: number;
  alerts: AlertBook;
  log: Logger;
  dataPath: (id: string) => string;
  /** SHA-256 (hex) of a file. */
  hashFile: (path: string) => Promise<string>;
  /** Records the hub's acknowledgement durably, then drops the spool copy. */
  commitUploaded: (record: InstanceRecord, result: UploadResult) => Promise<void>;
  quarantine: (record: InstanceRecord, reason: { code: string; message: string }) => Promise<void>;
}

export interface LaneStats {
  lane: Urgency;
  instances: number;
  bytes: number;
  oldestReceivedAt: number | undefined;
}

export interface QueueStats {
  instances: number;
  bytes: number;
  studies: number;
  oldestReceivedAt: number | undefined;
  lanes: LaneStats[];
}

export class Uploader {
  readonly #d: UploaderDeps;
  readonly #queue: ExportQueue<InstanceRecord>;
  readonly #verified = new Set<string>();
  #lastUploadAt: number | undefined;
  #uploaded = 0;

  constructor(deps: UploaderDeps) {
    this.#d = deps;
    this.#queue = new ExportQueue<InstanceRecord>({
      clock: deps.clock,
      random: deps.random,
      policy: deps.policy,
      gate: deps.gate,
      concurrency: deps.concurrency,
      lanes: URGENCIES.length,
      run: (record, attempt, signal) => this.#run(record, attempt, signal),
      onError: (err, record) => deps.log.error({ spoolId: record.id, err: (err as Error).message }, 'uplink: upload step failed'),
    });
  }

  get lastUploadAt(): number | undefined {
    return this.#lastUploadAt;
  }

  get uploadedCount(): number {
    return this.#uploaded;
  }

  get pending(): number {
    return this.#queue.size;
  }

  enqueue(record: InstanceRecord): void {
    this.#queue.add(record.id, record, urgencyRank(record.urgency));
  }

  start(): void {
    this.#queue.start();
  }

  stop(): Promise<void> {
    return this.#queue.stop();
  }

  stats(): QueueStats {
    const lanes: LaneStats[] = URGENCIES.map((lane) => ({ lane, instances: 0, bytes: 0, oldestReceivedAt: undefined }));
    const studies = new Set<string>();
    for (const r of this.#queue.values()) {
      const lane = lanes[urgencyRank(r.urgency)]!;
      const t = Date.parse(r.receivedAt);
      lane.instances++;
      lane.bytes += r.size;
      lane.oldestReceivedAt = lane.oldestReceivedAt === undefined ? t : Math.min(lane.oldestReceivedAt, t);
      studies.add(r.studyInstanceUid);
    }
    let oldest: number | undefined;
    for (const l of lanes) if (l.oldestReceivedAt !== undefined) oldest = oldest === undefined ? l.oldestReceivedAt : Math.min(oldest, l.oldestReceivedAt);
    return {
      instances: lanes.reduce((n, l) => n + l.instances, 0),
      bytes: lanes.reduce((n, l) => n + l.bytes, 0),
      studies: studies.size,
      oldestReceivedAt: oldest,
      lanes,
    };
  }

  async #run(record: InstanceRecord, attempt: number, signal: AbortSignal): Promise<RunResult> {
    const d = this.#d;
    const path = d.dataPath(record.id);
    let outcome: ExportOutcome<UploadResult>;
    if (!this.#verified.has(record.id)) {
      let actual: string;
      try {
        actual = await d.hashFile(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return this.#quarantine(record, { code: 'RELAIS_AGENT_SPOOL_UNREADABLE', message: 'spooled file is missing' });
        d.log.error({ spoolId: record.id, code }, 'uplink: cannot read spooled file');
        return { retry: true, linkDown: false };
      }
      if (actual !== record.sha256) {
        return this.#quarantine(record, { code: 'RELAIS_AGENT_SPOOL_CORRUPT', message: 'spooled bytes changed on disk (SHA-256 differs from intake)' });
      }
      this.#verified.add(record.id);
    }
    try {
      const reply = await d.hub.putInstance(
        {
          path,
          size: record.size,
          sopInstanceUid: record.sopInstanceUid,
          studyInstanceUid: record.studyInstanceUid,
          sha256: record.sha256,
          urgency: record.urgency,
          receivedAt: record.receivedAt,
          callingAeTitle: record.callingAeTitle,
          requestId: record.requestId,
          hold: record.hold,
        },
        signal,
      );
      outcome = classifyUpload(reply, record);
    } catch (err) {
      outcome = classifyError(err);
    }
    if (signal.aborted) return { retry: true, linkDown: false };
    switch (outcome.kind) {
      case 'ok':
        try {
          await d.commitUploaded(record, outcome.value);
        } catch (err) {
          // The hub has it; the spool could not record that. Sending again is harmless (duplicate).
          d.log.error({ spoolId: record.id, err: (err as Error).message }, 'uplink: could not record upload, will resend');
          return { retry: true, linkDown: false };
        }
        this.#verified.delete(record.id);
        this.#uploaded++;
        this.#lastUploadAt = d.clock.now();
        d.gate.succeeded();
        for (const code of ['RELAIS_AUTH_INVALID', 'RELAIS_PROTOCOL_UNSUPPORTED', 'RELAIS_NETWORK_UNREACHABLE', 'RELAIS_AGENT_HUB_ANSWER'] as const) d.alerts.clear(code);
        return 'done';
      case 'retry':
        this.#alert(outcome.alert, outcome.message);
        d.log.warn({ spoolId: record.id, code: outcome.code, attempt, message: outcome.message }, 'uplink: upload will be retried');
        return { retry: true, linkDown: outcome.linkDown };
      case 'fail':
        return this.#quarantine(record, { code: outcome.code, message: outcome.message });
    }
  }

  async #quarantine(record: InstanceRecord, reason: { code: string; message: string }): Promise<RunResult> {
    const d = this.#d;
    try {
      await d.quarantine(record, reason);
    } catch (err) {
      d.log.error({ spoolId: record.id, err: (err as Error).message }, 'uplink: could not quarantine, will retry');
      return { retry: true, linkDown: false };
    }
    this.#verified.delete(record.id);
    d.alerts.raise('RELAIS_AGENT_QUARANTINE', reason.code);
    d.log.error({ spoolId: record.id, code: reason.code, message: reason.message }, 'uplink: instance quarantined');
    return 'done';
  }

  #alert(kind: AlertKind | undefined, detail: string): void {
    const alerts = this.#d.alerts;
    if (kind === 'auth') alerts.raise('RELAIS_AUTH_INVALID', detail);
    else if (kind === 'protocol') alerts.raise('RELAIS_PROTOCOL_UNSUPPORTED', detail);
    else if (kind === 'hub-answer') alerts.raise('RELAIS_AGENT_HUB_ANSWER', detail);
    else if (kind === 'link' && this.#d.gate.consecutiveFailures >= 3) alerts.raise('RELAIS_NETWORK_UNREACHABLE', detail);
  }
}

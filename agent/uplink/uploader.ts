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
 *   alerts clear on the next success;
 * - with a resumable `sender` (tus) the bytes go in resumable chunks, and an emergency added
 *   while every stream is busy pre-empts the lowest-lane upload (it resumes later from the
 *   hub's offset); scheduled and deferred bytes count against the `budget`, and an upload of
 *   theirs pauses at the next progress report once the window's budget is spent. Without a
 *   sender, the v1 PUT of the HubClient is used (whole instance per request).
 * - stats per lane: count, bytes, oldest, current rate (bytes sent per second, 10 s window)
 *   and ETA (bytes waiting / rate).
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
import { TusUnsupportedError, type ResumableSender } from './tus-sender.ts';
import type { BandwidthBudget } from './budget.ts';
import { RateMeter } from './rate-meter.ts';

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
  /** Resumable uploads (tus); absent: the v1 PUT. */
  sender?: ResumableSender | undefined;
  /** Share of the link for scheduled and deferred work; absent: no limit. */
  budget?: BandwidthBudget | undefined;
}

export interface LaneStats {
  lane: Urgency;
  instances: number;
  bytes: number;
  oldestReceivedAt: number | undefined;
  /** Bytes sent per second for this lane (10 s window). */
  bytesPerSecond: number;
  /** Seconds to send what waits in this lane at the current rate; undefined when not moving. */
  etaSeconds: number | undefined;
}

export interface QueueStats {
  instances: number;
  bytes: number;
  studies: number;
  oldestReceivedAt: number | undefined;
  lanes: LaneStats[];
  /** Bytes written to the network since start, and those sent more than once (resumes). */
  sentBytes: number;
  resentBytes: number;
  preemptions: number;
}

export class Uploader {
  readonly #d: UploaderDeps;
  readonly #queue: ExportQueue<InstanceRecord>;
  readonly #verified = new Set<string>();
  #lastUploadAt: number | undefined;
  #uploaded = 0;
  readonly #rates = URGENCIES.map(() => new RateMeter());
  /** Bytes of each queued instance the hub holds already (resumable uploads). */
  readonly #accepted = new Map<string, number>();
  /** Bytes sent for each queued instance by this process (for the resent count). */
  readonly #sentFor = new Map<string, number>();
  #sentBytes = 0;
  #resentBytes = 0;
  #preemptions = 0;
  /** The hub answered a tus creation with 404/405: v1 PUT until then (asked again hourly). */
  #tusUnsupportedUntil = 0;

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
      preempt: deps.sender !== undefined,
      ...(deps.budget ? { openAt: (now: number) => deps.budget!.openAt(now) } : {}),
      onPreempt: (record) => {
        this.#preemptions++;
        deps.log.info({ spoolId: record.id, lane: record.urgency }, 'uplink: paused for an emergency (resumes from the hub offset)');
      },
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

  async stop(): Promise<void> {
    await this.#queue.stop();
    this.#d.log.info({ uploaded: this.#uploaded, sentBytes: this.#sentBytes, resentBytes: this.#resentBytes, preemptions: this.#preemptions }, 'uplink: stopped');
  }

  stats(): QueueStats {
    const now = this.#d.clock.now();
    const lanes: LaneStats[] = URGENCIES.map((lane, i) => ({ lane, instances: 0, bytes: 0, oldestReceivedAt: undefined, bytesPerSecond: this.#rates[i]!.rate(now), etaSeconds: undefined }));
    const studies = new Set<string>();
    for (const r of this.#queue.values()) {
      const lane = lanes[urgencyRank(r.urgency)]!;
      const t = Date.parse(r.receivedAt);
      lane.instances++;
      lane.bytes += Math.max(0, r.size - (this.#accepted.get(r.id) ?? 0));
      lane.oldestReceivedAt = lane.oldestReceivedAt === undefined ? t : Math.min(lane.oldestReceivedAt, t);
      studies.add(r.studyInstanceUid);
    }
    let oldest: number | undefined;
    for (const l of lanes) if (l.oldestReceivedAt !== undefined) oldest = oldest === undefined ? l.oldestReceivedAt : Math.min(oldest, l.oldestReceivedAt);
    for (const l of lanes) if (l.bytes > 0 && l.bytesPerSecond > 0) l.etaSeconds = l.bytes / l.bytesPerSecond;
    return {
      sentBytes: this.#sentBytes,
      resentBytes: this.#resentBytes,
      preemptions: this.#preemptions,
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
    const lane = urgencyRank(record.urgency);
    const budgeted = lane > 0 ? d.budget : undefined;
    const pause = new AbortController();
    try {
      const upload = {
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
      };
      let reply;
      if (d.sender && this.#tusUnsupportedUntil > d.clock.now()) {
        reply = await d.hub.putInstance(upload, signal);
      } else if (d.sender) {
        let acceptedBefore = this.#accepted.get(record.id) ?? 0;
        reply = await d.sender.send(
          { ...upload, spoolId: record.id },
          {
            signal: AbortSignal.any([signal, pause.signal]),
            onProgress: (p, delta) => {
              const now = d.clock.now();
              if (delta > 0) {
                this.#sentFor.set(record.id, (this.#sentFor.get(record.id) ?? 0) + delta);
                this.#sentBytes += delta;
                this.#rates[lane]!.add(delta, now);
                budgeted?.spend(delta, now);
              }
              if (p.accepted > acceptedBefore) {
                this.#accepted.set(record.id, p.accepted);
                acceptedBefore = p.accepted;
              }
              // Budget spent: stop this upload at this point, it resumes in the next window.
              if (budgeted && budgeted.openAt(now) > now && !pause.signal.aborted) pause.abort();
            },
          },
        );
      } else {
        reply = await d.hub.putInstance(upload, signal);
      }
      outcome = classifyUpload(reply, record);
    } catch (err) {
      if (err instanceof TusUnsupportedError) {
        this.#tusUnsupportedUntil = d.clock.now() + 3_600_000;
        d.log.warn({ err: err.message }, 'uplink: the hub does not offer resumable uploads, using the v1 PUT');
        return { requeue: true };
      }
      outcome = classifyError(err);
    }
    if (pause.signal.aborted && !signal.aborted) return { requeue: true };
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
        this.#accepted.delete(record.id);
        // Bytes sent beyond the instance's size: the unacknowledged tails that were sent again.
        this.#resentBytes += Math.max(0, (this.#sentFor.get(record.id) ?? 0) - record.size);
        this.#sentFor.delete(record.id);
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

/**
 * Posts each complete study's StudyManifest to the hub (POST /api/v1/studies/:uid/manifest).
 *
 * Contract: the manifest is built when it is sent (so it lists every instance known at that
 * moment); OK (validated StudyManifestAck for the same study) → the accepted state is saved in
 * the spool; RETRY → backoff forever (sharing the link gate with uploads); FAIL → the refusal is
 * saved (not resent until the study changes) and an operator alert is raised.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Clock } from '../../lib/clock.ts';
import type { BackoffPolicy } from '../../lib/backoff.ts';
import { ROUTES, URGENCIES } from '../../protocol/index.ts';
import type { StudyManifest, StudyManifestAck } from '../../protocol/index.ts';
import type { ManifestState } from '../spool/record.ts';
import type { AlertBook } from '../alerts.ts';
import { urgencyRank } from '../assemble/urgency.ts';
import type { HubClient } from './hub-client.ts';
import { classifyError, classifyManifest, type ExportOutcome } from './outcome.ts';
import { ExportQueue, type LinkGate, type RunResult } from './export-queue.ts';

export interface ManifestSenderDeps {
  clock: Clock;
  random: () => number;
  hub: HubClient;
  policy: BackoffPolicy;
  gate: LinkGate;
  alerts: AlertBook;
  log: Logger;
  build: (studyInstanceUid: string) => StudyManifest | undefined;
  /** Applies the hub's answer to the study state; returns what to persist. */
  answered: (manifest: StudyManifest, outcome: 'accepted' | 'refused', reason?: string) => ManifestState | undefined;
  save: (state: ManifestState) => Promise<void>;
  onAccepted?: (manifest: StudyManifest, ack: StudyManifestAck) => void;
}

export class ManifestSender {
  readonly #d: ManifestSenderDeps;
  readonly #queue: ExportQueue<string>;

  constructor(deps: ManifestSenderDeps) {
    this.#d = deps;
    this.#queue = new ExportQueue<string>({
      clock: deps.clock,
      random: deps.random,
      policy: deps.policy,
      gate: deps.gate,
      concurrency: 1,
      lanes: URGENCIES.length,
      run: (uid, attempt, signal) => this.#run(uid, attempt, signal),
      onError: (err) => deps.log.error({ err: (err as Error).message }, 'uplink: manifest step failed'),
    });
  }

  get pending(): number {
    return this.#queue.size;
  }

  /** Queues the study's manifest (once; the queued entry always sends the latest state). */
  enqueue(studyInstanceUid: string): void {
    const m = this.#d.build(studyInstanceUid);
    if (m) this.#queue.add(studyInstanceUid, studyInstanceUid, urgencyRank(m.urgency));
  }

  start(): void {
    this.#queue.start();
  }

  stop(): Promise<void> {
    return this.#queue.stop();
  }

  async #run(studyInstanceUid: string, attempt: number, signal: AbortSignal): Promise<RunResult> {
    const d = this.#d;
    const manifest = d.build(studyInstanceUid);
    if (!manifest) return 'done';
    let outcome: ExportOutcome<StudyManifestAck>;
    try {
      outcome = classifyManifest(await d.hub.postJson(ROUTES.manifest(studyInstanceUid), manifest, signal), studyInstanceUid);
    } catch (err) {
      outcome = classifyError(err);
    }
    if (signal.aborted) return { retry: true, linkDown: false };
    if (outcome.kind === 'retry') {
      d.log.warn({ code: outcome.code, attempt, message: outcome.message }, 'uplink: manifest will be retried');
      return { retry: true, linkDown: outcome.linkDown };
    }
    const verdict = outcome.kind === 'ok' ? 'accepted' : 'refused';
    const state = d.answered(manifest, verdict, outcome.kind === 'fail' ? `${outcome.code}: ${outcome.message}` : undefined);
    if (state) {
      try {
        await d.save(state);
      } catch (err) {
        d.log.error({ err: (err as Error).message }, 'uplink: could not save manifest state (it will be sent again after a restart)');
      }
    }
    if (outcome.kind === 'ok') {
      d.gate.succeeded();
      d.log.info({ instances: manifest.instances.length, received: outcome.value.received, complete: outcome.value.complete }, 'uplink: manifest accepted');
      d.onAccepted?.(manifest, outcome.value);
    } else {
      d.alerts.raise('RELAIS_AGENT_MANIFEST_REFUSED', outcome.code);
      d.log.error({ code: outcome.code, message: outcome.message }, 'uplink: manifest refused');
    }
    return 'done';
  }
}

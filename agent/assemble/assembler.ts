/**
 * Study assembly: groups instances by Study Instance UID and decides when a study is complete
 * (no new instance for `quietMs`), so that its manifest can be sent. Pure logic on the clock
 * port: no disk, no network (main.ts wires the callbacks to the spool and the uplink).
 *
 * Contract:
 * - `onComplete(studyUid)` fires once the quiet period after the newest instance has elapsed
 *   and the last accepted manifest does not already cover the study as it is now; a late
 *   instance reopens the study and a new (complete) manifest follows its own quiet period;
 * - `onPurgeable(studyUid, ids)` fires `retentionMs` after an accepted manifest once none of the
 *   study's instances waits for upload any more; the study is forgotten at that moment (a late
 *   instance after that starts a new record, whose manifest lists only the late instances);
 * - state survives restarts through `restore` (from the spool's recovery report).
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import type { StudyManifest, Urgency } from '../../protocol/index.ts';
import type { InstanceRecord, ManifestState } from '../spool/record.ts';
import type { StudyOnDisk } from '../spool/spool.ts';
import { mostUrgent } from './urgency.ts';

export type InstanceState = 'queued' | 'uploaded' | 'quarantined';

export interface StudyInstance {
  id: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  sha256: string;
  size: number;
  receivedAt: number;
  state: InstanceState;
  /** Being compressed in the spool (agent/compress): its final sha256/size are not known yet. */
  compressing?: boolean;
}

export interface StudyState {
  studyInstanceUid: string;
  callingAeTitle: string;
  urgency: Urgency;
  firstReceivedAt: number;
  lastReceivedAt: number;
  instances: Map<string, StudyInstance>;
  manifest?: { coversReceivedUntil: number; instances: number; postedAt: number; outcome: 'accepted' | 'refused' };
  timer?: TimerHandle;
}

export interface AssemblerOptions {
  clock: Clock;
  quietMs: number;
  retentionMs: number;
  onComplete: (studyInstanceUid: string) => void;
  /** The study was forgotten (in memory); the caller removes these instances' records from disk. */
  onPurgeable: (studyInstanceUid: string, instanceIds: string[]) => void;
}

export class StudyAssembler {
  readonly #o: AssemblerOptions;
  readonly #studies = new Map<string, StudyState>();

  constructor(opts: AssemblerOptions) {
    this.#o = opts;
  }

  get size(): number {
    return this.#studies.size;
  }

  study(studyInstanceUid: string): StudyState | undefined {
    return this.#studies.get(studyInstanceUid);
  }

  studies(): IterableIterator<StudyState> {
    return this.#studies.values();
  }

  /** Rebuilds state after a restart: uploaded entries and manifests, then the queue. */
  restore(disk: readonly StudyOnDisk[], queued: readonly InstanceRecord[]): void {
    for (const s of disk) {
      for (const u of s.uploaded) this.#put(u, 'uploaded', false);
      if (s.manifest) this.#restoreManifest(s.manifest);
    }
    for (const r of queued) this.#put(r, 'queued', false);
    for (const s of this.#studies.values()) {
      this.#schedule(s);
      this.#checkPurge(s);
    }
  }

  /** A newly admitted instance. */
  addQueued(record: InstanceRecord): void {
    const s = this.#put(record, 'queued', true);
    this.#schedule(s);
  }

  /** The instance is being compressed: the study's manifest waits for its final bytes. */
  markCompressing(record: InstanceRecord): void {
    const i = this.#studies.get(record.studyInstanceUid)?.instances.get(record.sopInstanceUid);
    if (i && i.id === record.id) i.compressing = true;
  }

  /** The compression stage is done with it: `record` describes the bytes that will be uploaded. */
  markCompressed(record: InstanceRecord): void {
    const s = this.#studies.get(record.studyInstanceUid);
    const i = s?.instances.get(record.sopInstanceUid);
    if (!s || !i || i.id !== record.id) return;
    i.sha256 = record.sha256;
    i.size = record.size;
    if (!i.compressing) return;
    i.compressing = false;
    if (!this.#compressing(s)) this.#schedule(s);
  }

  #compressing(s: StudyState): boolean {
    for (const i of s.instances.values()) if (i.compressing) return true;
    return false;
  }

  markUploaded(record: InstanceRecord): void {
    this.#setState(record, 'uploaded');
  }

  markQuarantined(record: InstanceRecord): void {
    this.#setState(record, 'quarantined');
  }

  /** The manifest to send for a study as it is now (undefined if the study is unknown). */
  buildManifest(studyInstanceUid: string): StudyManifest | undefined {
    const s = this.#studies.get(studyInstanceUid);
    if (!s) return undefined;
    const manifest: StudyManifest = {
      studyInstanceUid,
      urgency: s.urgency,
      firstReceivedAt: new Date(s.firstReceivedAt).toISOString(),
      lastReceivedAt: new Date(s.lastReceivedAt).toISOString(),
      instances: [...s.instances.values()].map((i) => ({
        sopInstanceUid: i.sopInstanceUid,
        seriesInstanceUid: i.seriesInstanceUid,
        sha256: i.sha256,
        size: i.size,
      })),
    };
    if (s.callingAeTitle) manifest.callingAeTitle = s.callingAeTitle;
    return manifest;
  }

  /** Records the hub's answer to `manifest`; returns the state to persist. */
  manifestAnswered(manifest: StudyManifest, outcome: 'accepted' | 'refused', reason?: string): ManifestState | undefined {
    const s = this.#studies.get(manifest.studyInstanceUid);
    if (!s) return undefined;
    const now = this.#o.clock.now();
    s.manifest = {
      coversReceivedUntil: Date.parse(manifest.lastReceivedAt),
      instances: manifest.instances.length,
      postedAt: now,
      outcome,
    };
    // Something arrived while the manifest was on its way: the study is open again.
    if (!this.#manifestCurrent(s)) this.#schedule(s);
    this.#checkPurge(s);
    const state: ManifestState = {
      v: 1,
      studyInstanceUid: s.studyInstanceUid,
      coversReceivedUntil: manifest.lastReceivedAt,
      instances: manifest.instances.length,
      postedAt: new Date(now).toISOString(),
      outcome,
    };
    if (reason) state.reason = reason.slice(0, 500);
    return state;
  }

  /** Drops a purged study from memory. */
  forget(studyInstanceUid: string): void {
    const s = this.#studies.get(studyInstanceUid);
    if (!s) return;
    this.#o.clock.clearTimeout(s.timer);
    this.#studies.delete(studyInstanceUid);
  }

  stop(): void {
    for (const s of this.#studies.values()) this.#o.clock.clearTimeout(s.timer);
  }

  #put(r: InstanceRecord, state: InstanceState, fresh: boolean): StudyState {
    const receivedAt = Date.parse(r.receivedAt);
    let s = this.#studies.get(r.studyInstanceUid);
    if (!s) {
      s = {
        studyInstanceUid: r.studyInstanceUid,
        callingAeTitle: r.callingAeTitle,
        urgency: r.urgency,
        firstReceivedAt: receivedAt,
        lastReceivedAt: receivedAt,
        instances: new Map(),
      };
      this.#studies.set(r.studyInstanceUid, s);
    }
    const previous = s.instances.get(r.sopInstanceUid);
    // A re-sent instance replaces the older copy (the newest bytes are the ones that count).
    if (!previous || previous.receivedAt <= receivedAt || previous.id < r.id) {
      s.instances.set(r.sopInstanceUid, {
        id: r.id,
        sopInstanceUid: r.sopInstanceUid,
        seriesInstanceUid: r.seriesInstanceUid,
        sha256: r.sha256,
        size: r.size,
        receivedAt,
        state,
      });
    }
    s.urgency = mostUrgent(s.urgency, r.urgency);
    if (!s.callingAeTitle && r.callingAeTitle) s.callingAeTitle = r.callingAeTitle;
    s.firstReceivedAt = Math.min(s.firstReceivedAt, receivedAt);
    s.lastReceivedAt = Math.max(s.lastReceivedAt, receivedAt);
    // A fresh arrival restarts the quiet period even if the wall clock stepped back.
    if (fresh && receivedAt < s.lastReceivedAt && s.manifest) s.manifest.coversReceivedUntil = Math.min(s.manifest.coversReceivedUntil, receivedAt - 1);
    return s;
  }

  #restoreManifest(m: ManifestState): void {
    const s = this.#studies.get(m.studyInstanceUid);
    if (!s) return; // manifest of a study with no instance left: nothing to resend
    s.manifest = {
      coversReceivedUntil: Date.parse(m.coversReceivedUntil),
      instances: m.instances,
      postedAt: Date.parse(m.postedAt),
      outcome: m.outcome,
    };
  }

  #setState(r: InstanceRecord, state: InstanceState): void {
    const s = this.#studies.get(r.studyInstanceUid);
    const i = s?.instances.get(r.sopInstanceUid);
    if (!s || !i || i.id !== r.id) return; // an older copy of a re-sent instance
    i.state = state;
    this.#checkPurge(s);
  }

  #manifestCurrent(s: StudyState): boolean {
    return s.manifest !== undefined && s.manifest.coversReceivedUntil >= s.lastReceivedAt && s.manifest.instances === s.instances.size;
  }

  #schedule(s: StudyState): void {
    const clock = this.#o.clock;
    clock.clearTimeout(s.timer);
    s.timer = undefined;
    if (this.#manifestCurrent(s)) return;
    const due = s.lastReceivedAt + this.#o.quietMs;
    s.timer = clock.setTimeout(() => {
      s.timer = undefined;
      if (this.#studies.get(s.studyInstanceUid) !== s || this.#manifestCurrent(s)) return;
      if (clock.now() < s.lastReceivedAt + this.#o.quietMs) return this.#schedule(s);
      if (this.#compressing(s)) return; // markCompressed of the last one schedules again
      this.#o.onComplete(s.studyInstanceUid);
    }, Math.max(0, due - clock.now()));
  }

  #checkPurge(s: StudyState): void {
    if (!this.#purgeReady(s)) return;
    const clock = this.#o.clock;
    const due = s.manifest!.postedAt + this.#o.retentionMs;
    clock.clearTimeout(s.timer);
    s.timer = clock.setTimeout(() => {
      s.timer = undefined;
      if (this.#studies.get(s.studyInstanceUid) !== s || !this.#purgeReady(s)) return;
      this.#studies.delete(s.studyInstanceUid);
      this.#o.onPurgeable(s.studyInstanceUid, [...s.instances.values()].map((i) => i.id));
    }, Math.max(0, due - clock.now()));
  }

  #purgeReady(s: StudyState): boolean {
    if (!this.#manifestCurrent(s) || s.manifest!.outcome !== 'accepted') return false;
    for (const i of s.instances.values()) if (i.state === 'queued') return false;
    return true;
  }
}

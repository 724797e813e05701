/**
 * The spool is the agent's queue, Postfix style: the state of an instance is the directory
 * its folder sits in, and each state change is one atomic rename followed by a directory fsync.
 *
 *   tmp/<id>/          being received (data.dcm streamed here, meta.json written at the end)
 *   queue/<id>/        acknowledged to the modality, waiting for the hub (data.dcm + meta.json)
 *   sent/<id>/         the hub answered 2xx: meta.json kept for the study manifest, data removed
 *   quarantine/<id>/   refused for good by the hub or unreadable (+ reason.json)
 *   studies/<key>.json the manifest state of a study (last accepted or refused manifest)
 *
 * Contract:
 * - `admit` returns only when data.dcm and meta.json are fsynced and the folder is renamed into
 *   queue/ with queue/ fsynced: the caller may then acknowledge (C-STORE 0000);
 * - nothing leaves queue/ before the hub's 2xx; recording the 2xx is one rename (queue/ → sent/)
 *   and needs no new disk space, so a full disk can always drain;
 * - names are server-generated ids (`newSpoolId`) and hashed study keys, never UIDs;
 * - `open` runs the recovery pass: removes tmp/ leftovers and data of sent instances, finishes
 *   interrupted quarantines, validates every sidecar against its schema (rebuilding a missing or
 *   invalid one from data.dcm, quarantining what cannot be read) and returns the queue to resume.
 */
import { mkdir, readdir, readFile, rename, rm, stat, open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import type { Logger } from '../../lib/logger.ts';
import { ensureDir, fsyncDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check, validationErrors } from '../../protocol/index.ts';
import type { Urgency } from '../../protocol/index.ts';
import { readDicomHeader } from '../../lib/dicom/header.ts';
import { sha256File } from '../../lib/sha256.ts';
import { isWellFormedUid } from '../../lib/dicom/uid.ts';
import {
  InstanceRecord,
  ManifestState,
  QuarantineReason,
  SpoolId,
} from './record.ts';

export const DATA_FILE = 'data.dcm';
export const META_FILE = 'meta.json';
export const REASON_FILE = 'reason.json';

export interface SpoolLayout {
  root: string;
  tmp: string;
  queue: string;
  sent: string;
  quarantine: string;
  studies: string;
}

export function spoolLayout(root: string): SpoolLayout {
  return {
    root,
    tmp: join(root, 'tmp'),
    queue: join(root, 'queue'),
    sent: join(root, 'sent'),
    quarantine: join(root, 'quarantine'),
    studies: join(root, 'studies'),
  };
}

/** A fresh spool id: sortable receive time (base 36, 9 chars) + 48 random bits. */
export function newSpoolId(nowMs: number): string {
  return `${Math.max(0, Math.floor(nowMs)).toString(36).padStart(9, '0').slice(-9)}-${randomBytes(6).toString('hex')}`;
}

/** Folder name of a study: a hash of its UID (UIDs never name files). */
export function studyKey(studyInstanceUid: string): string {
  return createHash('sha256').update(studyInstanceUid).digest('hex').slice(0, 32);
}

export interface StudyOnDisk {
  studyInstanceUid: string;
  uploaded: InstanceRecord[];
  manifest?: ManifestState;
}

export interface RecoveryReport {
  /** Instances waiting for the hub, oldest first. */
  queued: InstanceRecord[];
  studies: StudyOnDisk[];
  quarantined: number;
  removedTemp: number;
  completedQuarantines: number;
  rebuiltSidecars: number;
  quarantinedUnreadable: number;
}

export interface RecoveryOptions {
  /** Urgency given to an instance whose sidecar had to be rebuilt. */
  defaultUrgency: Urgency;
}

export class Spool {
  readonly layout: SpoolLayout;
  readonly #log: Logger;
  #quarantined = 0;

  constructor(root: string, log: Logger) {
    this.layout = spoolLayout(root);
    this.#log = log;
  }

  intakeDir(id: string): string {
    return join(this.layout.tmp, id);
  }

  intakeDataPath(id: string): string {
    return join(this.layout.tmp, id, DATA_FILE);
  }

  queuedDataPath(id: string): string {
    return join(this.layout.queue, id, DATA_FILE);
  }

  get quarantinedCount(): number {
    return this.#quarantined;
  }

  /** Creates the layout and runs the recovery pass. */
  async open(opts: RecoveryOptions): Promise<RecoveryReport> {
    for (const dir of Object.values(this.layout)) await ensureDir(dir);
    const report: RecoveryReport = {
      queued: [],
      studies: [],
      quarantined: 0,
      removedTemp: 0,
      completedQuarantines: 0,
      rebuiltSidecars: 0,
      quarantinedUnreadable: 0,
    };
    // 1. Anything in tmp/ was never acknowledged.
    for (const name of await readdir(this.layout.tmp)) {
      await rm(join(this.layout.tmp, name), { recursive: true, force: true });
      report.removedTemp++;
    }
    // 2. Studies: sent instances and manifest states.
    const studies = await this.#readStudies();
    // 3. Queue: finish interrupted moves, validate sidecars.
    const names = (await readdir(this.layout.queue)).sort();
    for (const id of names) {
      const dir = join(this.layout.queue, id);
      if (!check(SpoolId, id)) {
        this.#log.warn({ entry: id }, 'spool: unexpected entry in queue left alone');
        continue;
      }
      const reason = await readJson(join(dir, REASON_FILE));
      if (reason !== undefined) {
        await this.#moveIntoQuarantine(id);
        report.completedQuarantines++;
        continue;
      }
      const record = await this.#loadOrRebuild(id, opts, report);
      if (record) report.queued.push(record);
    }
    this.#quarantined = (await readdir(this.layout.quarantine)).length;
    report.quarantined = this.#quarantined;
    report.studies = [...studies.values()];
    return report;
  }

  async #loadOrRebuild(id: string, opts: RecoveryOptions, report: RecoveryReport): Promise<InstanceRecord | undefined> {
    const dir = join(this.layout.queue, id);
    const dataPath = join(dir, DATA_FILE);
    const raw = await readJson(join(dir, META_FILE));
    const size = await fileSize(dataPath);
    if (check(InstanceRecord, raw) && raw.id === id && size === raw.size) return raw;
    if (raw !== undefined && !check(InstanceRecord, raw)) {
      this.#log.warn({ spoolId: id, errors: validationErrors(InstanceRecord, raw).slice(0, 3) }, 'spool: invalid sidecar, rebuilding');
    }
    if (size === undefined) {
      await this.#moveToQuarantine(id, { code: 'RELAIS_AGENT_SPOOL_UNREADABLE', message: 'queued instance without data file' }, report);
      return undefined;
    }
    try {
      const header = await readDicomHeader(dataPath);
      const uids = [header.sopInstanceUid, header.sopClassUid, header.studyInstanceUid, header.seriesInstanceUid, header.transferSyntaxUid];
      if (!uids.every(isWellFormedUid)) throw new Error('malformed UIDs');
      const mtime = (await stat(dataPath)).mtime;
      const record: InstanceRecord = {
        v: 1,
        id,
        sopInstanceUid: header.sopInstanceUid,
        sopClassUid: header.sopClassUid,
        studyInstanceUid: header.studyInstanceUid,
        seriesInstanceUid: header.seriesInstanceUid,
        transferSyntaxUid: header.transferSyntaxUid,
        sha256: await sha256File(dataPath),
        size,
        receivedAt: mtime.toISOString(),
        callingAeTitle: '',
        calledAeTitle: '',
        urgency: opts.defaultUrgency,
        ...(header.modality ? { modality: header.modality.slice(0, 16) } : {}),
      };
      await writeFileDurable(join(dir, META_FILE), JSON.stringify(record));
      report.rebuiltSidecars++;
      return record;
    } catch (err) {
      await this.#moveToQuarantine(id, { code: 'RELAIS_AGENT_SPOOL_UNREADABLE', message: `queued instance unreadable: ${(err as Error).message}`.slice(0, 500) }, report);
      return undefined;
    }
  }

  async #moveToQuarantine(id: string, reason: { code: string; message: string }, report: RecoveryReport): Promise<void> {
    await this.quarantine(id, reason);
    report.quarantinedUnreadable++;
    this.#log.error({ spoolId: id, code: reason.code }, 'spool: instance quarantined during recovery');
  }

  async #readStudies(): Promise<Map<string, StudyOnDisk>> {
    const out = new Map<string, StudyOnDisk>();
    for (const id of (await readdir(this.layout.sent)).sort()) {
      const dir = join(this.layout.sent, id);
      await rm(join(dir, DATA_FILE), { force: true }); // the hub has it: an interrupted removal
      const value = await readJson(join(dir, META_FILE));
      if (!check(InstanceRecord, value) || value.id !== id) {
        this.#log.warn({ spoolId: id }, 'spool: sent instance without a valid sidecar dropped (its manifest entry is lost)');
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      let study = out.get(value.studyInstanceUid);
      if (!study) out.set(value.studyInstanceUid, (study = { studyInstanceUid: value.studyInstanceUid, uploaded: [] }));
      study.uploaded.push(value);
    }
    for (const name of await readdir(this.layout.studies)) {
      const path = join(this.layout.studies, name);
      if (name.startsWith('.')) {
        await rm(path, { force: true }); // temp file of an interrupted durable write
        continue;
      }
      const value = await readJson(path);
      if (!check(ManifestState, value)) {
        this.#log.warn({ file: name }, 'spool: invalid manifest state ignored (the manifest will be sent again)');
        continue;
      }
      const study = out.get(value.studyInstanceUid);
      if (study) study.manifest = value;
      else await rm(path, { force: true }); // a purge interrupted after its instances were removed
    }
    return out;
  }

  /**
   * Commits a received instance: its folder tmp/<id> moves to queue/<id>. `syncData` (the fsync
   * of data.dcm) runs while the sidecar is written; both must succeed before the rename.
   */
  async admit(record: InstanceRecord, syncData: () => Promise<void> = async () => {}): Promise<void> {
    const dir = this.intakeDir(record.id);
    const writeSidecar = async () => {
      const handle = await openFile(join(dir, META_FILE), 'wx', 0o640);
      try {
        await handle.writeFile(JSON.stringify(record));
        await handle.sync();
      } finally {
        await handle.close();
      }
    };
    const [data, sidecar] = await Promise.allSettled([syncData(), writeSidecar()]);
    if (data.status === 'rejected') throw data.reason;
    if (sidecar.status === 'rejected') throw sidecar.reason;
    await fsyncDir(dir);
    await rename(dir, join(this.layout.queue, record.id));
    await fsyncDir(this.layout.queue);
  }

  /** Removes an intake folder (refused or failed instance). Never throws. */
  async discardIntake(id: string): Promise<void> {
    await rm(this.intakeDir(id), { recursive: true, force: true }).catch((err: Error) => {
      this.#log.error({ spoolId: id, err: err.message }, 'spool: could not remove intake folder (recovery will)');
    });
  }

  /**
   * Records the hub's 2xx: queue/<id> moves to sent/<id> (one rename, durable), then its data is
   * removed. Needs no new disk space, so it works on a full disk.
   */
  async markUploaded(record: InstanceRecord): Promise<void> {
    await rename(join(this.layout.queue, record.id), join(this.layout.sent, record.id));
    await fsyncDir(this.layout.sent);
    await fsyncDir(this.layout.queue);
    await rm(join(this.layout.sent, record.id, DATA_FILE), { force: true });
  }

  /** Moves a queued instance to quarantine with its reason (reason first, then one rename). */
  async quarantine(id: string, reason: { code: string; message: string }, at = new Date()): Promise<void> {
    const dir = join(this.layout.queue, id);
    const body: QuarantineReason = { v: 1, code: reason.code.slice(0, 64), message: reason.message.slice(0, 500), at: at.toISOString() };
    await writeFileDurable(join(dir, REASON_FILE), JSON.stringify(body));
    await this.#moveIntoQuarantine(id);
  }

  async #moveIntoQuarantine(id: string): Promise<void> {
    const target = join(this.layout.quarantine, id);
    await rm(target, { recursive: true, force: true });
    await rename(join(this.layout.queue, id), target);
    await fsyncDir(this.layout.quarantine);
    await fsyncDir(this.layout.queue);
    this.#quarantined++;
  }

  async saveManifestState(state: ManifestState): Promise<void> {
    await writeFileDurable(join(this.layout.studies, `${studyKey(state.studyInstanceUid)}.json`), JSON.stringify(state));
  }

  /** Forgets a finished study: its sent instances' records, then its manifest state. */
  async purgeStudy(studyInstanceUid: string, instanceIds: Iterable<string>): Promise<void> {
    for (const id of instanceIds) await rm(join(this.layout.sent, id), { recursive: true, force: true });
    await rm(join(this.layout.studies, `${studyKey(studyInstanceUid)}.json`), { force: true });
  }

  /** Creates the intake folder for a new instance. */
  async createIntakeDir(id: string): Promise<void> {
    await mkdir(this.intakeDir(id));
  }
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null; // present but not JSON: invalid
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

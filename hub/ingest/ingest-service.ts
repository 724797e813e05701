/**
 * Ingest of instances and manifests from agents (the hub side of the upload contract).
 * An upload is acknowledged (UploadResult) only after: the body was streamed to disk while
 * hashed and matched the announced SHA-256; the Part 10 header parsed and its SOP Instance
 * UID matched the URL; the file was fsynced and renamed into instance storage and the
 * directory fsynced; the study's instance index line and the catalog record were durable; the
 * transfer was in the audit log. Idempotent: same SOP UID and bytes → `duplicate` (nothing
 * written, catalog healed if it lagged); same UID, other bytes → `new-version`, kept and the
 * study flagged. A study belongs to the agent that first wrote to it; others get 403.
 * Writes to one study are serialised; different studies proceed in parallel.
 * Protocol 2: an upload or manifest may say which exam request the study matched, or that it
 * is held for reconciliation (`match`); the catalog keeps that (sticky hold, status `held`).
 * `onStudyStored` (clinical: link the study to its request; dispatch: open the study's case at
 * its first instance) runs inside the study's lock before the acknowledgement, after every
 * stored instance, duplicate or manifest: if it fails, the upload fails and the agent's retry
 * (a duplicate) runs it again.
 */
import { readDicomHeader, DicomParseError, type DicomHeader } from '../../lib/dicom/header.ts';
import { isWellFormedUid } from '../../lib/dicom/uid.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Urgency } from '../../protocol/common.ts';
import type { StudyManifest, StudyManifestAck, UploadResult } from '../../protocol/upload.ts';
import { HubError, storageError } from '../errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { StudyIndexes, InstanceEntry } from '../catalog/instance-index.ts';
import { recordInstance, recordManifest, lagsBehind, applyMatch, type MatchClaim, type StudyRecord } from '../catalog/study-record.ts';
import { KeyedMutex } from '../storage/keyed-mutex.ts';
import type { InstanceObjects, ReceivedBody } from './instance-objects.ts';

export interface IngestDeps {
  clock: Clock;
  logger: Logger;
  objects: InstanceObjects;
  indexes: StudyIndexes;
  catalog: CatalogStore;
  audit: AuditLog;
  /** The per-study lock shared with everything else that writes a study. */
  studyLocks: KeyedMutex;
  maxInstanceBytes: number;
  onStudyChanged: (study: StudyRecord) => void;
  /** Awaited before the 2xx, inside the study's lock (it must not take that lock). */
  onStudyStored?: (e: StudyStored) => Promise<void>;
}

/** A study's record after an upload or a manifest, and before it (undefined: first instance). */
export interface StudyStored {
  record: StudyRecord;
  previous: StudyRecord | undefined;
}

export interface UploadRequest {
  agentId: string;
  sopInstanceUid: string;
  sha256: string;
  studyInstanceUid?: string;
  urgency: Urgency;
  body: AsyncIterable<Buffer | Uint8Array | string>;
  ip?: string;
  /** What the agent said about the study's request (protocol 2 headers). */
  match?: MatchClaim;
}

export interface UploadOutcome {
  httpStatus: 200 | 201;
  result: UploadResult;
}

export class IngestService {
  readonly #d: IngestDeps;

  constructor(deps: IngestDeps) {
    this.#d = deps;
  }

  /** Refuses early (before reading the body) when the announced study belongs to another agent. */
  async assertMayWrite(agentId: string, studyInstanceUid: string | undefined, ip?: string): Promise<void> {
    if (!studyInstanceUid) return;
    const study = await this.#d.catalog.get(studyInstanceUid);
    if (study && study.agentId !== agentId) {
      await this.#forbidden(agentId, studyInstanceUid, ip);
    }
  }

  async #forbidden(agentId: string, studyInstanceUid: string, ip?: string): Promise<never> {
    await this.#d.audit.record({
      event: 'security-alert',
      action: 'write-foreign-study',
      actor: { kind: 'agent', id: agentId },
      outcome: 'failure',
      studyInstanceUid,
      result: 'RELAIS_AUTH_FORBIDDEN',
      ...(ip ? { ip } : {}),
    });
    throw new HubError('RELAIS_AUTH_FORBIDDEN', 'this study was sent by another agent');
  }

  async upload(req: UploadRequest): Promise<UploadOutcome> {
    const received = await this.#d.objects.receive(req.body, this.#d.maxInstanceBytes);
    let committed = false;
    try {
      if (received.sha256 !== req.sha256) {
        throw new HubError('RELAIS_UPLOAD_HASH_MISMATCH', undefined, { expected: req.sha256, received: received.sha256, bytes: received.size });
      }
      const header = await this.#readHeader(received);
      if (header.sopInstanceUid !== req.sopInstanceUid) {
        throw new HubError('RELAIS_UPLOAD_UID_MISMATCH', 'the SOP Instance UID of the dataset differs from the URL');
      }
      if (req.studyInstanceUid && header.studyInstanceUid !== req.studyInstanceUid) {
        throw new HubError('RELAIS_UPLOAD_UID_MISMATCH', 'the Study Instance UID of the dataset differs from the relais-study-uid header');
      }
      return await this.#d.studyLocks.run(header.studyInstanceUid, async () => {
        const outcome = await this.#store(req, received, header);
        committed = true;
        return outcome;
      });
    } finally {
      if (!committed) await this.#d.objects.discard(received);
    }
  }

  async #readHeader(received: ReceivedBody): Promise<DicomHeader> {
    let header: DicomHeader;
    try {
      header = await readDicomHeader(received.tmpPath);
    } catch (err) {
      if (err instanceof DicomParseError) throw new HubError('RELAIS_UPLOAD_NOT_DICOM', `not a readable DICOM instance: ${err.message}`);
      throw storageError(err);
    }
    for (const uid of [header.sopInstanceUid, header.studyInstanceUid, header.seriesInstanceUid]) {
      if (!isWellFormedUid(uid)) throw new HubError('RELAIS_UPLOAD_NOT_DICOM', 'the dataset lacks a well-formed SOP, study or series UID');
    }
    return header;
  }

  async #store(req: UploadRequest, received: ReceivedBody, h: DicomHeader): Promise<UploadOutcome> {
    const { catalog, indexes, objects, audit, clock } = this.#d;
    const studyUid = h.studyInstanceUid;
    const existing = await catalog.get(studyUid);
    if (existing && existing.agentId !== req.agentId) await this.#forbidden(req.agentId, studyUid, req.ip);
    const index = await indexes.get(studyUid);
    const at = new Date(clock.now()).toISOString();
    const same = index.findVersion(req.sopInstanceUid, received.sha256);
    if (same) {
      await objects.discard(received);
      // Heal a catalog that lags its index (crash between the two on a previous attempt).
      let record = existing;
      if (lagsBehind(existing, index.totals())) record = await this.#putStudy(existing, req, h, index.totals(), at);
      else if (existing && req.match) {
        const matched = applyMatch(existing, req.match, at);
        if (matched !== existing) {
          await this.#d.catalog.put(matched).catch((err: unknown) => {
            throw storageError(err);
          });
          this.#d.onStudyChanged(matched);
          record = matched;
        }
      }
      if (record) await this.#d.onStudyStored?.({ record, previous: existing });
      await audit.record({
        event: 'instances-transferred', action: 'upload', actor: { kind: 'agent', id: req.agentId }, outcome: 'success',
        studyInstanceUid: studyUid, seriesInstanceUid: h.seriesInstanceUid, sopInstanceUid: req.sopInstanceUid,
        sha256: received.sha256, bytes: received.size, result: 'duplicate', ...(req.ip ? { ip: req.ip } : {}),
      });
      return { httpStatus: 200, result: { status: 'duplicate', sopInstanceUid: req.sopInstanceUid, studyInstanceUid: studyUid, sha256: same.sha256, version: same.version, storedAt: same.storedAt } };
    }
    const previous = index.latest(req.sopInstanceUid);
    const version = previous ? previous.version + 1 : 1;
    await objects.commit(received);
    const entry: InstanceEntry = {
      sopInstanceUid: req.sopInstanceUid,
      seriesInstanceUid: h.seriesInstanceUid,
      sopClassUid: h.sopClassUid,
      transferSyntaxUid: h.transferSyntaxUid,
      sha256: received.sha256,
      size: received.size,
      version,
      storedAt: at,
      agentId: req.agentId,
    };
    if (h.modality) entry.modality = h.modality.slice(0, 16);
    if (h.seriesNumber !== undefined) entry.seriesNumber = h.seriesNumber;
    if (h.seriesDescription) entry.seriesDescription = h.seriesDescription.slice(0, 200);
    if (h.instanceNumber !== undefined) entry.instanceNumber = h.instanceNumber;
    if (h.rows !== undefined) entry.rows = h.rows;
    if (h.columns !== undefined) entry.columns = h.columns;
    if (h.numberOfFrames !== undefined) entry.numberOfFrames = h.numberOfFrames;
    try {
      await index.append(entry);
    } catch (err) {
      throw storageError(err);
    }
    const status = previous ? 'new-version' : 'stored';
    const record = await this.#putStudy(existing, req, h, index.totals(), at);
    await this.#d.onStudyStored?.({ record, previous: existing });
    await audit.record({
      event: 'instances-transferred', action: 'upload', actor: { kind: 'agent', id: req.agentId }, outcome: 'success',
      studyInstanceUid: studyUid, seriesInstanceUid: h.seriesInstanceUid, sopInstanceUid: req.sopInstanceUid,
      sha256: received.sha256, bytes: received.size, result: status, ...(req.ip ? { ip: req.ip } : {}),
    });
    if (previous) this.#d.logger.warn({ agentId: req.agentId, version }, 'instance received again with other bytes: kept as a new version, study flagged');
    return { httpStatus: 201, result: { status, sopInstanceUid: req.sopInstanceUid, studyInstanceUid: studyUid, sha256: received.sha256, version, storedAt: at } };
  }

  async #putStudy(existing: StudyRecord | undefined, req: UploadRequest, h: DicomHeader, totals: ReturnType<Awaited<ReturnType<StudyIndexes['get']>>['totals']>, at: string): Promise<StudyRecord> {
    const cut = (v: string | undefined, n: number) => (v === undefined ? undefined : v.slice(0, n));
    const record = recordInstance(existing, {
      studyInstanceUid: h.studyInstanceUid,
      agentId: req.agentId,
      urgency: req.urgency,
      at,
      totals,
      dicom: {
        studyDate: cut(h.studyDate, 16),
        studyTime: cut(h.studyTime, 32),
        accessionNumber: cut(h.accessionNumber, 64),
        studyDescription: cut(h.studyDescription, 200),
        referringPhysicianName: cut(h.referringPhysicianName, 200),
        bodyPartExamined: cut(h.bodyPartExamined?.trim(), 64),
      },
      patient: {
        name: cut(h.patientName, 200),
        id: cut(h.patientId, 200),
        issuer: cut(h.issuerOfPatientId, 200),
        birthDate: cut(h.patientBirthDate, 16),
        sex: cut(h.patientSex, 16),
      },
    });
    stripUndefined(record.dicom);
    stripUndefined(record.patient);
    const matched = req.match ? applyMatch(record, req.match, at) : record;
    try {
      await this.#d.catalog.put(matched);
    } catch (err) {
      throw storageError(err);
    }
    this.#d.onStudyChanged(matched);
    return matched;
  }

  /** Records the agent's list of a study's instances; the study completes when all are here. */
  async manifest(agentId: string, m: StudyManifest, ip?: string): Promise<StudyManifestAck> {
    return this.#d.studyLocks.run(m.studyInstanceUid, async () => {
      const existing = await this.#d.catalog.get(m.studyInstanceUid);
      if (existing && existing.agentId !== agentId) await this.#forbidden(agentId, m.studyInstanceUid, ip);
      const index = await this.#d.indexes.get(m.studyInstanceUid);
      try {
        await index.setManifest(m.instances.map((i) => i.sopInstanceUid));
      } catch (err) {
        throw storageError(err);
      }
      const at = new Date(this.#d.clock.now()).toISOString();
      const unmatched = recordManifest(existing, {
        studyInstanceUid: m.studyInstanceUid,
        agentId,
        urgency: m.urgency,
        at,
        totals: index.totals(),
      });
      const record = m.match ? applyMatch(unmatched, { requestId: m.match.requestId, hold: m.match.status === 'held' ? m.match.reasons : [] }, at) : unmatched;
      try {
        await this.#d.catalog.put(record);
      } catch (err) {
        throw storageError(err);
      }
      await this.#d.audit.record({
        event: 'instances-transferred', action: 'manifest', actor: { kind: 'agent', id: agentId }, outcome: 'success',
        studyInstanceUid: m.studyInstanceUid, count: m.instances.length, result: record.status, ...(ip ? { ip } : {}),
      });
      this.#d.onStudyChanged(record);
      await this.#d.onStudyStored?.({ record, previous: existing });
      return {
        studyInstanceUid: m.studyInstanceUid,
        expected: record.instancesExpected ?? m.instances.length,
        received: record.manifestReceived,
        complete: record.instancesExpected !== null && record.manifestReceived >= record.instancesExpected,
      };
    });
  }
}

function stripUndefined(o: Record<string, unknown>): void {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
}

/**
 * What the agent remembers of each study it received, for the clinical loop: the match with its
 * request (or the hold reasons, accumulated over its instances) and the patient/study module of
 * its first instance — the values a report object must copy into the site PACS.
 *
 *   <data>/clinical/studies/<hash of the Study UID>.json   (mode 0600: identity inside)
 *
 * Contract: `classify` is called at intake for each instance, before its C-STORE answer; it
 * resolves once the study's state is durable (written only when it changed) and returns what
 * the instance's sidecar and upload must say: the request id when matched, the hold reasons
 * otherwise, and the request's urgency. A hold is sticky for the study.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { DicomHeader } from '../../lib/dicom/header.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/validate.ts';
import { IsoDateTime, Uid, type Urgency } from '../../protocol/common.ts';
import { HoldReason, type StudyMatch } from '../../protocol/clinical.ts';
import { matchInstance, type RequestLookup } from './study-matcher.ts';

const Text = Type.Optional(Type.String({ maxLength: 400 }));
export const StudyIdentity = Type.Object({
  patientName: Text,
  patientId: Text,
  issuerOfPatientId: Text,
  patientBirthDate: Text,
  patientSex: Text,
  studyDate: Text,
  studyTime: Text,
  studyId: Text,
  accessionNumber: Text,
  referringPhysicianName: Text,
  studyDescription: Text,
});
export type StudyIdentity = Static<typeof StudyIdentity>;

export const StudyState = Type.Object({
  v: Type.Literal(1),
  studyInstanceUid: Uid,
  firstSeenAt: IsoDateTime,
  requestId: Type.Optional(Type.String()),
  reasons: Type.Array(HoldReason),
  identity: StudyIdentity,
});
export type StudyState = Static<typeof StudyState>;

export interface Classification {
  requestId?: string;
  hold?: StudyMatch['reasons'];
  urgency?: Urgency;
}

export interface StudyRegistryDeps {
  dir: string;
  clock: Clock;
  log: Logger;
  requests: RequestLookup & { urgencyOf(requestId: string): Urgency | undefined };
  /** Whether a study matching no request is held (`no-request`); default true. */
  holdUnsolicited?: boolean;
  /** Told when a study is matched to a request for the first time. */
  onMatched?: (requestId: string, studyInstanceUid: string) => Promise<void>;
}

const key = (uid: string) => createHash('sha256').update(uid).digest('hex').slice(0, 32);

function identityOf(h: DicomHeader): StudyIdentity {
  const out: StudyIdentity = {};
  const put = (k: keyof StudyIdentity, v: string | undefined) => {
    if (v !== undefined && v !== '') out[k] = v.slice(0, 400);
  };
  put('patientName', h.patientName);
  put('patientId', h.patientId);
  put('issuerOfPatientId', h.issuerOfPatientId);
  put('patientBirthDate', h.patientBirthDate);
  put('patientSex', h.patientSex);
  put('studyDate', h.studyDate);
  put('studyTime', h.studyTime);
  put('studyId', h.studyId);
  put('accessionNumber', h.accessionNumber);
  put('referringPhysicianName', h.referringPhysicianName);
  put('studyDescription', h.studyDescription);
  return out;
}

export class StudyRegistry {
  readonly #d: StudyRegistryDeps;
  readonly #studies = new Map<string, StudyState>();
  #chain: Promise<unknown> = Promise.resolve();

  constructor(deps: StudyRegistryDeps) {
    this.#d = deps;
  }

  async open(): Promise<void> {
    await ensureDir(this.#d.dir);
    for (const name of await readdir(this.#d.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        const raw = JSON.parse(await readFile(join(this.#d.dir, name), 'utf8')) as unknown;
        if (check(StudyState, raw)) this.#studies.set(raw.studyInstanceUid, raw);
      } catch {
        this.#d.log.warn({ file: name }, 'studies: unreadable study state ignored (rebuilt from the next instance)');
      }
    }
  }

  get(studyInstanceUid: string): StudyState | undefined {
    return this.#studies.get(studyInstanceUid);
  }

  /** Studies held for reconciliation (newest first). */
  held(): StudyState[] {
    return [...this.#studies.values()].filter((s) => s.reasons.length > 0).sort((a, b) => b.firstSeenAt.localeCompare(a.firstSeenAt));
  }

  /** The manifest's `match` for a study. */
  matchOf(studyInstanceUid: string): StudyMatch | undefined {
    const s = this.#studies.get(studyInstanceUid);
    if (!s) return undefined;
    const m: StudyMatch = { status: s.reasons.length > 0 ? 'held' : 'matched', reasons: [...s.reasons] };
    if (s.requestId) m.requestId = s.requestId as StudyMatch['requestId'] & string;
    return m;
  }

  classify(h: DicomHeader): Promise<Classification> {
    const run = this.#chain.then(() => this.#classify(h));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #classify(h: DicomHeader): Promise<Classification> {
    const found = matchInstance(h, this.#d.requests);
    const m = this.#d.holdUnsolicited === false ? { ...found, reasons: found.reasons.filter((r) => r !== 'no-request') } : found;
    const prev = this.#studies.get(h.studyInstanceUid);
    const reasons = [...new Set([...(prev?.reasons ?? []), ...m.reasons])];
    const requestId = prev?.requestId ?? m.requestId;
    const next: StudyState = {
      v: 1,
      studyInstanceUid: h.studyInstanceUid,
      firstSeenAt: prev?.firstSeenAt ?? new Date(this.#d.clock.now()).toISOString(),
      reasons,
      identity: prev?.identity ?? identityOf(h),
      ...(requestId ? { requestId } : {}),
    };
    const changed = !prev || prev.reasons.length !== reasons.length || prev.requestId !== next.requestId;
    if (changed) {
      await writeFileDurable(join(this.#d.dir, `${key(h.studyInstanceUid)}.json`), JSON.stringify(next), { mode: 0o600 });
      this.#studies.set(h.studyInstanceUid, next);
      if (reasons.length > 0) this.#d.log.warn({ reasons, requestId: requestId ?? null }, 'studies: study held for reconciliation');
      else if (requestId) this.#d.log.info({ requestId }, 'studies: study matched to its request');
    }
    if (reasons.length === 0 && requestId && (!prev || prev.reasons.length > 0 || !prev.requestId)) await this.#d.onMatched?.(requestId, h.studyInstanceUid);
    const out: Classification = {};
    if (reasons.length > 0) out.hold = reasons;
    else if (requestId) {
      out.requestId = requestId;
      const u = this.#d.requests.urgencyOf(requestId);
      if (u) out.urgency = u;
    }
    return out;
  }
}

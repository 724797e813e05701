/**
 * The report desk: drafts, signature with re-authentication, addenda — and the only way a
 * report leaves the hub (page and API alike come here; ReportService.send is not exposed).
 *
 *   DATA/report-documents/<studyUid>.json   the ReportDocument (report-document.ts), mode 0600
 *
 * Contract:
 * - the study must exist and not be held for reconciliation; a signed original never changes;
 * - signing (report or addendum) re-authenticates the signer (signing password, then the TOTP
 *   code when one is active: codes are spent, not replayable); failures are audited and
 *   counted per user (5 in 15 min lock signing for the rest of the window);
 * - the signed document is durable before the report is handed to ReportService (outbox →
 *   agent → site PACS, alert 3); the report id is derived from the signed content's SHA-256,
 *   so `recover()` (at start) hands again every signed part the report store lacks, and a
 *   part is never sent twice;
 * - every step is audited (patient-record, with the SHA-256) and noted on the case's timeline
 *   (addenda; the signature itself is the case's `reported` step).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/validate.ts';
import { HubError } from '../errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { ReportService, ReportRecord } from '../reports/report-service.ts';
import { LoginThrottle } from '../auth/throttle.ts';
import { KeyedMutex } from '../storage/keyed-mutex.ts';
import type { SigningCredentials, ReauthResult } from './signing-credentials.ts';
import { addAddendum, emptyDocument, ReportDocument, ReportStateError, saveDraft, sign, type CriticalCall, type ReportDraft, type SignedPart, type Signer } from './report-document.ts';

export interface ReportDeskDeps {
  dir: string;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  catalog: CatalogStore;
  reports: ReportService;
  credentials: SigningCredentials;
  /** Timeline notes on the study's case (absent: no dispatch). */
  note?: (studyInstanceUid: string, type: string, text: { fr: string; en: string }, data: Record<string, unknown>) => Promise<void>;
}

export interface SignAuth {
  password: string;
  code?: string | undefined;
}

export interface SignerRef extends Signer {
  radiologistId?: string | undefined;
}

/** Why a signature was refused (pages and API map it to words and codes). */
export class SignatureRefused extends Error {
  constructor(readonly reason: Exclude<ReauthResult, { ok: true }>['reason'] | 'throttled') {
    super(reason);
  }
}

export class ReportDesk {
  readonly #d: ReportDeskDeps;
  readonly #lock = new KeyedMutex();
  readonly #failures: LoginThrottle;

  constructor(deps: ReportDeskDeps) {
    this.#d = deps;
    this.#failures = new LoginThrottle(deps.clock, 5, 15 * 60_000);
  }

  #path(uid: string): string {
    if (!/^[0-9.]{1,64}$/.test(uid)) throw new HubError('RELAIS_BAD_REQUEST', 'invalid study uid');
    return join(this.#d.dir, `${uid}.json`);
  }

  async document(uid: string): Promise<ReportDocument | undefined> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(this.#path(uid), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (!check(ReportDocument, raw)) throw new HubError('RELAIS_INTERNAL', 'invalid report document on disk');
    return raw;
  }

  async #put(doc: ReportDocument): Promise<void> {
    await ensureDir(this.#d.dir);
    await writeFileDurable(this.#path(doc.studyInstanceUid), JSON.stringify(doc), { mode: 0o600 });
  }

  #now(): string {
    return new Date(this.#d.clock.now()).toISOString();
  }

  async #reportable(uid: string): Promise<void> {
    const study = await this.#d.catalog.get(uid);
    if (!study) throw new HubError('RELAIS_NOT_FOUND', 'unknown study');
    if (study.hold) throw new HubError('RELAIS_DISPATCH_INVALID_STATE', 'the study is held for reconciliation: reconcile it before reporting');
  }

  async saveDraft(uid: string, draft: ReportDraft, by: { userId: string }): Promise<ReportDocument> {
    await this.#reportable(uid);
    return this.#lock.run(uid, async () => {
      const doc = (await this.document(uid)) ?? emptyDocument(uid, this.#now(), by.userId);
      const next = saveDraft(doc, draft, this.#now(), by.userId);
      await this.#put(next);
      await this.#d.audit.record({ event: 'patient-record', action: 'report-draft', actor: { kind: 'user', id: by.userId }, outcome: 'success', studyInstanceUid: uid });
      return next;
    });
  }

  async #reauth(signer: SignerRef, auth: SignAuth, uid: string): Promise<void> {
    if (this.#failures.retryAfterMs(signer.userId) > 0) throw new SignatureRefused('throttled');
    const r = await this.#d.credentials.reauthenticate(signer.userId, auth.password, auth.code, this.#d.clock.now());
    if (!r.ok) {
      this.#failures.fail(signer.userId);
      await this.#d.audit.record({ event: 'user-authentication', action: 'report-signature-reauth', actor: { kind: 'user', id: signer.userId }, outcome: 'failure', studyInstanceUid: uid, result: r.reason });
      throw new SignatureRefused(r.reason);
    }
  }

  /** draft → signed, then the report on its way to the site. */
  async sign(uid: string, draft: ReportDraft, signer: SignerRef, auth: SignAuth): Promise<{ doc: ReportDocument; record: ReportRecord }> {
    await this.#reportable(uid);
    const doc = await this.#lock.run(uid, async () => {
      const current = (await this.document(uid)) ?? emptyDocument(uid, this.#now(), signer.userId);
      if (current.state !== 'draft') throw new ReportStateError('already-signed');
      const { radiologistId: _r, ...who } = signer;
      sign(current, draft, who, this.#now()); // refuses a bad draft before a code is spent
      await this.#reauth(signer, auth, uid);
      const next = sign(current, draft, who, this.#now());
      await this.#put(next);
      await this.#d.audit.record({ event: 'patient-record', action: 'report-sign', actor: { kind: 'user', id: signer.userId }, outcome: 'success', studyInstanceUid: uid, reportId: next.signed!.reportId, sha256: next.signed!.sha256 });
      return next;
    });
    const record = await this.#send(doc.signed!, signer.radiologistId);
    return { doc, record };
  }

  async addendum(uid: string, input: { text: string; critical: boolean; criticalCall?: CriticalCall | undefined }, signer: SignerRef, auth: SignAuth): Promise<{ doc: ReportDocument; record: ReportRecord }> {
    const doc = await this.#lock.run(uid, async () => {
      const current = await this.document(uid);
      if (!current || current.state !== 'signed') throw new ReportStateError('not-signed');
      const { radiologistId: _r, ...who } = signer;
      addAddendum(current, input.text, input.critical, input.criticalCall, who, this.#now());
      await this.#reauth(signer, auth, uid);
      const next = addAddendum(current, input.text, input.critical, input.criticalCall, who, this.#now());
      await this.#put(next);
      const part = next.addenda.at(-1)!;
      await this.#d.audit.record({ event: 'patient-record', action: 'report-addendum-sign', actor: { kind: 'user', id: signer.userId }, outcome: 'success', studyInstanceUid: uid, reportId: part.reportId, sha256: part.sha256 });
      return next;
    });
    const part = doc.addenda.at(-1)!;
    const record = await this.#send(part, signer.radiologistId, doc.signed!.reportId);
    await this.#d.note?.(uid, 'addendum-signed', { fr: `addendum ${doc.addenda.length} signé par ${signer.name} (SHA-256 ${part.sha256.slice(0, 12)}…)`, en: `addendum ${doc.addenda.length} signed by ${signer.name} (SHA-256 ${part.sha256.slice(0, 12)}…)` }, { reportId: part.reportId, sha256: part.sha256 });
    return { doc, record };
  }

  /** What travels to the site: the signed text, the call of a critical finding, the digest. */
  async #send(part: SignedPart, radiologistId: string | undefined, addendumOf?: string): Promise<ReportRecord> {
    const c = part.content;
    const lines = [c.text];
    if (c.kind === 'addendum') lines.unshift(`Addendum au compte rendu signé (SHA-256 ${c.completes}).`, '');
    if (c.critical && c.criticalCall) lines.push('', `Résultat critique communiqué par téléphone à ${c.criticalCall.who} (${c.criticalCall.at}).`);
    lines.push('', `Signé électroniquement par ${c.signer.name} (RPPS ${c.signer.rpps}) le ${c.signedAt}. SHA-256 : ${part.sha256}.`);
    return this.#d.reports.send(
      {
        studyInstanceUid: c.studyInstanceUid,
        title: c.title,
        text: lines.join('\n'),
        ...(c.conclusion ? { conclusion: c.conclusion } : {}),
        critical: c.critical,
        radiologist: { name: c.signer.name, rpps: c.signer.rpps },
        signedAt: c.signedAt,
        reportId: part.reportId,
        sha256: part.sha256,
        ...(addendumOf ? { addendumOf } : {}),
      },
      { userId: c.signer.userId, ...(radiologistId ? { radiologistId } : {}) },
    );
  }

  /** Start-up: signed parts whose report was never recorded are handed again. */
  async recover(): Promise<number> {
    await ensureDir(this.#d.dir);
    let n = 0;
    for (const name of await readdir(this.#d.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const doc = await this.document(name.slice(0, -5)).catch(() => undefined);
      if (!doc?.signed) continue;
      for (const [i, part] of [doc.signed, ...doc.addenda].entries()) {
        if (this.#d.reports.get(part.reportId)) continue;
        await this.#send(part, undefined, i > 0 ? doc.signed.reportId : undefined);
        n++;
      }
    }
    if (n > 0) this.#d.logger.info({ resent: n }, 'reports: signed reports handed again after a restart');
    return n;
  }
}

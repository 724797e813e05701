/**
 * The agent's DICOM service class provider for one connection (dcmjs-dimse `Scp` subclass):
 * association policy, C-ECHO, and C-STORE streamed to the spool through an IntakeWriter.
 *
 * Contract:
 * - TCP_NODELAY on the socket; the socket is paused while the intake file lags behind the
 *   network (dcmjs-dimse has no backpressure of its own);
 * - associations beyond the cap get a transient A-ASSOCIATE-RJ (local limit exceeded); a wrong
 *   called AE title (unless disabled) or a calling AE outside the allow-list a permanent one;
 * - C-STORE-RSP is sent only after `admitInstance` resolved: 0000 means durable in queue/;
 * - an instance above the size cap aborts the association (A-ABORT) and leaves nothing behind;
 * - an association that ends mid-instance leaves nothing behind either;
 * - nothing here throws into dcmjs-dimse (every callback is answered exactly once).
 */
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import dimse from 'dcmjs-dimse';
import type { Logger } from '../../lib/logger.ts';
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import { buildFileMetaHeader } from '../../lib/dicom/part10.ts';
import { isWellFormedUid } from '../../lib/dicom/uid.ts';
import type { Spool } from '../spool/spool.ts';
import { newSpoolId } from '../spool/spool.ts';
import type { InstanceRecord } from '../spool/record.ts';
import { IntakeWriter, type IntakeFailure } from './intake-writer.ts';
import { admitInstance, type AdmitDeps } from './admit.ts';
import { decidePresentation } from './presentation.ts';
import { STORE_STATUS, statusHex } from './status.ts';

const { Scp, Dataset } = dimse;
const { CEchoResponse, CStoreResponse, CFindResponse } = dimse.responses;
const { PresentationContextResult, RejectResult, RejectSource, RejectReason, Status } = dimse.constants;

type Association = InstanceType<typeof dimse.association.Association>;
type PresentationContext = InstanceType<typeof dimse.association.PresentationContext>;
type CStoreRequest = InstanceType<typeof dimse.requests.CStoreRequest>;
type CEchoRequest = InstanceType<typeof dimse.requests.CEchoRequest>;
type CStoreResponse = InstanceType<typeof dimse.responses.CStoreResponse>;
type CEchoResponse = InstanceType<typeof dimse.responses.CEchoResponse>;
type CFindRequest = InstanceType<typeof dimse.requests.CFindRequest>;
type CFindResponse = InstanceType<typeof dimse.responses.CFindResponse>;
export type ScpNetworkOptions = ConstructorParameters<typeof Scp>[1];

/** Counts accepted associations against the cap (shared by all connections). */
export interface AssociationSlots {
  tryAcquire(): boolean;
  release(): void;
}

export interface ScpDeps {
  aeTitle: string;
  /** Accept any called AE title (default: only ours). */
  acceptAnyCalledAe: boolean;
  /** When set, only these calling AE titles may associate. */
  allowedCallingAes?: ReadonlySet<string>;
  slots: AssociationSlots;
  spool: Spool;
  clock: Clock;
  maxInstanceBytes: number;
  /** Why new instances must be refused right now (e.g. spool disk below reserve), if so. */
  intakeRefusal: () => IntakeFailure | undefined;
  admit: AdmitDeps;
  onAdmitted: (record: InstanceRecord) => void;
  /** Told about each refused instance (status and a short code such as ENOSPC). */
  onRefused: (status: number, code: string) => void;
  /** Modality Worklist C-FIND: the matching items for a query (naturalized datasets). */
  worklist?: (query: Record<string, unknown>, callingAeTitle: string) => Record<string, unknown>[];
  /** Registers an in-flight admission (graceful shutdown waits for them). */
  track: (p: Promise<unknown>) => void;
  log: Logger;
}

/** The Dataset handed to cStoreRequest: only a pointer to the intake writer. */
class SpooledDataset extends Dataset {
  readonly writer: IntakeWriter;
  constructor(writer: IntakeWriter, transferSyntaxUid: string) {
    super({}, transferSyntaxUid);
    this.writer = writer;
  }
}

/** AE titles as stored in sidecars: trimmed, printable, no backslash, at most 16 chars. */
export function cleanAeTitle(ae: string | undefined): string {
  return (ae ?? '').replace(/[^\x20-\x5b\x5d-\x7e]/g, '').trim().slice(0, 16);
}

export class RelaisScp extends Scp {
  readonly #deps: ScpDeps;
  readonly #socket: Socket;
  #current: IntakeWriter | undefined;
  #paused = false;
  #holdsSlot = false;
  #callingAe = '';
  #calledAe = '';
  #stored = 0;
  #refused = 0;
  #abortTimer: TimerHandle | undefined;

  constructor(socket: Socket, opts: ScpNetworkOptions, deps: ScpDeps) {
    super(socket, opts);
    this.#deps = deps;
    this.#socket = socket;
    socket.setNoDelay(true);
    // Runs after dcmjs-dimse's own 'data' listener, i.e. after this chunk's PDVs were written.
    socket.on('data', () => this.#applyBackpressure());
    this.on('close', () => this.#onClose());
  }

  get callingAeTitle(): string {
    return this.#callingAe;
  }

  override associationRequested(association: Association): void {
    const calling = cleanAeTitle(association.getCallingAeTitle());
    const called = cleanAeTitle(association.getCalledAeTitle());
    this.#callingAe = calling;
    this.#calledAe = called;
    const log = this.#deps.log;
    if (!this.#deps.acceptAnyCalledAe && called !== this.#deps.aeTitle) {
      log.warn({ callingAe: calling, calledAe: called }, 'dicom: association rejected (called AE title not ours)');
      return this.#reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
    }
    if (this.#deps.allowedCallingAes && !this.#deps.allowedCallingAes.has(calling)) {
      log.warn({ callingAe: calling }, 'dicom: association rejected (calling AE title not allowed)');
      return this.#reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized);
    }
    if (!this.#deps.slots.tryAcquire()) {
      log.warn({ callingAe: calling }, 'dicom: association rejected (too many concurrent associations)');
      return this.#reject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, RejectReason.LocalLimitExceeded);
    }
    this.#holdsSlot = true;
    let accepted = 0;
    for (const { context } of association.getPresentationContexts() as Array<{ id: number; context: PresentationContext }>) {
      const decision = decidePresentation(context.getAbstractSyntaxUid(), context.getTransferSyntaxUids(), { worklist: this.#deps.worklist !== undefined });
      if (decision.accept) {
        context.setResult(PresentationContextResult.Accept, decision.transferSyntaxUid);
        accepted++;
      } else {
        context.setResult(
          decision.reason === 'abstract-syntax-not-supported'
            ? PresentationContextResult.RejectAbstractSyntaxNotSupported
            : PresentationContextResult.RejectTransferSyntaxesNotSupported,
        );
      }
    }
    log.info({ callingAe: calling, contexts: accepted }, 'dicom: association accepted');
    this.sendAssociationAccept();
  }

  #reject(result: number, source: number, reason: number): void {
    this.sendAssociationReject(result, source, reason);
    this.#socket.end();
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
  }

  override cEchoRequest(request: CEchoRequest, callback: (response: CEchoResponse) => void): void {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  override cFindRequest(request: CFindRequest, callback: (responses: CFindResponse[]) => void): void {
    const responses: CFindResponse[] = [];
    try {
      const query = (request.getDataset()?.getElements() ?? {}) as Record<string, unknown>;
      const items = this.#deps.worklist?.(query, this.#callingAe) ?? [];
      for (const item of items) {
        const pending = CFindResponse.fromRequest(request);
        pending.setDataset(new Dataset(item));
        pending.setStatus(Status.Pending);
        responses.push(pending);
      }
      const done = CFindResponse.fromRequest(request);
      done.setStatus(Status.Success);
      responses.push(done);
      this.#deps.log.info({ callingAe: this.#callingAe, matches: items.length }, 'dicom: worklist query answered');
    } catch (err) {
      this.#deps.log.error({ err: (err as Error).message }, 'dicom: worklist query failed');
      const failed = CFindResponse.fromRequest(request);
      failed.setStatus(0xc001); // unable to process
      responses.length = 0;
      responses.push(failed);
    }
    callback(responses);
  }

  override createStoreWritableStream(context: PresentationContext, request: CStoreRequest): Writable {
    const deps = this.#deps;
    const id = newSpoolId(deps.clock.now());
    const sopClassUid = request.getAffectedSopClassUid();
    const sopInstanceUid = request.getAffectedSopInstanceUid();
    const transferSyntaxUid = context.getAcceptedTransferSyntaxUid() ?? '';
    let refuse = deps.intakeRefusal();
    if (!isWellFormedUid(sopClassUid) || !isWellFormedUid(sopInstanceUid)) {
      refuse = { kind: 'refused', code: 'C000', message: 'malformed UID in C-STORE command' };
    }
    const header = refuse
      ? Buffer.alloc(0)
      : buildFileMetaHeader({
          mediaStorageSopClassUid: sopClassUid,
          mediaStorageSopInstanceUid: sopInstanceUid,
          transferSyntaxUid,
          ...(this.#callingAe ? { sourceApplicationEntityTitle: this.#callingAe } : {}),
        });
    const writer = new IntakeWriter({
      id,
      createDir: () => deps.spool.createIntakeDir(id),
      dataPath: deps.spool.intakeDataPath(id),
      header,
      maxBytes: deps.maxInstanceBytes,
      onTooLarge: () => this.#abortTooLarge(writer),
      ...(refuse ? { refuse } : {}),
    });
    this.#current = writer;
    return writer;
  }

  override createDatasetFromStoreWritableStream(writable: Writable, context: PresentationContext, callback: (dataset: InstanceType<typeof Dataset>) => void): void {
    callback(new SpooledDataset(writable as IntakeWriter, context.getAcceptedTransferSyntaxUid() ?? ''));
  }

  override cStoreRequest(request: CStoreRequest, callback: (response: CStoreResponse) => void): void {
    let answered = false;
    const respond = (status: number, comment?: string) => {
      if (answered) return;
      answered = true;
      const response = CStoreResponse.fromRequest(request);
      response.setStatus(status);
      if (comment && status !== STORE_STATUS.success) response.setErrorComment(comment);
      try {
        callback(response);
      } catch (err) {
        this.#deps.log.error({ err: (err as Error).message }, 'dicom: could not send C-STORE response');
      }
    };
    const dataset = request.getDataset();
    const writer = dataset instanceof SpooledDataset ? dataset.writer : undefined;
    if (!writer) {
      respond(STORE_STATUS.cannotUnderstand, 'no dataset received');
      return;
    }
    if (this.#current === writer) this.#current = undefined;
    const started = this.#deps.clock.now();
    const work = (async () => {
      if (!writer.writableFinished) await once(writer, 'finish');
      const result = await admitInstance(
        {
          writer,
          commandSopClassUid: request.getAffectedSopClassUid(),
          commandSopInstanceUid: request.getAffectedSopInstanceUid(),
          transferSyntaxUid: dataset!.getTransferSyntaxUid(),
          callingAeTitle: this.#callingAe,
          calledAeTitle: this.#calledAe,
          receivedAt: new Date(this.#deps.clock.now()),
        },
        this.#deps.admit,
      );
      const ms = this.#deps.clock.now() - started;
      if ('record' in result) {
        this.#stored++;
        this.#deps.log.info({ spoolId: result.record.id, bytes: result.record.size, ms, callingAe: this.#callingAe }, 'dicom: instance stored');
        this.#deps.onAdmitted(result.record);
        respond(STORE_STATUS.success);
      } else {
        this.#refused++;
        this.#deps.log.warn({ spoolId: writer.id, status: statusHex(result.status), code: result.code, callingAe: this.#callingAe }, 'dicom: instance refused');
        this.#deps.onRefused(result.status, result.code);
        respond(result.status, result.comment);
      }
    })().catch((err: unknown) => {
      this.#deps.log.error({ spoolId: writer.id, err: (err as Error).message }, 'dicom: admission failed');
      respond(STORE_STATUS.outOfResources, 'internal error while storing');
    });
    this.#deps.track(work);
  }

  override abort(): void {
    // PS3.8 §7.3.3: after an A-ABORT the transport connection is closed (DCMTK waits for it).
    this.#deps.log.warn({ callingAe: this.#callingAe }, 'dicom: association aborted by peer');
    this.#socket.destroy();
  }

  #applyBackpressure(): void {
    const writer = this.#current;
    if (!writer || this.#paused || !writer.writableNeedDrain) return;
    this.#paused = true;
    this.#socket.pause();
    writer.once('drain', () => {
      this.#paused = false;
      this.#socket.resume();
    });
  }

  #abortTooLarge(writer: IntakeWriter): void {
    this.#deps.log.warn({ spoolId: writer.id, callingAe: this.#callingAe, limit: this.#deps.maxInstanceBytes }, 'dicom: instance above size cap, aborting association');
    try {
      this.sendAbort();
    } catch {
      /* socket may be gone */
    }
    this.#socket.pause();
    this.#socket.end();
    this.#abortTimer = this.#deps.clock.setTimeout(() => this.#socket.destroy(), 2_000);
  }

  #onClose(): void {
    this.#deps.clock.clearTimeout(this.#abortTimer);
    if (this.#holdsSlot) {
      this.#holdsSlot = false;
      this.#deps.slots.release();
    }
    const writer = this.#current;
    this.#current = undefined;
    if (writer) {
      // The association ended mid-instance: nothing was acknowledged, nothing stays.
      writer.destroy();
      const cleanup = (async () => {
        if (!writer.closed) await once(writer, 'close'); // after a pending _construct too
        await writer.abandon();
        if (writer.created) await this.#deps.spool.discardIntake(writer.id);
      })();
      this.#deps.track(cleanup);
    }
    if (this.#callingAe) {
      this.#deps.log.info({ callingAe: this.#callingAe, stored: this.#stored, refused: this.#refused }, 'dicom: association closed');
    }
  }
}

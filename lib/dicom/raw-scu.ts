/**
 * C-STORE SCU that sends datasets as raw bytes, never re-encoded (dcmjs-dimse underneath).
 *
 * dcmjs-dimse's `CStoreRequest(file)` reads the file into dcmjs objects and writes it back,
 * which drops private tags and rewrites the character set. Here each instance is a
 * `RawDataset` whose `getDenaturalizedDataset()` returns the original dataset bytes (the
 * Part 10 file after its meta group), loaded only when that request goes on the wire.
 *
 * Contract:
 * - every instance is proposed in its own transfer syntax (a dedicated presentation context),
 *   and is sent only if the peer accepted exactly that syntax; otherwise it is reported
 *   without a status (never transcoded: `RawDataset.getElements()` throws, so dcmjs-dimse's
 *   transcoding path aborts that request instead of sending a wrong dataset);
 * - the client socket has TCP_NODELAY (dcmjs-dimse calls `net.connect` without it: the call
 *   is wrapped for the duration of the synchronous `send()` only);
 * - the returned promise always resolves (never rejects) once the connection is closed, with
 *   one outcome per instance: the C-STORE status, or `undefined` when none came back.
 */
import net from 'node:net';
import { openSync, readSync, closeSync, readFileSync, fstatSync } from 'node:fs';
import dimse from 'dcmjs-dimse';
import { parseFileMeta, Part10Error } from './part10.ts';
import { TS } from './transfer-syntax.ts';

const { Client, Dataset } = dimse;
const { CStoreRequest } = dimse.requests;
const { PresentationContext } = dimse.association;

/** One instance to send: its identity and a loader for its dataset bytes (no meta). */
export interface RawInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Called when the request is sent; returns the dataset bytes exactly as they must travel. */
  loadDataset(): Buffer;
  /** Free text for reports (e.g. the source file name). */
  label?: string;
}

export interface StoreOutcome {
  instance: RawInstance;
  /** DIMSE status of the C-STORE-RSP, or undefined when no response came back. */
  status: number | undefined;
  errorComment?: string;
}

export interface AssociationOutcome {
  results: StoreOutcome[];
  /** Set when the peer rejected the association. */
  rejected?: { result: number; source: number; reason: number };
  /** Network or protocol error that ended the association early, if any. */
  error?: string;
  bytesSent: number;
}

export interface StoreTarget {
  host: string;
  port: number;
  callingAeTitle: string;
  calledAeTitle: string;
}

export interface RawStoreOptions {
  /** Socket idle / PDU timeout in ms (default 60 s). */
  timeoutMs?: number;
  /** Keep the association open this long after the last response before releasing it. */
  lingerMs?: number;
}

/** A dcmjs-dimse Dataset that carries raw bytes and refuses any dcmjs (de)naturalization. */
export class RawDataset extends Dataset {
  readonly #load: () => Buffer;

  constructor(instance: RawInstance) {
    super({ SOPClassUID: instance.sopClassUid, SOPInstanceUID: instance.sopInstanceUid }, instance.transferSyntaxUid);
    this.#load = () => instance.loadDataset();
  }

  override getDenaturalizedDataset(): Buffer {
    return this.#load();
  }

  override getElements(): Record<string, unknown> {
    throw new Error('raw dataset: refusing to decode or transcode (bytes are relayed as they are)');
  }
}

/** Reads the file meta of a Part 10 file (head only) and returns a RawInstance for it. */
export function rawInstanceFromFile(path: string): RawInstance {
  const head = readHead(path, 64 * 1024);
  let meta = parseFileMeta(head.bytes);
  if (!head.complete && meta.datasetOffset >= head.bytes.length - 8) {
    meta = parseFileMeta(readFileSync(path));
  }
  if (!meta.mediaStorageSopClassUid || !meta.mediaStorageSopInstanceUid) {
    throw new Part10Error(`file meta lacks SOP class or instance UID: ${path}`);
  }
  return {
    sopClassUid: meta.mediaStorageSopClassUid,
    sopInstanceUid: meta.mediaStorageSopInstanceUid,
    transferSyntaxUid: meta.transferSyntaxUid,
    label: path,
    loadDataset: () => datasetBytesOfFile(path),
  };
}

/** The dataset bytes of a Part 10 file (everything after its meta group). */
export function datasetBytesOfFile(path: string): Buffer {
  const bytes = readFileSync(path);
  return bytes.subarray(parseFileMeta(bytes).datasetOffset);
}

function readHead(path: string, max: number): { bytes: Buffer; complete: boolean } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const want = Math.min(size, max);
    const buf = Buffer.alloc(want);
    const n = readSync(fd, buf, 0, want, 0);
    return { bytes: buf.subarray(0, n), complete: n >= size };
  } finally {
    closeSync(fd);
  }
}

/** Gives TCP_NODELAY to any socket dcmjs-dimse opens (net.connect) synchronously inside `fn`. */
export function withNoDelayConnect<T>(fn: () => T, onSocket: (s: net.Socket) => void): T {
  const mutableNet = net as unknown as { connect: typeof net.connect };
  const original = mutableNet.connect;
  mutableNet.connect = ((...args: Parameters<typeof net.connect>) => {
    const socket = original.apply(net, args);
    socket.setNoDelay(true);
    onSocket(socket);
    return socket;
  }) as typeof net.connect;
  try {
    return fn();
  } finally {
    mutableNet.connect = original;
  }
}

/** dcmjs-dimse logs every PDU (AE titles, UIDs) to the console by default; callers silence it. */
export function silenceDimseLog(): void {
  dimse.log.setLevel('silent');
}

const UNCOMPRESSED_DEFAULTS = new Set<string>([TS.implicitLE, TS.explicitLE]);

/** Sends `instances` over one association; resolves when the connection has closed. */
export function storeRawInstances(target: StoreTarget, instances: RawInstance[], opts: RawStoreOptions = {}): Promise<AssociationOutcome> {
  silenceDimseLog();
  return new Promise((resolve) => {
    const outcomes = new Map<RawInstance, StoreOutcome>();
    const client = new Client();
    const dedicated = new Set<string>();
    for (const instance of instances) {
      const outcome: StoreOutcome = { instance, status: undefined };
      outcomes.set(instance, outcome);
      const request = new CStoreRequest(new RawDataset(instance));
      request.on('response', (rsp: InstanceType<typeof dimse.responses.CStoreResponse>) => {
        outcome.status = rsp.getStatus();
        const comment = rsp.getErrorComment();
        if (comment) outcome.errorComment = comment;
      });
      client.addRequest(request);
      // dcmjs-dimse proposes {Implicit LE, Explicit LE} together for each SOP class and gives
      // other syntaxes their own context; an uncompressed instance needs its own too, so the
      // peer cannot pick the other uncompressed syntax and force a transcode.
      const key = `${instance.sopClassUid}|${instance.transferSyntaxUid}`;
      if (UNCOMPRESSED_DEFAULTS.has(instance.transferSyntaxUid) && !dedicated.has(key)) {
        dedicated.add(key);
        client.addAdditionalPresentationContext(new PresentationContext(1, instance.sopClassUid, instance.transferSyntaxUid), true);
      }
    }
    let socket: net.Socket | undefined;
    let rejected: AssociationOutcome['rejected'];
    let error: string | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      resolve({
        results: instances.map((i) => outcomes.get(i)!),
        ...(rejected ? { rejected } : {}),
        ...(error ? { error } : {}),
        bytesSent: client.getStatistics().getBytesSent(),
      });
    };
    client.on('associationRejected', (r: { result: number; source: number; reason: number }) => {
      rejected = r;
    });
    client.on('networkError', (e: Error) => {
      error ??= e.message;
      socket?.destroy();
    });
    client.on('closed', finish);
    const timeout = opts.timeoutMs ?? 60_000;
    try {
      withNoDelayConnect(
        () =>
          client.send(target.host, target.port, target.callingAeTitle, target.calledAeTitle, {
            connectTimeout: timeout,
            associationTimeout: timeout,
            pduTimeout: timeout,
            associationLingerTimeout: opts.lingerMs ?? 0,
          }),
        (s) => {
          socket = s;
          // 'closed' is emitted by dcmjs-dimse on socket close; make sure a socket that never
          // connects (ECONNREFUSED) also ends the promise.
          s.once('close', () => setImmediate(finish));
        },
      );
    } catch (e) {
      error = (e as Error).message;
      finish();
    }
  });
}

/** Status helpers (PS3.4 C.4.2.1.4 / PS3.7 Annex C). */
export function isSuccessStatus(status: number | undefined): boolean {
  return status === 0x0000;
}

export function isWarningStatus(status: number | undefined): boolean {
  return status === 0x0001 || (status !== undefined && (status & 0xf000) === 0xb000);
}

export function formatStatus(status: number | undefined): string {
  return status === undefined ? 'none' : status.toString(16).padStart(4, '0').toUpperCase();
}

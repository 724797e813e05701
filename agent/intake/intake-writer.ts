/**
 * The Writable that dcmjs-dimse fills with one C-STORE dataset, PDV by PDV.
 * It streams `header` (preamble + hand-built file meta) and then the dataset bytes as received
 * to `<intake dir>/data.dcm`, hashing them (SHA-256 of the whole Part 10 file) on the way.
 *
 * Contract:
 * - never emits 'error' and never throws: an I/O failure (ENOSPC, EIO...) is recorded in
 *   `failure` and the rest of the dataset is swallowed, so the association survives and the
 *   SCP can answer A700 (a plain fs stream's 'error' crashes dcmjs-dimse's SCP);
 * - never holds the dataset in memory beyond the Writable's buffer (`highWaterMark`); the SCP
 *   pauses the socket while `writableNeedDrain` (dcmjs-dimse itself has no backpressure);
 * - the highWaterMark is above any PDV dcmjs-dimse can hand over, so its first `write()`
 *   returns true (dcmjs-dimse then awaits 'drain' mid-PDU, which could reorder PDVs);
 * - beyond `maxBytes` of dataset the writer stops writing, records `too-large` and calls
 *   `onTooLarge` once (the SCP aborts the association);
 * - `close()` releases the file handle after a successful sync; `discard()` is the caller's
 *   job (spool.discardIntake).
 */
import { Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

export type IntakeFailure =
  | { kind: 'io'; code: string; message: string }
  | { kind: 'too-large'; limit: number }
  | { kind: 'refused'; code: string; message: string };

export interface IntakeWriterOptions {
  /** Spool id of this instance (names its intake folder). */
  id: string;
  /** Creates the intake folder. */
  createDir: () => Promise<void>;
  dataPath: string;
  /** Preamble + file meta, written first. */
  header: Buffer;
  /** Largest dataset accepted, in bytes. */
  maxBytes: number;
  onTooLarge: () => void;
  /** When set, nothing is written: the instance will be refused with this failure. */
  refuse?: IntakeFailure;
}

export const INTAKE_HIGH_WATER_MARK = 8 * 1024 * 1024;

export class IntakeWriter extends Writable {
  readonly id: string;
  readonly dataPath: string;
  #opts: IntakeWriterOptions;
  #fh: FileHandle | undefined;
  #hash = createHash('sha256');
  #datasetBytes = 0;
  #fileBytes = 0;
  #failure: IntakeFailure | undefined;
  #created = false;

  constructor(opts: IntakeWriterOptions) {
    super({ highWaterMark: INTAKE_HIGH_WATER_MARK, decodeStrings: false, autoDestroy: false });
    this.id = opts.id;
    this.dataPath = opts.dataPath;
    this.#opts = opts;
    this.#failure = opts.refuse;
  }

  get failure(): IntakeFailure | undefined {
    return this.#failure;
  }

  /** Whether the intake folder was created (and so must be discarded on failure). */
  get created(): boolean {
    return this.#created;
  }

  get datasetBytes(): number {
    return this.#datasetBytes;
  }

  /** Size of data.dcm (header + dataset) once finished. */
  get fileBytes(): number {
    return this.#fileBytes;
  }

  /** SHA-256 (hex) of header + dataset; call once, after 'finish', when there is no failure. */
  digest(): string {
    return this.#hash.digest('hex');
  }

  override _construct(callback: (error?: Error | null) => void): void {
    if (this.#failure) return callback();
    (async () => {
      await this.#opts.createDir();
      this.#created = true;
      this.#fh = await open(this.dataPath, 'wx', 0o640);
      await this.#writeAll([this.#opts.header]);
      this.#hash.update(this.#opts.header);
    })().then(
      () => callback(),
      (err: unknown) => {
        this.#fail(err);
        callback();
      },
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.#failure) return callback();
    const buffers = chunks.map((c) => c.chunk);
    let n = 0;
    for (const b of buffers) n += b.length;
    this.#datasetBytes += n;
    if (this.#datasetBytes > this.#opts.maxBytes) {
      this.#failure = { kind: 'too-large', limit: this.#opts.maxBytes };
      this.#opts.onTooLarge();
      return callback();
    }
    for (const b of buffers) this.#hash.update(b);
    this.#writeAll(buffers).then(
      () => callback(),
      (err: unknown) => {
        this.#fail(err);
        callback();
      },
    );
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    const fh = this.#fh;
    if (!fh) throw Object.assign(new Error('intake file is not open'), { code: 'EBADF' });
    let total = 0;
    for (const b of buffers) total += b.length;
    const { bytesWritten } = await fh.writev(buffers);
    if (bytesWritten !== total) {
      // A short write on a regular file means the disk is full.
      throw Object.assign(new Error(`short write (${bytesWritten} of ${total} bytes)`), { code: 'ENOSPC' });
    }
    this.#fileBytes += total;
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  override _destroy(_error: Error | null, callback: (error?: Error | null) => void): void {
    // Never propagate: the SCP decides what happens to a failed instance.
    const fh = this.#fh;
    this.#fh = undefined;
    if (fh) fh.close().then(() => callback(), () => callback());
    else callback();
  }

  /** fsyncs and closes data.dcm. Throws (ENOSPC, EIO...) if the bytes are not durable. */
  async syncAndClose(): Promise<void> {
    const fh = this.#fh;
    if (!fh) throw Object.assign(new Error('intake file is not open'), { code: 'EBADF' });
    this.#fh = undefined;
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Closes the file without syncing (failed instance); never throws. */
  async abandon(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close().catch(() => {});
  }

  #fail(err: unknown): void {
    if (this.#failure) return;
    const e = err as NodeJS.ErrnoException;
    this.#failure = { kind: 'io', code: e?.code ?? 'EIO', message: e?.message ?? String(err) };
  }
}

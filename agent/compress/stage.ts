/**
 * The compression stage of the running agent, between the spool and the uplink:
 *   intake admits (durable, 0000 answered) ──submit──> [pool: transcode + verify] ──commit──> ready(record)
 * `submit` never blocks: an instance whose syntax cannot gain (lossy, already compressed,
 * implicit VR, big endian), one already compressed by an earlier run (`record.original`), or
 * any instance when the stage is off, goes to `ready` at once. Otherwise the bounded worker pool
 * (agent/compress/pool.ts) writes queue/<id>/compressed.dcm only after proving it decodes to the
 * original; the stage hashes it, commits it over data.dcm with its new sidecar (spool-commit.ts)
 * and calls `ready` with the new record. Whatever goes wrong (passthrough, codec error, verify
 * mismatch, worker crash, disk error) ends in `ready(original record)`: the original travels.
 * `stop()` closes the pool and waits for a commit in progress; after it nothing is committed nor
 * handed on (the spool holds it; the next start resumes).
 */
import { join } from 'node:path';
import type { Logger } from '../../lib/logger.ts';
import { sha256File } from '../../lib/sha256.ts';
import { TS } from '../../lib/dicom/transfer-syntax.ts';
import { URGENCIES } from '../../protocol/index.ts';
import { urgencyRank } from '../assemble/urgency.ts';
import type { InstanceRecord } from '../spool/record.ts';
import type { Compressor } from './pool.ts';
import type { CompressPolicyInput, CompressResult } from './compress-instance.ts';
import { COMPRESSED_FILE, commitCompressed, compressedRecord, discardCompressed } from './spool-commit.ts';

/** Source syntaxes the compressor may transcode (everything else travels as received). */
export const TRANSCODABLE_SYNTAXES: ReadonlySet<string> = new Set([TS.explicitLE, TS.rle, TS.deflatedLE]);

export interface CompressStageDeps {
  /** undefined: compression is off. */
  compressor: Compressor | undefined;
  policy: CompressPolicyInput;
  /** queue/<id> of a spooled instance. */
  queueDir: (id: string) => string;
  log: Logger;
  /** The record to upload (compressed or as received). Called once per submit, unless stopped. */
  ready: (record: InstanceRecord, result?: CompressResult) => void;
}

export class CompressStage {
  readonly #d: CompressStageDeps;
  readonly #runs = new Set<Promise<void>>();
  /** Waiting for a pool slot, one FIFO per urgency (emergency first): an emergency never waits behind a long scheduled study. */
  readonly #lanes: InstanceRecord[][] = URGENCIES.map(() => []);
  #stopped = false;

  constructor(deps: CompressStageDeps) {
    this.#d = deps;
  }

  /** Instances in the stage (waiting for a slot, compressing or committing). */
  get inFlight(): number {
    return this.#runs.size + this.#lanes.reduce((n, l) => n + l.length, 0);
  }

  /** Whether `submit(record)` will go through the pool (else `ready` is called at once). */
  willCompress(record: InstanceRecord): boolean {
    return !this.#stopped && this.#d.compressor !== undefined && !record.original && TRANSCODABLE_SYNTAXES.has(record.transferSyntaxUid);
  }

  submit(record: InstanceRecord): void {
    if (!this.willCompress(record)) {
      this.#d.ready(record);
      return;
    }
    this.#lanes[Math.max(0, urgencyRank(record.urgency))]!.push(record);
    this.#pump();
  }

  /** Keeps the pool's workers busy (plus one queued, so a worker never idles) from the most urgent lane. */
  #pump(): void {
    const compressor = this.#d.compressor;
    if (!compressor) return;
    while (!this.#stopped && this.#runs.size < compressor.size + 1) {
      const record = this.#lanes.find((l) => l.length > 0)?.shift();
      if (!record) return;
      const run: Promise<void> = this.#run(record, compressor)
        .catch((err: Error) => this.#d.log.error({ spoolId: record.id, err: err.message }, 'compress: stage error'))
        .finally(() => {
          this.#runs.delete(run);
          this.#pump();
        });
      this.#runs.add(run);
    }
  }

  async #run(record: InstanceRecord, compressor: Compressor): Promise<void> {
    const d = this.#d;
    const dir = d.queueDir(record.id);
    const result = await compressor.compressInstance(join(dir, 'data.dcm'), dir, { ...d.policy, outputName: COMPRESSED_FILE });
    if (this.#stopped) return;
    if (result.outcome !== 'compressed') {
      if (result.outcome === 'failed') d.log.warn({ spoolId: record.id, reason: result.reason.slice(0, 200) }, 'compress: kept the original');
      d.ready(record, result);
      return;
    }
    let next: InstanceRecord;
    try {
      next = compressedRecord(record, { transferSyntaxUid: result.transferSyntaxUid, sha256: await sha256File(result.path), size: result.compressedBytes });
      if (this.#stopped) return;
      await commitCompressed(dir, next);
    } catch (err) {
      d.log.error({ spoolId: record.id, err: (err as Error).message }, 'compress: could not commit the compressed file, the original travels');
      await discardCompressed(dir).catch(() => {});
      if (!this.#stopped) d.ready(record, { ...result, outcome: 'failed', path: join(dir, 'data.dcm'), reason: `commit: ${(err as Error).message}` });
      return;
    }
    d.log.debug({ spoolId: record.id, codec: result.codec, from: record.size, to: next.size }, 'compress: instance compressed');
    d.ready(next, result);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const l of this.#lanes) l.length = 0; // still in the spool: the next start resumes them
    await this.#d.compressor?.close();
    await Promise.all([...this.#runs]);
  }
}

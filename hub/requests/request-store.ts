/**
 * The hub's exam requests: one JSON file per request under DATA/requests/ (mode 0600: patient
 * identity inside), this store its only writer. Every file is validated when read; all are
 * loaded at start (a region's requests of the live period are few) and kept in memory.
 * Contract: `put` resolves once the record is durable (lib/durable-fs); callers serialise
 * writes per request (`lock`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from '../../lib/logger.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check, validationErrors } from '../../protocol/validate.ts';
import { AgentId, IsoDateTime, Uid } from '../../protocol/common.ts';
import { ExamRequest, ProtocolAnswer, RequestId } from '../../protocol/clinical.ts';
import { KeyedMutex } from '../storage/keyed-mutex.ts';

export const RequestStatus = Type.Union([
  Type.Literal('received'),
  Type.Literal('accepted'),
  Type.Literal('needs-information'),
  Type.Literal('declined'),
  Type.Literal('cancelled'),
]);
export type RequestStatus = Static<typeof RequestStatus>;

export const HubRequestRecord = Type.Object({
  v: Type.Literal(1),
  requestId: RequestId,
  agentId: AgentId,
  request: ExamRequest,
  status: RequestStatus,
  receivedAt: IsoDateTime,
  updatedAt: IsoDateTime,
  answers: Type.Array(ProtocolAnswer),
  studies: Type.Array(Uid),
  cancelled: Type.Optional(Type.Object({ reason: Type.String(), at: IsoDateTime })),
});
export type HubRequestRecord = Static<typeof HubRequestRecord>;

export class RequestStore {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #records = new Map<string, HubRequestRecord>();
  readonly lock = new KeyedMutex();

  private constructor(dir: string, log: Logger) {
    this.#dir = dir;
    this.#log = log;
  }

  static async open(dir: string, log: Logger): Promise<RequestStore> {
    const store = new RequestStore(dir, log);
    await ensureDir(dir);
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const raw = JSON.parse(await readFile(join(dir, name), 'utf8')) as unknown;
      if (!check(HubRequestRecord, raw)) {
        log.error({ file: name, errors: validationErrors(HubRequestRecord, raw).slice(0, 3) }, 'requests: invalid record left aside');
        continue;
      }
      store.#records.set(raw.requestId, raw);
    }
    return store;
  }

  get(requestId: string): HubRequestRecord | undefined {
    return this.#records.get(requestId);
  }

  /** Newest first. */
  list(): HubRequestRecord[] {
    return [...this.#records.values()].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  }

  async put(record: HubRequestRecord): Promise<void> {
    if (!check(HubRequestRecord, record)) throw new Error(`invalid request record: ${validationErrors(HubRequestRecord, record).slice(0, 3).join('; ')}`);
    await writeFileDurable(join(this.#dir, `${record.requestId}.json`), JSON.stringify(record), { mode: 0o600 });
    this.#records.set(record.requestId, record);
    this.#log.debug({ requestId: record.requestId, status: record.status }, 'requests: record saved');
  }
}

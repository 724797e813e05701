/**
 * The dispatch engine's three files under the hub's data directory, each owned by one
 * JsonDocument (durable lowdb): `dispatch/rota.json` (directory and rota, edited by operators),
 * `dispatch/cases.json` (live cases with their timelines), `dispatch/deliveries.json` (alert
 * deliveries and their attempts), and `dispatch/archive/cases-YYYY-MM.jsonl` (closed cases). Every file is validated against its schema when read.
 */
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { check } from '../../../protocol/validate.ts';
import { CaseDocument, Rota } from '../../../protocol/dispatch.ts';
import type { Delivery, DeliveryStore } from '../../notify/types.ts';
import { JsonDocument, type DocumentStore } from './json-document.ts';
import { fileCaseArchive, type CaseArchive } from './archive.ts';

const Attempt = Type.Object({ at: Type.String(), outcome: Type.Union([Type.Literal('ok'), Type.Literal('retry'), Type.Literal('fail')]), detail: Type.Optional(Type.String()), ms: Type.Number() });
const DeliveryRecord = Type.Object({
  key: Type.String(), caseId: Type.String(), alert: Type.String(), channel: Type.String(), address: Type.String(), secretName: Type.Optional(Type.String()),
  recipient: Type.Object({ kind: Type.String(), id: Type.String(), label: Type.String() }),
  message: Type.Object({ subject: Type.String(), short: Type.String(), body: Type.String(), event: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) }),
  status: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]),
  createdAt: Type.String(), attempts: Type.Array(Attempt), nextAttemptAt: Type.Optional(Type.String()),
});
const DeliveryDocument = Type.Object({ version: Type.Literal(1), deliveries: Type.Array(DeliveryRecord) });

export interface DispatchFiles {
  rotaStore: DocumentStore<Rota>;
  caseStore: DocumentStore<CaseDocument>;
  deliveryStore: DeliveryStore;
  archive: CaseArchive;
}

export function dispatchFiles(dataDir: string): DispatchFiles {
  const dir = join(dataDir, 'dispatch');
  const deliveries = new JsonDocument(join(dir, 'deliveries.json'), (v): v is { version: 1; deliveries: Delivery[] } => check(DeliveryDocument, v));
  return {
    rotaStore: new JsonDocument(join(dir, 'rota.json'), (v): v is Rota => check(Rota, v)),
    caseStore: new JsonDocument(join(dir, 'cases.json'), (v): v is CaseDocument => check(CaseDocument, v)),
    archive: fileCaseArchive(join(dir, 'archive')),
    deliveryStore: {
      load: async () => (await deliveries.load())?.deliveries ?? [],
      save: (all) => deliveries.save({ version: 1, deliveries: all }),
    },
  };
}

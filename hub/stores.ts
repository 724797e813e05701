/**
 * The embedded (one-box) adapters of a hub's data directory, opened together:
 * identities (provisioning), catalog (lowdb, durable), audit log, instance objects and
 * per-study indexes. Layout of DATA: identities/ catalog/ studies/ objects/ tmp/ audit/.
 * Opening runs the recovery pass (leftover upload temp files removed).
 */
import { join } from 'node:path';
import type { Clock } from '../lib/clock.ts';
import { IdentityStore } from '../provisioning/identity-store.ts';
import { JsonlAuditLog } from './audit/audit-log.ts';
import { LowdbCatalogStore } from './catalog/lowdb-store.ts';
import { StudyIndexes } from './catalog/instance-index.ts';
import { InstanceObjects } from './ingest/instance-objects.ts';

export interface HubStores {
  identities: IdentityStore;
  catalog: LowdbCatalogStore;
  audit: JsonlAuditLog;
  objects: InstanceObjects;
  indexes: StudyIndexes;
  /** Temp files removed by the recovery pass. */
  recoveredTempFiles: number;
  close(): Promise<void>;
}

export async function openHubStores(dataDir: string, clock: Clock): Promise<HubStores> {
  const identities = new IdentityStore(dataDir, () => clock.now());
  const catalog = await LowdbCatalogStore.open(join(dataDir, 'catalog'));
  const audit = new JsonlAuditLog(join(dataDir, 'audit'), clock);
  const objects = new InstanceObjects(dataDir);
  const indexes = new StudyIndexes(join(dataDir, 'studies'));
  const recoveredTempFiles = await objects.recover();
  return {
    identities,
    catalog,
    audit,
    objects,
    indexes,
    recoveredTempFiles,
    async close() {
      await indexes.close();
      await catalog.close();
      await audit.close();
    },
  };
}

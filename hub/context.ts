/**
 * What route modules receive: the hub's services, built once by buildApp from its deps.
 * (A plain object passed explicitly, no decorators or singletons.)
 */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { IdentityStore } from '../provisioning/identity-store.ts';
import type { AuditLog } from './audit/audit-log.ts';
import type { Authenticator } from './auth/authenticator.ts';
import type { LoginThrottle } from './auth/throttle.ts';
import type { StudyIndexes } from './catalog/instance-index.ts';
import type { CatalogStore } from './catalog/store.ts';
import type { FleetState } from './fleet/fleet-state.ts';
import type { IngestService } from './ingest/ingest-service.ts';
import type { InstanceObjects } from './ingest/instance-objects.ts';
import type { HubOptions } from './options.ts';
import type { KeyedMutex } from './storage/keyed-mutex.ts';
import type { TunnelBinding } from './tunnel/binding.ts';

export interface HubContext {
  clock: Clock;
  logger: Logger;
  options: HubOptions;
  identities: IdentityStore;
  auth: Authenticator;
  throttle: LoginThrottle;
  audit: AuditLog;
  catalog: CatalogStore;
  indexes: StudyIndexes;
  objects: InstanceObjects;
  studyLocks: KeyedMutex;
  ingest: IngestService;
  fleet: FleetState;
  /** The hub's WireGuard tunnel, when it runs one (agent identity bound to its tunnel address). */
  tunnel?: TunnelBinding;
  /** 'ok' while serving, 'stopping' once shutdown began. */
  state: { status: 'ok' | 'degraded' | 'stopping' };
}

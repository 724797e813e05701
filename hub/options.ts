/**
 * Tunable behaviour of a hub, with the embedded defaults. Built by the composition root from
 * CLI flags; tests pass small values. No process.env here.
 */
import type { Language } from '../protocol/common.ts';
import type { StudyStatus } from '../protocol/fleet.ts';

export interface HubOptions {
  /** Largest instance accepted by PUT /api/v1/instances (bytes). */
  maxInstanceBytes: number;
  /** Largest JSON body (a manifest of 100 000 instances is ~25 MB). */
  maxJsonBytes: number;
  /** An agent is stale after this long without a heartbeat, offline after offlineAfterMs. */
  staleAfterMs: number;
  offlineAfterMs: number;
  /** Web sessions: idle timeout and absolute lifetime. */
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** Failed sign-ins allowed per client address per window before 429. */
  loginMaxFailures: number;
  loginWindowMs: number;
  /** QIDO-RS page size cap and default. */
  qidoMaxLimit: number;
  qidoDefaultLimit: number;
  /** Studies in these statuses leave the live catalog this long after their last change. */
  archiveStatuses: StudyStatus[];
  archiveAfterMs: number;
  /** How often the archive sweep runs. */
  archiveSweepMs: number;
  /** A connection with no byte in either direction for this long is closed (stalled links). */
  idleTimeoutMs: number;
  /** How often live sockets re-check their user (sign-out, revocation, rotation end them). */
  socketRecheckMs: number;
  defaultLang: Language;
  /** Whether the session cookie gets the Secure attribute (set when served over HTTPS). */
  secureCookies: boolean;
  /** Origins allowed to read DICOMweb cross-origin with a bearer token (dicomweb/cors.ts); `*` = any. */
  dicomwebCorsOrigins: string[];
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  maxInstanceBytes: 2 * 1024 * 1024 * 1024,
  maxJsonBytes: 32 * 1024 * 1024,
  staleAfterMs: 150_000,
  offlineAfterMs: 600_000,
  sessionIdleMs: 8 * 3600_000,
  sessionMaxMs: 24 * 3600_000,
  loginMaxFailures: 5,
  loginWindowMs: 60_000,
  qidoMaxLimit: 100,
  qidoDefaultLimit: 100,
  archiveStatuses: ['delivered'],
  archiveAfterMs: 24 * 3600_000,
  archiveSweepMs: 15 * 60_000,
  idleTimeoutMs: 120_000,
  socketRecheckMs: 30_000,
  defaultLang: 'fr',
  secureCookies: false,
  dicomwebCorsOrigins: [],
};

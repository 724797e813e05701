/**
 * Test harness for the hub: a fresh data directory, the embedded stores, the dispatch engine
 * (web channel plus the channels a test passes, on the test's clock), buildApp with a silent
 * logger, two agents (A, B) and one user per role; helpers to upload a Part 10 file as an
 * agent would (headers of protocol/upload.ts) through `inject`.
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type HubApp } from '../../hub/app.ts';
import { openHubStores, type HubStores } from '../../hub/stores.ts';
import type { HubOptions } from '../../hub/options.ts';
import { createSystemClock, type Clock } from '../../lib/clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { parseDicomHeader } from '../../lib/dicom/header.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { UPLOAD_HEADERS } from '../../protocol/upload.ts';
import type { Role } from '../../provisioning/identity-schema.ts';
import { openDispatch, type OpenedDispatch } from '../../hub/dispatch/open-dispatch.ts';
import type { ChannelAdapter } from '../../hub/notify/types.ts';
import type { Rota } from '../../protocol/dispatch.ts';

export interface TestHub {
  dir: string;
  hub: HubApp;
  stores: HubStores;
  agentA: { id: string; credential: string };
  agentB: { id: string; credential: string };
  tokens: Record<Role, string>;
  dispatch: OpenedDispatch;
  close(): Promise<void>;
}

export interface TestHubOptions {
  clock?: Clock;
  options?: Partial<HubOptions>;
  /** Alert channels besides the live web one (SMS gateway simulator, SMTP sink…). */
  channels?: ChannelAdapter[];
  /** Rota set before the app is built. */
  rota?: Rota;
  /** Agent A's site (default: its id). */
  siteA?: string;
  /** Links of the radiologist and clinician users. */
  radiologistId?: string;
  clinicianSites?: string[];
}

export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const dir = await mkdtemp(join(tmpdir(), 'relais-hub-test-'));
  const clock = opts.clock ?? createSystemClock();
  const stores = await openHubStores(dir, clock);
  const a = await stores.identities.issueAgent('Site A scanner', opts.siteA ? { siteId: opts.siteA } : {});
  const b = await stores.identities.issueAgent('Site B scanner');
  const tokens = {} as Record<Role, string>;
  for (const role of ['operator', 'radiologist', 'clinician', 'admin'] as const) {
    const links = role === 'radiologist' && opts.radiologistId ? { radiologistId: opts.radiologistId } : role === 'clinician' && opts.clinicianSites ? { siteIds: opts.clinicianSites } : {};
    tokens[role] = (await stores.identities.issueUser(`${role}-user`, role, undefined, links)).token;
  }
  const dispatch = await openDispatch(dir, { clock, logger: silentLogger(), channels: opts.channels ?? [], random: () => 0.5 });
  if (opts.rota) await dispatch.engine.setRota(opts.rota);
  const hub = await buildApp({ clock, logger: silentLogger(), ...stores, dispatch, ...(opts.options ? { options: opts.options } : {}), clinical: { dataDir: dir } });
  return {
    dir,
    hub,
    stores,
    agentA: { id: a.identity.id, credential: a.credential },
    agentB: { id: b.identity.id, credential: b.credential },
    tokens,
    dispatch,
    async close() {
      await hub.close();
      await dispatch.engine.stop();
      await stores.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PreparedInstance {
  bytes: Buffer;
  sha256: string;
  sop: string;
  study: string;
  series: string;
}

export async function prepare(path: string): Promise<PreparedInstance> {
  const bytes = await readFile(path);
  const h = parseDicomHeader(bytes);
  return { bytes, sha256: sha256Hex(bytes), sop: h.sopInstanceUid, study: h.studyInstanceUid, series: h.seriesInstanceUid };
}

export function agentHeaders(credential: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${credential}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), ...extra };
}

export async function upload(
  t: TestHub,
  credential: string,
  inst: PreparedInstance,
  over: { sha256?: string; sop?: string; headers?: Record<string, string>; bytes?: Buffer } = {},
) {
  return t.hub.app.inject({
    method: 'PUT',
    url: `/api/v1/instances/${over.sop ?? inst.sop}`,
    headers: agentHeaders(credential, {
      'content-type': 'application/dicom',
      [UPLOAD_HEADERS.sha256]: over.sha256 ?? inst.sha256,
      [UPLOAD_HEADERS.studyUid]: inst.study,
      [UPLOAD_HEADERS.urgency]: 'emergency',
      ...over.headers,
    }),
    payload: over.bytes ?? inst.bytes,
  });
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Uploads an instance over HTTP to a listening hub, as an agent does; returns the HTTP status. */
export async function putInstance(url: string, credential: string, inst: PreparedInstance, urgency = 'emergency'): Promise<Response> {
  return fetch(`${url}/api/v1/instances/${inst.sop}`, {
    method: 'PUT',
    headers: agentHeaders(credential, { 'content-type': 'application/dicom', [UPLOAD_HEADERS.sha256]: inst.sha256, [UPLOAD_HEADERS.urgency]: urgency, [UPLOAD_HEADERS.studyUid]: inst.study }),
    body: new Uint8Array(inst.bytes),
  });
}

/**
 * Resumable instance upload (tus 1.0.0, creation + creation-with-upload + termination), beside
 * the v1 per-instance PUT which stays for older agents.
 *
 * - `POST /api/v1/uploads` creates an upload (`Upload-Length`, `Upload-Metadata` with the keys
 *   of TUS_METADATA, base64 per the tus spec) and may carry the first chunk; `HEAD` and `PATCH`
 *   on `/api/v1/uploads/:id` resume it. Every request carries the agent's bearer credential and
 *   `relais-protocol`, like every agent route; an upload id is bound to the agent that created
 *   it (another agent gets 403, never the offset or the bytes).
 * - When the last byte is written, the hub verifies the SHA-256 of the whole instance and hands
 *   it to the same ingest as the PUT route (same idempotency rules); the answer to that last
 *   request (201 to a POST, 200 to a PATCH) carries the UploadResult as its JSON body.
 * - `POST /api/v1/uploads/:id/commit` (UploadCommit → UploadResult) settles an upload whose
 *   last answer was lost: it ingests a complete upload, answers `duplicate` for an instance
 *   already stored with that hash, 409 for an incomplete upload, 404 for an unknown one (the
 *   agent then starts a new upload).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Uid, Sha256Hex } from './common.ts';

export const TUS_ROUTES = {
  uploads: '/api/v1/uploads',
  upload: (id: string) => `/api/v1/uploads/${encodeURIComponent(id)}`,
  commit: (id: string) => `/api/v1/uploads/${encodeURIComponent(id)}/commit`,
} as const;

/** Upload-Metadata keys (values are plain strings before the tus base64 encoding). */
export const TUS_METADATA = {
  sopInstanceUid: 'sopInstanceUid',
  studyInstanceUid: 'studyInstanceUid',
  sha256: 'sha256',
  urgency: 'urgency',
  receivedAt: 'receivedAt',
  callingAeTitle: 'callingAeTitle',
  requestId: 'requestId',
  /** Comma-separated HoldReason codes. */
  hold: 'hold',
} as const;

/** Upload ids: a 16-hex key of the owning agent, a dash, 32 random hex. */
export const TusUploadId = Type.String({ pattern: '^[0-9a-f]{16}-[0-9a-f]{32}$' });

export const UploadCommit = Type.Object({
  sopInstanceUid: Uid,
  sha256: Sha256Hex,
  studyInstanceUid: Type.Optional(Uid),
});
export type UploadCommit = Static<typeof UploadCommit>;

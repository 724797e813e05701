/**
 * Instance upload (v1): `PUT /api/v1/instances/:sopInstanceUid` with the Part 10 bytes as
 * body (`application/dicom`) and headers `relais-sha256` (hex of the body),
 * `relais-study-uid`, `relais-urgency`. The hub answers 2xx only once the bytes are durable.
 * Idempotency: same SOP instance UID and hash → `duplicate` (no-op); same UID, other hash →
 * `new-version` (kept, flagged for review).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Uid, Sha256Hex, Urgency, IsoDateTime } from './common.ts';
import { StudyMatch } from './clinical.ts';

export const UPLOAD_HEADERS = {
  sha256: 'relais-sha256',
  studyUid: 'relais-study-uid',
  urgency: 'relais-urgency',
  receivedAt: 'relais-received-at',
  callingAe: 'relais-calling-ae',
  /** The exam request this instance's study was matched to (protocol 2). */
  requestId: 'relais-request-id',
  /** Comma-separated HoldReason codes: the study is held for reconciliation (protocol 2). */
  hold: 'relais-hold',
} as const;

export const UploadStatus = Type.Union([Type.Literal('stored'), Type.Literal('duplicate'), Type.Literal('new-version')]);
export type UploadStatus = Static<typeof UploadStatus>;

export const UploadResult = Type.Object({
  status: UploadStatus,
  sopInstanceUid: Uid,
  studyInstanceUid: Uid,
  sha256: Sha256Hex,
  version: Type.Integer({ minimum: 1 }),
  storedAt: IsoDateTime,
});
export type UploadResult = Static<typeof UploadResult>;

/** Sent when the agent considers a study complete (quiet period elapsed). */
export const StudyManifest = Type.Object({
  studyInstanceUid: Uid,
  urgency: Urgency,
  callingAeTitle: Type.Optional(Type.String({ maxLength: 16 })),
  firstReceivedAt: IsoDateTime,
  lastReceivedAt: IsoDateTime,
  /** Protocol 2: the study matched to its exam request, or held for reconciliation. */
  match: Type.Optional(StudyMatch),
  instances: Type.Array(
    Type.Object({
      sopInstanceUid: Uid,
      seriesInstanceUid: Uid,
      sha256: Sha256Hex,
      size: Type.Integer({ minimum: 0 }),
    }),
    { maxItems: 100_000 },
  ),
});
export type StudyManifest = Static<typeof StudyManifest>;

export const StudyManifestAck = Type.Object({
  studyInstanceUid: Uid,
  expected: Type.Integer({ minimum: 0 }),
  received: Type.Integer({ minimum: 0 }),
  complete: Type.Boolean(),
});
export type StudyManifestAck = Static<typeof StudyManifestAck>;

/**
 * What the spool keeps beside each instance (sidecar `meta.json`, kept after upload for the
 * study manifest) and the study's manifest state. TypeBox schemas: every read
 * from disk is validated (house rule 4); nothing here identifies a patient (UIDs, AE titles,
 * modality, sizes, hashes and times only).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Uid, Sha256Hex, IsoDateTime, Urgency, HoldReason } from '../../protocol/index.ts';

/** Spool ids: base-36 receive time (sortable) + random hex. Never derived from a UID. */
export const SpoolId = Type.String({ pattern: '^[0-9a-z]{9}-[0-9a-f]{12}$' });
export type SpoolId = Static<typeof SpoolId>;

const AeTitleOrEmpty = Type.String({ maxLength: 16, pattern: '^[\\x20-\\x5b\\x5d-\\x7e]*$' });

export const InstanceRecord = Type.Object({
  v: Type.Literal(1),
  id: SpoolId,
  sopInstanceUid: Uid,
  sopClassUid: Uid,
  studyInstanceUid: Uid,
  seriesInstanceUid: Uid,
  transferSyntaxUid: Uid,
  /** SHA-256 (hex) of the whole Part 10 file as stored (the upload body). */
  sha256: Sha256Hex,
  /** Size in bytes of the whole Part 10 file. */
  size: Type.Integer({ minimum: 0 }),
  receivedAt: IsoDateTime,
  callingAeTitle: AeTitleOrEmpty,
  calledAeTitle: AeTitleOrEmpty,
  modality: Type.Optional(Type.String({ maxLength: 16 })),
  urgency: Urgency,
  /** The exam request this instance's study was matched to at intake. */
  requestId: Type.Optional(Type.String({ maxLength: 64 })),
  /** The study is held for reconciliation, for these reasons. */
  hold: Type.Optional(Type.Array(HoldReason, { maxItems: 10 })),
  /**
   * Set once the agent replaced data.dcm by its verified lossless transcoding (agent/compress):
   * the syntax, SHA-256 and size of the file as the modality sent it. `transferSyntaxUid`,
   * `sha256` and `size` above then describe the compressed file (the upload body).
   */
  original: Type.Optional(Type.Object({ transferSyntaxUid: Uid, sha256: Sha256Hex, size: Type.Integer({ minimum: 0 }) })),
});
export type InstanceRecord = Static<typeof InstanceRecord>;

/** studies/<key>.json: the last manifest the hub accepted (or refused for good). */
export const ManifestState = Type.Object({
  v: Type.Literal(1),
  studyInstanceUid: Uid,
  /** receivedAt of the newest instance the posted manifest covered. */
  coversReceivedUntil: IsoDateTime,
  instances: Type.Integer({ minimum: 0 }),
  postedAt: IsoDateTime,
  outcome: Type.Union([Type.Literal('accepted'), Type.Literal('refused')]),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
});
export type ManifestState = Static<typeof ManifestState>;

/** queue/<id>/reason.json: why an instance is being moved to quarantine. */
export const QuarantineReason = Type.Object({
  v: Type.Literal(1),
  code: Type.String({ maxLength: 64 }),
  message: Type.String({ maxLength: 500 }),
  at: IsoDateTime,
});
export type QuarantineReason = Static<typeof QuarantineReason>;

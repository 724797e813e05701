/** Heartbeat: what an agent tells the hub about itself, every `heartbeatSeconds`. */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId, IsoDateTime, Urgency, AeTitle } from './common.ts';

export const LaneState = Type.Object({
  lane: Urgency,
  instances: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  oldestAgeSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  bytesPerSecond: Type.Number({ minimum: 0 }),
  etaSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
});
export type LaneState = Static<typeof LaneState>;

export const QueueState = Type.Object({
  studies: Type.Integer({ minimum: 0 }),
  instances: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  oldestUnsentAgeSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  quarantined: Type.Integer({ minimum: 0 }),
  lanes: Type.Optional(Type.Array(LaneState)),
});
export type QueueState = Static<typeof QueueState>;

export const TunnelState = Type.Object({
  interface: Type.String({ maxLength: 15 }),
  latestHandshakeAgeSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  rxBytes: Type.Integer({ minimum: 0 }),
  txBytes: Type.Integer({ minimum: 0 }),
  endpoint: Type.Union([Type.String({ maxLength: 80 }), Type.Null()]),
});
export type TunnelState = Static<typeof TunnelState>;

export const Heartbeat = Type.Object({
  agentId: AgentId,
  agentVersion: Type.String({ maxLength: 40 }),
  protocolVersion: Type.Integer({ minimum: 1 }),
  sentAt: IsoDateTime,
  uptimeSeconds: Type.Number({ minimum: 0 }),
  queue: QueueState,
  disk: Type.Object({ freeBytes: Type.Integer({ minimum: 0 }), totalBytes: Type.Integer({ minimum: 0 }) }),
  lastUploadAt: Type.Union([IsoDateTime, Type.Null()]),
  dicom: Type.Object({
    aeTitle: AeTitle,
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    activeAssociations: Type.Integer({ minimum: 0 }),
  }),
  alerts: Type.Array(Type.Object({ code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 500 }), since: IsoDateTime }), { maxItems: 50 }),
  tunnel: Type.Optional(TunnelState),
});
export type Heartbeat = Static<typeof Heartbeat>;

export const HeartbeatAck = Type.Object({
  receivedAt: IsoDateTime,
  /** Hub time minus agent `sentAt`, for clock-skew detection on the agent side. */
  clockOffsetMs: Type.Number(),
  /** v2: the operator asked for a new tunnel key (`relais provision site rotate`). */
  rotateTunnelKey: Type.Optional(Type.Boolean()),
});
export type HeartbeatAck = Static<typeof HeartbeatAck>;

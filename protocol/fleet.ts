/**
 * Live fleet view: what the hub pushes to operator pages over socket.io (namespace `/fleet`).
 * Server → client events carry whole views (idempotent, last one wins); the client asks for
 * a snapshot on connect. Auth: the socket handshake carries the user's session cookie or
 * bearer token; unauthenticated sockets are refused.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId, IsoDateTime, Urgency, Uid } from './common.ts';
import { Heartbeat } from './heartbeat.ts';
import { CaseState, DeadlineStatus, Text2 } from './dispatch.ts';

export const AgentStatus = Type.Union([Type.Literal('online'), Type.Literal('stale'), Type.Literal('offline'), Type.Literal('never-seen')]);
export type AgentStatus = Static<typeof AgentStatus>;

export const AgentView = Type.Object({
  agentId: AgentId,
  name: Type.String(),
  status: AgentStatus,
  lastSeenAt: Type.Union([IsoDateTime, Type.Null()]),
  heartbeat: Type.Union([Heartbeat, Type.Null()]),
  tunnelUp: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  clockSkewMs: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});
export type AgentView = Static<typeof AgentView>;

export const StudyStatus = Type.Union([
  Type.Literal('receiving'),
  Type.Literal('complete'),
  Type.Literal('assigned'),
  Type.Literal('acknowledged'),
  Type.Literal('reported'),
  Type.Literal('delivered'),
  Type.Literal('held'),
]);
export type StudyStatus = Static<typeof StudyStatus>;

export const StudyCase = Type.Object({
  caseId: Type.String(),
  reference: Type.String(),
  state: CaseState,
  deadlineAt: IsoDateTime,
  deadlineStatus: DeadlineStatus,
  assigneeName: Type.Optional(Type.String()),
  explanation: Type.Optional(Text2),
});
export type StudyCase = Static<typeof StudyCase>;

export const StudyView = Type.Object({
  studyInstanceUid: Uid,
  agentId: AgentId,
  status: StudyStatus,
  urgency: Urgency,
  modalities: Type.Array(Type.String()),
  instancesReceived: Type.Integer({ minimum: 0 }),
  instancesExpected: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  bytesReceived: Type.Integer({ minimum: 0 }),
  firstReceivedAt: IsoDateTime,
  updatedAt: IsoDateTime,
  flags: Type.Array(Type.String()),
  previews: Type.Optional(Type.Array(Type.String())),
  /** When every instance of the agent's manifest was at the hub (the status may have moved on to the case's). */
  completedAt: Type.Optional(Type.Union([IsoDateTime, Type.Null()])),
  /** The study's dispatch case: where it stands and why (« assigné à … »). No patient data. */
  case: Type.Optional(StudyCase),
});
export type StudyView = Static<typeof StudyView>;

export const FleetSnapshot = Type.Object({
  agents: Type.Array(AgentView),
  studies: Type.Array(StudyView),
  serverTime: IsoDateTime,
});
export type FleetSnapshot = Static<typeof FleetSnapshot>;

export interface FleetServerToClient {
  snapshot: (s: FleetSnapshot) => void;
  'agent:update': (a: AgentView) => void;
  'study:update': (s: StudyView) => void;
}

export interface FleetClientToServer {
  'snapshot:get': (ack: (s: FleetSnapshot) => void) => void;
}

export const FLEET_NAMESPACE = '/fleet';

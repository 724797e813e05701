/**
 * The store-and-forward message channel between the hub and each agent, both ways.
 *
 * The site opens every connection (through the tunnel):
 * - agent → hub: `POST /api/v1/channel/messages` with a batch of envelopes of one stream, in
 *   sequence order. The hub handles each message (durably) in order and answers which ones it
 *   took: `acceptedUpTo` is the highest sequence number handled or recognised as a duplicate;
 *   a message the hub refuses for good (invalid, not this agent's) is `rejected` and consumed
 *   (the agent keeps it aside and raises an alert) so one bad message never blocks the stream.
 * - hub → agent: `GET /api/v1/channel/inbox?stream=S&after=N&waitMs=W` long-polls for the
 *   messages of the agent's hub stream after N. `after` is the cumulative acknowledgement: the
 *   agent asks for more only once it has stored every message up to N durably, and the hub
 *   drops them then. A different `stream` (the hub lost its outbox) restarts at 0.
 *
 * Delivery is at least once, in order per agent and direction. Every message carries an `id`
 * (idempotency key) and receivers apply each message idempotently; a stream id plus a sequence
 * number lets each side detect duplicates and a reset of the other side's state.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDateTime, Uid } from './common.ts';
import { ExamRequest, ProtocolAnswer, ReportId, RequestId, SignedReport } from './clinical.ts';

export const CHANNEL_ROUTES = {
  messages: '/api/v1/channel/messages',
  inbox: '/api/v1/channel/inbox',
} as const;

export const StreamId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{7,63}$' });
export const MessageId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' });
export const Seq = Type.Integer({ minimum: 1 });

/** Longest wait a long poll may ask for. */
export const MAX_POLL_WAIT_MS = 30_000;

// ---- agent → hub ------------------------------------------------------------------------------

export const ExamRequestMessage = Type.Object({ type: Type.Literal('exam-request'), request: ExamRequest }, { additionalProperties: false });
export const ExamRequestCancelMessage = Type.Object(
  { type: Type.Literal('exam-request-cancel'), requestId: RequestId, reason: Type.String({ minLength: 3, maxLength: 1000 }), cancelledAt: IsoDateTime },
  { additionalProperties: false },
);
export const ReportDeliveredMessage = Type.Object(
  {
    type: Type.Literal('report-delivered'),
    reportId: ReportId,
    requestId: Type.Optional(RequestId),
    studyInstanceUid: Uid,
    deliveredAt: IsoDateTime,
    destinationAeTitle: Type.String({ maxLength: 16 }),
    objects: Type.Array(Type.Object({ sopClassUid: Uid, sopInstanceUid: Uid }, { additionalProperties: false }), { minItems: 1, maxItems: 10 }),
  },
  { additionalProperties: false },
);
/** The agent will not deliver this report (its identity disagrees with the study's): a human must look. */
export const ReportUndeliverableMessage = Type.Object(
  { type: Type.Literal('report-undeliverable'), reportId: ReportId, studyInstanceUid: Uid, code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 500 }), at: IsoDateTime },
  { additionalProperties: false },
);

export const AgentMessage = Type.Union([ExamRequestMessage, ExamRequestCancelMessage, ReportDeliveredMessage, ReportUndeliverableMessage]);
export type AgentMessage = Static<typeof AgentMessage>;
export type AgentMessageType = AgentMessage['type'];

export const AgentEnvelope = Type.Object(
  { seq: Seq, id: MessageId, createdAt: IsoDateTime, body: Type.Unknown() },
  { additionalProperties: false },
);
export type AgentEnvelope = Static<typeof AgentEnvelope>;

export const AgentMessageBatch = Type.Object({ streamId: StreamId, messages: Type.Array(AgentEnvelope, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });
export type AgentMessageBatch = Static<typeof AgentMessageBatch>;

export const MessageResult = Type.Object({
  seq: Seq,
  id: MessageId,
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('rejected')]),
  code: Type.Optional(Type.String({ maxLength: 64 })),
  message: Type.Optional(Type.String({ maxLength: 500 })),
});
export type MessageResult = Static<typeof MessageResult>;

export const AgentMessageBatchAck = Type.Object({
  streamId: StreamId,
  /** Every message up to this sequence number is handled (0: none yet). */
  acceptedUpTo: Type.Integer({ minimum: 0 }),
  results: Type.Array(MessageResult),
});
export type AgentMessageBatchAck = Static<typeof AgentMessageBatchAck>;

// ---- hub → agent ------------------------------------------------------------------------------

export const ProtocolAnswerMessage = Type.Object({ type: Type.Literal('protocol-answer'), answer: ProtocolAnswer }, { additionalProperties: false });
/** A request created on the hub's side, for the site's worklist (the site did not create it). */
export const WorklistEntryMessage = Type.Object({ type: Type.Literal('worklist-entry'), request: ExamRequest, answer: Type.Optional(ProtocolAnswer) }, { additionalProperties: false });
export const ReportMessage = Type.Object({ type: Type.Literal('report'), report: SignedReport }, { additionalProperties: false });
export const ReportObjectKind = Type.Union([Type.Literal('pdf'), Type.Literal('sr')]);
export type ReportObjectKind = Static<typeof ReportObjectKind>;
export const AgentSettings = Type.Object(
  {
    /** Which DICOM objects a report becomes in the site PACS. */
    reportObjects: Type.Optional(Type.Array(ReportObjectKind, { minItems: 1, maxItems: 2 })),
  },
  { additionalProperties: false },
);
export type AgentSettings = Static<typeof AgentSettings>;
export const ConfigMessage = Type.Object({ type: Type.Literal('config'), version: Type.Integer({ minimum: 1 }), settings: AgentSettings }, { additionalProperties: false });

export const HubMessage = Type.Union([ProtocolAnswerMessage, WorklistEntryMessage, ReportMessage, ConfigMessage]);
export type HubMessage = Static<typeof HubMessage>;
export type HubMessageType = HubMessage['type'];

export const HubEnvelope = Type.Object({ seq: Seq, id: MessageId, createdAt: IsoDateTime, body: HubMessage }, { additionalProperties: false });
export type HubEnvelope = Static<typeof HubEnvelope>;

export const InboxPage = Type.Object({
  streamId: StreamId,
  messages: Type.Array(HubEnvelope),
  /** More messages are waiting beyond this page (ask again at once). */
  more: Type.Boolean(),
});
export type InboxPage = Static<typeof InboxPage>;

export const InboxQuery = Type.Object({
  stream: Type.Optional(StreamId),
  after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  waitMs: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
});

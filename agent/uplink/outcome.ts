/**
 * Outcome of one export step (an upload, a manifest), in the OK / RETRY / FAIL terms of RSNA
 * CTP and Orthanc's jobs, decided from the hub's answer (pure).
 *
 * - OK: a 2xx whose body validates and matches what was sent (for an instance: same SOP
 *   Instance UID and SHA-256). Only then may the agent drop its copy.
 * - FAIL (quarantine + alert): the hub refused the content itself, with a non-retryable code
 *   of the upload family or an invalid-message code.
 * - RETRY (backoff, forever): everything else — no answer, 5xx, 429, a retryable code, and
 *   also answers a human must fix while the data stays queued: authentication (401/403),
 *   protocol version (426), unknown route (404: wrong hub URL), and any 2xx we cannot read.
 *   `linkDown` marks failures of the link or the hub as a whole (all sending pauses), as
 *   opposed to a failure of this one item.
 */
import { ErrorBody, UploadResult, StudyManifestAck, HeartbeatAck, check, isRetryableStatus } from '../../protocol/index.ts';
import type { TSchema, Static } from '@sinclair/typebox';
import type { HubReply } from './hub-client.ts';
import { HubUnreachableError } from './hub-client.ts';

export type AlertKind = 'auth' | 'protocol' | 'link' | 'hub-answer';

export type ExportOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'retry'; code: string; message: string; linkDown: boolean; alert?: AlertKind }
  | { kind: 'fail'; code: string; message: string };

/** Codes with which the hub refuses content for good (the instance goes to quarantine). */
const CONTENT_REFUSALS = new Set(['RELAIS_UPLOAD_NOT_DICOM', 'RELAIS_UPLOAD_UID_MISMATCH', 'RELAIS_UPLOAD_TOO_LARGE', 'RELAIS_PROTOCOL_INVALID_MESSAGE', 'RELAIS_BAD_REQUEST']);

const LINK_STATUSES = new Set([0, 429, 502, 503, 504, 507]);

export function classifyError(err: unknown): ExportOutcome<never> {
  if (err instanceof HubUnreachableError) {
    return { kind: 'retry', code: 'RELAIS_NETWORK_UNREACHABLE', message: `${err.code}: ${err.message}`.slice(0, 300), linkDown: true, alert: 'link' };
  }
  return { kind: 'retry', code: 'RELAIS_INTERNAL', message: (err as Error)?.message ?? String(err), linkDown: false };
}

function classifyNon2xx(reply: HubReply): ExportOutcome<never> {
  const { status } = reply;
  const body = check(ErrorBody, reply.body) ? reply.body.error : undefined;
  const code = body?.code ?? `HTTP_${status}`;
  const message = (body?.message ?? `hub answered HTTP ${status}`).slice(0, 300);
  if (status === 401 || status === 403 || (code.startsWith('RELAIS_AUTH_') && code !== 'RELAIS_AUTH_THROTTLED')) {
    return { kind: 'retry', code, message, linkDown: true, alert: 'auth' };
  }
  if (status === 426 || code === 'RELAIS_PROTOCOL_UNSUPPORTED') return { kind: 'retry', code, message, linkDown: true, alert: 'protocol' };
  if (body && !body.retryable && CONTENT_REFUSALS.has(code)) return { kind: 'fail', code, message };
  if (LINK_STATUSES.has(status)) return { kind: 'retry', code, message, linkDown: true, alert: 'link' };
  if (body?.retryable || isRetryableStatus(status)) return { kind: 'retry', code, message, linkDown: false };
  // Not retryable by the book, but not a verdict on the content either (404 on a wrong hub
  // URL, 405, a proxy's error page...): keep the data and tell a human.
  return { kind: 'retry', code, message, linkDown: true, alert: 'hub-answer' };
}

function classifyJson<S extends TSchema>(schema: S, reply: HubReply, accept: (v: Static<S>) => string | undefined): ExportOutcome<Static<S>> {
  if (reply.status < 200 || reply.status > 299) return classifyNon2xx(reply);
  if (!check(schema, reply.body)) {
    return { kind: 'retry', code: 'RELAIS_PROTOCOL_INVALID_MESSAGE', message: 'the hub answered 2xx with a body that does not match the protocol', linkDown: true, alert: 'hub-answer' };
  }
  const mismatch = accept(reply.body);
  if (mismatch) return { kind: 'retry', code: 'RELAIS_PROTOCOL_INVALID_MESSAGE', message: mismatch, linkDown: false, alert: 'hub-answer' };
  return { kind: 'ok', value: reply.body };
}

export function classifyUpload(reply: HubReply, sent: { sopInstanceUid: string; sha256: string }): ExportOutcome<UploadResult> {
  return classifyJson(UploadResult, reply, (r) => {
    if (r.sopInstanceUid !== sent.sopInstanceUid) return 'the hub acknowledged another SOP instance';
    if (r.sha256 !== sent.sha256) return 'the hub acknowledged other bytes (SHA-256 differs)';
    return undefined;
  });
}

export function classifyManifest(reply: HubReply, studyInstanceUid: string): ExportOutcome<StudyManifestAck> {
  return classifyJson(StudyManifestAck, reply, (a) => (a.studyInstanceUid === studyInstanceUid ? undefined : 'the hub acknowledged another study'));
}

export function classifyHeartbeat(reply: HubReply): ExportOutcome<HeartbeatAck> {
  return classifyJson(HeartbeatAck, reply, () => undefined);
}

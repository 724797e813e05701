/**
 * HTTP routes between agent and hub (v1). Agent requests carry
 * `authorization: Bearer <agent credential>` and `relais-protocol: <PROTOCOL_VERSION>`;
 * errors come back as `ErrorBody` with a code from errors.ts.
 *
 * | method | path                                         | body / answer                          |
 * | ------ | -------------------------------------------- | -------------------------------------- |
 * | GET    | /api/v1/health                               | → HealthStatus (no auth)               |
 * | PUT    | /api/v1/instances/:sopInstanceUid            | application/dicom → UploadResult       |
 * | POST   | /api/v1/studies/:studyInstanceUid/manifest   | StudyManifest → StudyManifestAck       |
 * | POST   | /api/v1/agents/heartbeat                     | Heartbeat → HeartbeatAck               |
 * | POST   | /api/v1/agents/tunnel-key                    | TunnelKeyRotation → …Ack (enrolment.ts) |
 * Enrolment (`/enrol/v1`, outside the tunnel, pinned HTTPS): see enrolment.ts.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ROUTES = {
  health: '/api/v1/health',
  instance: (sopInstanceUid: string) => `/api/v1/instances/${encodeURIComponent(sopInstanceUid)}`,
  manifest: (studyInstanceUid: string) => `/api/v1/studies/${encodeURIComponent(studyInstanceUid)}/manifest`,
  heartbeat: '/api/v1/agents/heartbeat',
} as const;

export const HealthStatus = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('stopping')]),
  version: Type.String(),
  protocolVersion: Type.Integer(),
});
export type HealthStatus = Static<typeof HealthStatus>;

/**
 * Protocol version spoken between agent and hub. Every agent request carries it in the
 * `relais-protocol` header; the hub refuses versions outside [MIN_SUPPORTED, PROTOCOL_VERSION]
 * with RELAIS_PROTOCOL_UNSUPPORTED (HTTP 426).
 *
 * History (dated, newest last). Add a line for every change of a message's shape.
 * - 1 (2026-11-23): enrolment by credential, heartbeat, instance upload, study manifest, errors.
 * - 2 (2026-11-23): store-and-forward message channel both ways (messages.ts: exam requests,
 *   protocol answers, worklist entries, reports, delivery confirmations, configuration);
 *   instance upload headers `relais-request-id` / `relais-hold` and manifest `match` (a study
 *   matched to its request, or held for reconciliation); WireGuard enrolment (token,
 *   /enrol/v1, tunnel reset), tunnel key rotation (`HeartbeatAck.rotateTunnelKey`,
 *   POST /api/v1/agents/tunnel-key), enrolment and tunnel error codes. Version 1 agents stay
 *   supported.
 */
export const PROTOCOL_VERSION = 2;
export const MIN_SUPPORTED_PROTOCOL_VERSION = 1;
export const PROTOCOL_HEADER = 'relais-protocol';

export const PROTOCOL_HISTORY: ReadonlyArray<{ version: number; date: string; change: string }> = [
  { version: 1, date: '2026-11-23', change: 'enrolment by credential, heartbeat, instance upload, study manifest, errors' },
  { version: 2, date: '2026-11-23', change: 'message channel both ways (requests, protocol answers, worklist entries, reports, delivery confirmations, config); upload request id / hold headers and manifest match; WireGuard enrolment (token, /enrol/v1, tunnel reset), tunnel key rotation, enrolment and tunnel error codes' },
];

/** Parses a header value; undefined when absent or not an integer. */
export function parseProtocolVersion(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || !/^[0-9]{1,6}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

export function isSupportedProtocolVersion(v: number | undefined): boolean {
  return v !== undefined && v >= MIN_SUPPORTED_PROTOCOL_VERSION && v <= PROTOCOL_VERSION;
}

/**
 * The agent's HTTP client for the hub's v1 routes (protocol/routes.ts), over node:http(s) with
 * keep-alive. Every request carries `authorization: Bearer <credential>` and `relais-protocol`.
 *
 * Contract: resolves with the status and the parsed JSON body (undefined if not JSON) of any
 * HTTP answer, 2xx or not; rejects with HubUnreachableError when no answer came (refused,
 * reset, timeout, DNS, TLS) or the caller aborted. Instance bodies are streamed from disk with
 * their exact `content-length`; answers larger than 1 MiB are cut (and read as no body).
 * This is the small interface a later issue replaces with chunked, resumable, parallel uploads.
 */
import http from 'node:http';
import https from 'node:https';
import { createReadStream } from 'node:fs';
import { PROTOCOL_HEADER, PROTOCOL_VERSION, ROUTES, UPLOAD_HEADERS } from '../../protocol/index.ts';
import type { Urgency } from '../../protocol/index.ts';

export interface HubReply {
  status: number;
  body: unknown;
}

export interface InstanceUpload {
  path: string;
  size: number;
  sopInstanceUid: string;
  studyInstanceUid: string;
  sha256: string;
  urgency: Urgency;
  receivedAt: string;
  callingAeTitle: string;
  /** Protocol 2: the study's request, or why it is held. */
  requestId?: string | undefined;
  hold?: readonly string[] | undefined;
}

/** The port the uplink and heartbeat talk to; tests may implement it in memory. */
export interface HubClient {
  putInstance(upload: InstanceUpload, signal?: AbortSignal): Promise<HubReply>;
  postJson(path: string, body: unknown, signal?: AbortSignal): Promise<HubReply>;
  close(): void;
}

export class HubUnreachableError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HubUnreachableError';
    this.code = code;
  }
}

export interface HttpHubClientOptions {
  baseUrl: string;
  credential: string;
  userAgent: string;
  /** Socket idle timeout per request, ms. */
  timeoutMs: number;
  maxSockets: number;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

export function createHttpHubClient(opts: HttpHubClientOptions): HubClient {
  const base = new URL(opts.baseUrl);
  const secure = base.protocol === 'https:';
  const lib = secure ? https : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
  const basePath = base.pathname.replace(/\/+$/, '');

  const commonHeaders = (): Record<string, string> => ({
    authorization: `Bearer ${opts.credential}`,
    [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
    'user-agent': opts.userAgent,
    accept: 'application/json',
  });

  function request(method: string, path: string, headers: Record<string, string>, send: (req: http.ClientRequest) => void, signal?: AbortSignal): Promise<HubReply> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new HubUnreachableError('ABORTED', 'request aborted'));
      const req = lib.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port || (secure ? 443 : 80),
          method,
          path: `${basePath}${path}`,
          headers,
          agent,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(c);
          });
          res.on('end', () => {
            let body: unknown;
            if (size <= MAX_ANSWER_BYTES && size > 0) {
              try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                body = undefined;
              }
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
          res.on('error', (err) => reject(unreachable(err)));
        },
      );
      req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(unreachable(err)));
      send(req);
    });
  }

  return {
    putInstance(u, signal) {
      const headers: Record<string, string> = {
        ...commonHeaders(),
        'content-type': 'application/dicom',
        'content-length': String(u.size),
        [UPLOAD_HEADERS.sha256]: u.sha256,
        [UPLOAD_HEADERS.studyUid]: u.studyInstanceUid,
        [UPLOAD_HEADERS.urgency]: u.urgency,
        [UPLOAD_HEADERS.receivedAt]: u.receivedAt,
      };
      if (u.callingAeTitle) headers[UPLOAD_HEADERS.callingAe] = u.callingAeTitle;
      if (u.requestId) headers[UPLOAD_HEADERS.requestId] = u.requestId;
      if (u.hold && u.hold.length > 0) headers[UPLOAD_HEADERS.hold] = u.hold.join(',');
      return request('PUT', ROUTES.instance(u.sopInstanceUid), headers, (req) => {
        const file = createReadStream(u.path, { highWaterMark: 1024 * 1024 });
        file.on('error', (err) => req.destroy(err));
        file.pipe(req);
      }, signal);
    },
    postJson(path, body, signal) {
      const payload = Buffer.from(JSON.stringify(body));
      const headers = { ...commonHeaders(), 'content-type': 'application/json', 'content-length': String(payload.length) };
      return request('POST', path, headers, (req) => req.end(payload), signal);
    },
    close() {
      agent.destroy();
    },
  };
}

function unreachable(err: unknown): HubUnreachableError {
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'AbortError') return new HubUnreachableError('ABORTED', 'request aborted');
  return new HubUnreachableError(e?.code ?? 'ECONNRESET', e?.message ?? String(err));
}

/**
 * A small recording hub for agent tests: implements the v1 agent routes of protocol/routes.ts
 * on node:http (health, instance PUT, study manifest, heartbeat), checks what a real hub checks
 * (bearer credential, protocol version, SHA-256 of the body, SOP Instance UID of the Part 10
 * meta, message schemas) and keeps everything in memory for assertions.
 * Faults are injected for real: `failNext` answers the next requests with an error status,
 * `setDown(true)` resets every connection, `setHold(true)` keeps answers until released.
 * (The real hub lives in hub/; integration tests switch to it once both are merged.)
 */
import http from 'node:http';
import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  UPLOAD_HEADERS,
  Heartbeat,
  StudyManifest,
  check,
  errorBody,
  parseProtocolVersion,
  isSupportedProtocolVersion,
  type ErrorCode,
  type UploadResult,
} from '../../protocol/index.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';

export interface StoredInstance {
  sopInstanceUid: string;
  studyInstanceUid: string;
  urgency: string;
  sha256: string;
  bytes: Buffer;
  versions: number;
  puts: number;
  /** Every distinct version received, oldest first. */
  history: Buffer[];
}

interface Fault {
  remaining: number;
  status: number;
  code?: ErrorCode;
  routes: 'all' | 'instances';
}

export interface HubSinkEvents {
  instance: [StoredInstance];
  manifest: [StudyManifest];
  heartbeat: [Heartbeat];
  request: [string, string];
}

export class HubSink {
  /** Credential agents must present; tests may change it (revocation, rotation). */
  credential: string;
  readonly instances = new Map<string, StoredInstance>();
  readonly manifests = new Map<string, StudyManifest>();
  readonly heartbeats: Heartbeat[] = [];
  readonly events = new EventEmitter<HubSinkEvents>();
  /** Counts of answered requests by status. */
  readonly statuses = new Map<number, number>();
  #server: http.Server;
  #faults: Fault[] = [];
  #down = false;
  #hold = false;
  #delayMs = 0;
  #held: Array<() => void> = [];
  #url = '';

  constructor(credential = 'test-credential') {
    this.credential = credential;
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 1_000;
  }

  get url(): string {
    return this.#url;
  }

  async listen(port = 0): Promise<string> {
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server, 'listening');
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.#url;
  }

  async close(): Promise<void> {
    this.releaseHeld();
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  /** Answers the next `count` requests (of `routes`) with `status` (and an ErrorBody if `code`). */
  failNext(count: number, status: number, code?: ErrorCode, routes: 'all' | 'instances' = 'all'): void {
    this.#faults.push({ remaining: count, status, routes, ...(code ? { code } : {}) });
  }

  /** While down, every connection is reset without an answer. */
  setDown(down: boolean): void {
    this.#down = down;
    if (down) this.#server.closeAllConnections();
  }

  /** Makes every instance answer wait `ms` (a slow hub or link; fault injection, not sync). */
  setDelay(ms: number): void {
    this.#delayMs = ms;
  }

  /** While held, instance answers wait (the body is read and stored first). */
  setHold(hold: boolean): void {
    this.#hold = hold;
    if (!hold) this.releaseHeld();
  }

  releaseHeld(): void {
    const held = this.#held;
    this.#held = [];
    for (const f of held) f();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.#down) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://sink');
    const path = url.pathname;
    this.events.emit('request', req.method ?? '', path);
    const send = (status: number, body: unknown) => {
      this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const fail = (status: number, code: ErrorCode, message?: string) => send(status, errorBody(code, message));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);

    if (req.method === 'GET' && path === '/api/v1/health') return send(200, { status: 'ok', version: 'sink', protocolVersion: PROTOCOL_VERSION });
    const fault = this.#faults.find((f) => f.remaining > 0 && (f.routes === 'all' || path.startsWith('/api/v1/instances/')));
    if (fault) {
      fault.remaining--;
      return fault.code ? fail(fault.status, fault.code) : send(fault.status, { oops: true });
    }
    if (req.headers.authorization !== `Bearer ${this.credential}`) return fail(401, req.headers.authorization ? 'RELAIS_AUTH_INVALID' : 'RELAIS_AUTH_MISSING');
    if (!isSupportedProtocolVersion(parseProtocolVersion(req.headers[PROTOCOL_HEADER]))) return fail(426, 'RELAIS_PROTOCOL_UNSUPPORTED');

    const instance = /^\/api\/v1\/instances\/([^/]+)$/.exec(path);
    if (req.method === 'PUT' && instance) {
      const sop = decodeURIComponent(instance[1]!);
      const sha = String(req.headers[UPLOAD_HEADERS.sha256] ?? '');
      const studyUid = String(req.headers[UPLOAD_HEADERS.studyUid] ?? '');
      if (sha256Hex(body) !== sha) return fail(422, 'RELAIS_UPLOAD_HASH_MISMATCH');
      let metaSop: string;
      try {
        metaSop = parseFileMeta(body).mediaStorageSopInstanceUid;
      } catch {
        return fail(422, 'RELAIS_UPLOAD_NOT_DICOM');
      }
      if (metaSop !== sop) return fail(422, 'RELAIS_UPLOAD_UID_MISMATCH');
      const existing = this.instances.get(sop);
      let status: UploadResult['status'] = 'stored';
      let stored: StoredInstance;
      if (existing && existing.sha256 === sha) {
        status = 'duplicate';
        existing.puts++;
        stored = existing;
      } else {
        if (existing) status = 'new-version';
        stored = {
          sopInstanceUid: sop,
          studyInstanceUid: studyUid,
          urgency: String(req.headers[UPLOAD_HEADERS.urgency] ?? ''),
          sha256: sha,
          bytes: body,
          versions: (existing?.versions ?? 0) + 1,
          puts: (existing?.puts ?? 0) + 1,
          history: [...(existing?.history ?? []), body],
        };
        this.instances.set(sop, stored);
      }
      const result: UploadResult = {
        status,
        sopInstanceUid: sop,
        studyInstanceUid: studyUid,
        sha256: sha,
        version: stored.versions,
        storedAt: new Date().toISOString(),
      };
      this.events.emit('instance', stored);
      if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
      if (this.#hold) await new Promise<void>((r) => this.#held.push(r));
      return send(status === 'stored' ? 201 : 200, result);
    }

    const manifest = /^\/api\/v1\/studies\/([^/]+)\/manifest$/.exec(path);
    if (req.method === 'POST' && manifest) {
      const parsed = parseJson(body);
      if (!check(StudyManifest, parsed) || parsed.studyInstanceUid !== decodeURIComponent(manifest[1]!)) return fail(400, 'RELAIS_PROTOCOL_INVALID_MESSAGE');
      this.manifests.set(parsed.studyInstanceUid, parsed);
      const received = parsed.instances.filter((i) => this.instances.get(i.sopInstanceUid)?.sha256 === i.sha256).length;
      this.events.emit('manifest', parsed);
      return send(200, { studyInstanceUid: parsed.studyInstanceUid, expected: parsed.instances.length, received, complete: received === parsed.instances.length });
    }

    if (req.method === 'POST' && path === '/api/v1/agents/heartbeat') {
      const parsed = parseJson(body);
      if (!check(Heartbeat, parsed)) return fail(400, 'RELAIS_PROTOCOL_INVALID_MESSAGE');
      this.heartbeats.push(parsed);
      this.events.emit('heartbeat', parsed);
      return send(200, { receivedAt: new Date().toISOString(), clockOffsetMs: Date.now() - Date.parse(parsed.sentAt) });
    }
    return fail(404, 'RELAIS_NOT_FOUND');
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

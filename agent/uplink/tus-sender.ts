/**
 * Sends one spooled instance to the hub over tus (protocol/resumable.ts) with tus-js-client,
 * resuming from the hub's durable offset when a URL for the same bytes is in the resume store.
 *
 * Contract:
 * - resolves with a HubReply (status and JSON body) that `classifyUpload` judges: the
 *   UploadResult of the last tus request, or of the commit route when that answer was lost
 *   (an upload the hub already has complete, or already ingested and removed);
 * - rejects with HubUnreachableError when no answer came (reset, refused, stall longer than
 *   `timeoutMs` without progress, or the caller aborted: code ABORTED); any HTTP refusal
 *   resolves with its status and ErrorBody;
 * - creation carries the first chunk (creation-with-upload: a small instance costs one round
 *   trip); larger instances go in `chunkSize` PATCHes; the upload URL is stored durably as soon
 *   as the creation is answered, and forgotten when the hub no longer knows it (the next
 *   attempt creates a new upload) or when the instance is settled;
 * - tus-js-client's own retries are off: the export queue owns backoff, lanes and pre-emption.
 */
import http from 'node:http';
import https from 'node:https';
import { createReadStream } from 'node:fs';
import { Upload, DefaultHttpStack, DetailedError } from 'tus-js-client';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/index.ts';
import { TUS_METADATA, TUS_ROUTES } from '../../protocol/resumable.ts';
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import { HubUnreachableError, type HubClient, type HubReply, type InstanceUpload } from './hub-client.ts';
import type { ResumeStore } from './resume-store.ts';

export interface SendProgress {
  /** Bytes written to the network in this attempt so far (resends included). */
  sent: number;
  /** Bytes the hub acknowledged durably for this instance (its offset). */
  accepted: number;
}

export interface ResumableSender {
  send(u: InstanceUpload & { spoolId: string }, opts: { signal: AbortSignal; onProgress?: (p: SendProgress, deltaSent: number) => void }): Promise<HubReply>;
}

export interface TusSenderOptions {
  baseUrl: string;
  credential: string;
  userAgent: string;
  chunkSize: number;
  /** Abort an attempt that made no progress for this long. */
  timeoutMs: number;
  maxSockets: number;
  clock: Clock;
  store: ResumeStore;
  /** For the commit route (JSON POST with the same credential). */
  hub: HubClient;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Attempt = { kind: 'reply'; reply: HubReply } | { kind: 'gone' };

/** The hub has no tus route (a hub before issue 3): the caller falls back to the v1 PUT. */
export class TusUnsupportedError extends Error {
  constructor(status: number) {
    super(`the hub answered ${status} to a tus creation`);
    this.name = 'TusUnsupportedError';
  }
}

export function createTusSender(o: TusSenderOptions): ResumableSender & { close(): void } {
  const base = new URL(o.baseUrl);
  const lib = base.protocol === 'https:' ? https : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: o.maxSockets });
  const endpoint = new URL(`${base.pathname.replace(/\/+$/, '')}${TUS_ROUTES.uploads}`, base).toString();
  const headers = {
    authorization: `Bearer ${o.credential}`,
    [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
    'user-agent': o.userAgent,
  };

  function attempt(u: InstanceUpload & { spoolId: string }, resumeUrl: string | undefined, signal: AbortSignal, onProgress?: (p: SendProgress, d: number) => void): Promise<Attempt> {
    return new Promise<Attempt>((resolve, reject) => {
      if (signal.aborted) return reject(new HubUnreachableError('ABORTED', 'request aborted'));
      let settled = false;
      // Progress events count from the upload's start: a new upload starts at 0; a resumed one at
      // an offset only the HEAD answer knows, so its first event is a baseline, not bytes sent.
      let lastSent = resumeUrl ? -1 : 0;
      let accepted = 0;
      let sent = 0;
      let stall: TimerHandle | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        o.clock.clearTimeout(stall);
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const arm = () => {
        o.clock.clearTimeout(stall);
        stall = o.clock.setTimeout(() => {
          void upload.abort(false);
          finish(() => reject(new HubUnreachableError('ETIMEDOUT', `no progress within ${o.timeoutMs} ms`)));
        }, o.timeoutMs);
      };
      const metadata: Record<string, string> = {
        [TUS_METADATA.sopInstanceUid]: u.sopInstanceUid,
        [TUS_METADATA.studyInstanceUid]: u.studyInstanceUid,
        [TUS_METADATA.sha256]: u.sha256,
        [TUS_METADATA.urgency]: u.urgency,
        [TUS_METADATA.receivedAt]: u.receivedAt,
      };
      if (u.callingAeTitle) metadata[TUS_METADATA.callingAeTitle] = u.callingAeTitle;
      if (u.requestId) metadata[TUS_METADATA.requestId] = u.requestId;
      if (u.hold && u.hold.length > 0) metadata[TUS_METADATA.hold] = u.hold.join(',');
      let storing: Promise<void> = Promise.resolve();
      const upload: Upload = new Upload(createReadStream(u.path) as unknown as Buffer, {
        ...(resumeUrl ? { uploadUrl: resumeUrl } : { endpoint }),
        uploadSize: u.size,
        metadata,
        headers,
        chunkSize: o.chunkSize,
        retryDelays: null,
        uploadDataDuringCreation: true,
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: false,
        httpStack: new DefaultHttpStack({ agent } as never),
        onUploadUrlAvailable: () => {
          arm();
          const url = upload.url;
          if (url && url !== resumeUrl) {
            storing = o.store.put(u.spoolId, { v: 1, url, sha256: u.sha256, createdAt: new Date(o.clock.now()).toISOString() }).catch(() => {});
          }
        },
        onProgress: (bytesSent) => {
          arm();
          const delta = lastSent < 0 ? 0 : Math.max(0, bytesSent - lastSent);
          lastSent = bytesSent;
          sent += delta;
          onProgress?.({ sent, accepted }, delta);
        },
        onChunkComplete: (_chunk, bytesAccepted) => {
          arm();
          lastSent = bytesAccepted;
          accepted = bytesAccepted;
          onProgress?.({ sent, accepted }, 0);
        },
        onShouldRetry: () => false,
        onSuccess: ({ lastResponse }) => {
          void storing.then(() =>
            finish(() => resolve({ kind: 'reply', reply: { status: lastResponse.getStatus(), body: parseJson(lastResponse.getBody()) } })),
          );
        },
        onError: (err) => {
          void storing.then(() =>
            finish(() => {
              const res = err instanceof DetailedError ? err.originalResponse : null;
              if (!res) {
                const cause = (err as DetailedError).causingError as NodeJS.ErrnoException | undefined;
                return reject(new HubUnreachableError(cause?.code ?? 'ECONNRESET', (cause?.message ?? err.message).slice(0, 300)));
              }
              const status = res.getStatus();
              // The hub no longer knows this upload (ingested and removed, expired, or dropped).
              if (resumeUrl && (status === 404 || status === 410)) return resolve({ kind: 'gone' });
              // tus's own refusals are plain text: a lock still held by an aborted request (423),
              // an offset that moved (409) — transient, for this upload alone.
              if (status === 423 || status === 409) {
                return resolve({ kind: 'reply', reply: { status, body: { error: { code: 'RELAIS_UPLOAD_BUSY', message: `tus ${status}: ${(res.getBody() ?? '').slice(0, 200)}`, retryable: true } } } });
              }
              resolve({ kind: 'reply', reply: { status, body: parseJson(res.getBody()) } });
            }),
          );
        },
      });
      const onAbort = () => {
        void upload.abort(false);
        finish(() => reject(new HubUnreachableError('ABORTED', 'request aborted')));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      arm();
      upload.start();
    });
  }

  async function commit(u: InstanceUpload, url: string, signal: AbortSignal): Promise<HubReply> {
    const id = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    return o.hub.postJson(TUS_ROUTES.commit(id), { sopInstanceUid: u.sopInstanceUid, sha256: u.sha256, studyInstanceUid: u.studyInstanceUid }, signal);
  }

  return {
    async send(u, { signal, onProgress }) {
      // The stored URL's path on the hub as configured now (its address may have changed).
      const stored = await o.store.get(u.spoolId, u.sha256);
      let resumeUrl = stored ? new URL(new URL(stored).pathname, base).toString() : undefined;
      for (let round = 0; round < 2; round++) {
        const a = await attempt(u, resumeUrl, signal, onProgress);
        if (a.kind === 'reply') {
          const ok = a.reply.status >= 200 && a.reply.status < 300;
          if (ok && a.reply.body === undefined) {
            // The hub had every byte already (HEAD): it must ingest them, or did and lost the answer.
            const url = resumeUrl ?? (await o.store.get(u.spoolId, u.sha256));
            if (url) return commit(u, url, signal);
          }
          if (a.reply.status === 422) await o.store.forget(u.spoolId); // bytes dropped by the hub
          if (!resumeUrl && (a.reply.status === 404 || a.reply.status === 405)) throw new TusUnsupportedError(a.reply.status);
          return a.reply;
        }
        // Gone: ingested already (our last answer was lost), or dropped: then a new upload.
        const c = await commit(u, resumeUrl!, signal);
        if (c.status !== 404) return c;
        await o.store.forget(u.spoolId);
        resumeUrl = undefined;
      }
      throw new HubUnreachableError('ECONNRESET', 'tus upload could not be restarted');
    },
    close() {
      agent.destroy();
    },
  };
}

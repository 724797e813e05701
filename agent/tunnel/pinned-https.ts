/**
 * HTTPS to the hub's enrolment listener, trusting its certificate by pin, not by a CA: the TLS
 * connection is made first, the SHA-256 of the certificate the server presents is compared with
 * the pin from the enrolment token, and only on a match is the request (which carries the token
 * or the agent's credential) written to the socket. A mismatch — a machine in the middle, a
 * wrong address, a hub whose certificate changed — ends the connection before anything is sent.
 * Contract: resolves with the status and parsed JSON body (undefined if not JSON) of any answer;
 * rejects with PinMismatchError on a wrong certificate, with the socket's error otherwise.
 */
import http from 'node:http';
import tls from 'node:tls';
import { pinOfDer, pinsMatch } from '../../lib/cert-pin.ts';

export class PinMismatchError extends Error {
  readonly presented: string;
  constructor(presented: string) {
    super(`the server's certificate (SHA-256 ${presented}) is not the one pinned in the enrolment token`);
    this.name = 'PinMismatchError';
    this.presented = presented;
  }
}

export interface PinnedReply {
  status: number;
  body: unknown;
}

export interface PinnedRequest {
  /** https://host:port */
  baseUrl: string;
  pin: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Opens a TLS connection and checks the server's certificate against the pin. */
function connectPinned(url: URL, pin: string, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      // Trust is the pin, checked below before any byte is written; no CA applies to a self-signed hub.
      rejectUnauthorized: false,
      ...(/^[0-9.:]+$/.test(host) ? {} : { servername: host }),
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no TLS answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate(false);
      const presented = cert?.raw ? pinOfDer(cert.raw) : '';
      if (!presented || !pinsMatch(presented, pin)) {
        socket.destroy();
        reject(new PinMismatchError(presented || 'none'));
        return;
      }
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function pinnedRequest(r: PinnedRequest): Promise<PinnedReply> {
  const url = new URL(r.baseUrl);
  if (url.protocol !== 'https:') throw new TypeError('the enrolment URL must be https://');
  const timeoutMs = r.timeoutMs ?? 30_000;
  const socket = await connectPinned(url, r.pin, timeoutMs);
  const payload = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: r.method,
        host: url.host,
        path: r.path,
        createConnection: () => socket,
        headers: {
          host: url.host,
          accept: 'application/json',
          connection: 'close',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...r.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 1024 * 1024) chunks.push(c);
        });
        res.on('end', () => {
          let body: unknown;
          try {
            body = size > 0 && size <= 1024 * 1024 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}

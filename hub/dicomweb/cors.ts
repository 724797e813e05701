/**
 * DICOMweb for external viewers (OHIF, Weasis web, any page on another origin): CORS on
 * /dicomweb/… for the origins the hub was started with (`--dicomweb-cors-origin`, comma-
 * separated exact origins such as `https://viewer.example.org`, or `*`).
 *
 * Contract (installed before the access guard, as an onRequest hook):
 * - a request without `Origin`, or from the hub's own origin, is untouched (its pages, curl);
 * - a cross-origin request never authenticates with the session cookie: the cookie is dropped
 *   before the guard runs, so only `Authorization: Bearer <user token>` works (no ambient
 *   credential a foreign page could ride on); responses carry `Access-Control-Allow-Origin`
 *   (that origin, never `*` echoing credentials), `Vary: Origin`, and expose the headers a
 *   viewer reads; `Access-Control-Allow-Credentials` is never sent;
 * - a preflight (OPTIONS with `Access-Control-Request-Method`) from an allowed origin answers
 *   204 with the methods (GET, HEAD) and headers (Authorization, Accept, Content-Type) allowed,
 *   cached 10 min; from any other origin, and any cross-origin request from a disallowed origin,
 *   403 RELAIS_AUTH_FORBIDDEN without CORS headers (the browser then refuses to read).
 */
import type { FastifyInstance } from 'fastify';
import { errorBody } from '../../protocol/errors.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';

export const CORS_ALLOWED_HEADERS = ['authorization', 'accept', 'content-type'];
const EXPOSED = 'Content-Type, Content-Length, Content-Location, Warning';

/** Parses the flag: exact origins (scheme://host[:port]) or `*`; throws on anything else. */
export function parseCorsOrigins(flag: string | undefined): string[] {
  if (!flag) return [];
  const out: string[] = [];
  for (const raw of flag.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === '*') {
      out.push('*');
      continue;
    }
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new Error(`invalid CORS origin "${raw}" (e.g. https://viewer.example.org)`);
    }
    if (!['http:', 'https:'].includes(u.protocol) || u.origin !== raw.replace(/\/$/, '')) throw new Error(`invalid CORS origin "${raw}" (scheme://host[:port], no path)`);
    out.push(u.origin);
  }
  return out;
}

function isDicomweb(url: string): boolean {
  return url === '/dicomweb' || url.startsWith('/dicomweb/') || url.startsWith('/dicomweb?');
}

export function installDicomwebCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = (o: string) => origins.includes('*') || origins.includes(o);
  app.addHook('onRequest', async (request, reply) => {
    if (!isDicomweb(request.url)) return;
    const origin = request.headers.origin;
    if (!origin || origin === `${request.protocol}://${request.host}`) return;
    if (!allowed(origin)) {
      return reply.code(403).type('application/json; charset=utf-8').send(errorBody('RELAIS_AUTH_FORBIDDEN', 'this origin may not use the DICOMweb API (hub flag --dicomweb-cors-origin)'));
    }
    reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    if (request.method === 'OPTIONS') {
      const method = String(request.headers['access-control-request-method'] ?? '').toUpperCase();
      if (method && !['GET', 'HEAD'].includes(method)) return reply.code(403).send(errorBody('RELAIS_AUTH_FORBIDDEN', 'DICOMweb here is read-only (GET, HEAD)'));
      return reply
        .code(204)
        .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
        .header('access-control-allow-headers', CORS_ALLOWED_HEADERS.join(', '))
        .header('access-control-max-age', '600')
        .header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
        .send();
    }
    reply.header('access-control-expose-headers', EXPOSED);
    if (request.cookies && SESSION_COOKIE in request.cookies) delete request.cookies[SESSION_COOKIE];
  });
}

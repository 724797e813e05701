/**
 * The relay's control endpoint (HTTP, JSON), meant for a Unix socket or a loopback port:
 *   GET    /stats    counters per direction and per site, outage state
 *   GET    /profile  the resolved profile in force
 *   PUT    /profile  {"name": "island-vsat"} or a full profile spec → switches live
 *   POST   /outage   {"durationMs": 60000} cuts every site's link now (no body: until DELETE)
 *   DELETE /outage   ends a forced cut
 * Contract: bodies are validated (400 with the errors otherwise); the app is built without
 * listening (`buildControlApp`), `startControl` listens and returns the address.
 */
import { chmod, unlink } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { check, validationErrors } from '../../protocol/validate.ts';
import type { LinkRelay } from './relay.ts';
import { LinkProfileSpec, namedProfile, resolveProfile } from './profiles.ts';

export const CutRequest = Type.Object(
  { durationMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })) },
  { additionalProperties: false },
);
export type CutRequest = Static<typeof CutRequest>;

export const ProfileRequest = Type.Union([
  Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  LinkProfileSpec,
]);

export function buildControlApp(relay: LinkRelay): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/stats', async () => relay.stats());
  app.get('/profile', async () => relay.profile);
  app.put('/profile', async (req, reply) => {
    const body = req.body ?? {};
    if (!check(ProfileRequest, body)) return reply.code(400).send({ errors: validationErrors(ProfileRequest, body) });
    try {
      const profile = 'up' in body ? resolveProfile(body) : namedProfile(body.name);
      relay.setProfile(profile);
      return profile;
    } catch (err) {
      return reply.code(400).send({ errors: [(err as Error).message] });
    }
  });
  app.post('/outage', async (req, reply) => {
    const body = req.body ?? {};
    if (!check(CutRequest, body)) return reply.code(400).send({ errors: validationErrors(CutRequest, body) });
    return relay.cut(body.durationMs ?? Infinity);
  });
  app.delete('/outage', async () => relay.restore());
  return app;
}

/** Where the control endpoint listens: a Unix socket path, or host:port on loopback. */
export type ControlAddress = { path: string } | { host: string; port: number };

export function parseControlAddress(s: string): ControlAddress {
  const m = /^(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(s);
  if (m) return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  return { path: s };
}

export async function startControl(relay: LinkRelay, where: ControlAddress): Promise<{ app: FastifyInstance; address: string }> {
  const app = buildControlApp(relay);
  if ('path' in where) {
    await unlink(where.path).catch(() => {});
    await app.listen({ path: where.path });
    await chmod(where.path, 0o600);
    return { app, address: where.path };
  }
  const address = await app.listen({ host: where.host, port: where.port });
  return { app, address };
}

/**
 * WADO-RS retrieval for signed-in users: one instance, a series or a whole study, as
 * `multipart/related; type="application/dicom"` (one part per instance) or a single instance as
 * bare `application/dicom`; frames of an instance as `multipart/related;
 * type="application/octet-stream"` or, for one frame, bare `application/octet-stream`.
 *
 * Transfer syntax (PS3.18 8.7.3): the stored syntax is served as it is, streamed from disk, when
 * the client accepts it (`transfer-syntax=*` or the stored UID; an Accept without the parameter
 * counts as `*` for instances, as the standard's default Explicit VR LE for frames). Otherwise
 * the instance is transcoded back to Explicit VR Little Endian (1.2.840.10008.1.2.1) in a worker
 * thread (transcode-pool.ts): for what the agent compressed, the result is the modality's
 * original, elements byte for byte and pixels bit for bit. Content that cannot be rebuilt that
 * way (lossy YBR, Big Endian as received) is served in its stored syntax, the part's
 * Content-Type saying which — unless the client asked for one syntax only in a bare single-part
 * answer, which is 406. A lossless compressed target (JPEG-LS, HTJ2K, J2K, JPEG XL, RLE) is
 * re-encoded from the native instance in the worker; other targets are 406.
 * Each retrieval is audited (DCM 110103) before any byte is sent.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { partHeader, closingDelimiter } from '../../lib/multipart.ts';
import { HubError } from '../errors.ts';
import { userOf } from '../auth/guard.ts';
import { userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import type { InstanceEntry } from '../catalog/instance-index.ts';
import { assertUid } from './qido.ts';
import { errorBody } from '../../protocol/errors.ts';
import { createTranscoder, TranscodeError, type Transcoder } from './transcode-pool.ts';
import { CODEC_TRANSFER_SYNTAX } from '../../lib/codec/frame-codecs.ts';

export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
/** Lossless syntaxes the hub can re-encode to when asked (JPEG-LS, HTJ2K, J2K, JPEG XL, RLE). */
const LOSSLESS_TARGETS: ReadonlySet<string> = new Set(Object.values(CODEC_TRANSFER_SYNTAX));

type Wanted = { kind: 'multipart'; transferSyntax: string } | { kind: 'single'; transferSyntax: string } | { kind: 'none' };

function parseRange(range: string): { type: string; p: Record<string, string> } {
  const [type = '', ...params] = range.split(';').map((s) => s.trim());
  const p = Object.fromEntries(params.map((x) => x.split('=').map((s) => s.trim().replace(/^"|"$/g, '')) as [string, string]));
  return { type: type.toLowerCase(), p };
}

/** Reads the Accept header: the first acceptable DICOM representation. */
export function negotiate(accept: string | undefined, allowSingle: boolean): Wanted {
  if (!accept || accept.trim() === '') return { kind: 'multipart', transferSyntax: '*' };
  for (const range of accept.split(',')) {
    const { type: t, p } = parseRange(range);
    const ts = p['transfer-syntax'] ?? '*';
    if (t === '*/*' || t === 'multipart/*') return { kind: 'multipart', transferSyntax: '*' };
    if (t === 'multipart/related' && (!p.type || p.type.toLowerCase() === 'application/dicom')) return { kind: 'multipart', transferSyntax: ts };
    if (t === 'application/dicom' && allowSingle) return { kind: 'single', transferSyntax: ts };
  }
  return { kind: 'none' };
}

/** Accept for frames: octet-stream pixels, native Explicit VR LE unless another syntax is asked. */
export function negotiateFrames(accept: string | undefined, allowSingle: boolean): Wanted {
  if (!accept || accept.trim() === '') return { kind: 'multipart', transferSyntax: EXPLICIT_VR_LE };
  for (const range of accept.split(',')) {
    const { type: t, p } = parseRange(range);
    const ts = p['transfer-syntax'] ?? EXPLICIT_VR_LE;
    if (t === '*/*' || t === 'multipart/*') return { kind: 'multipart', transferSyntax: EXPLICIT_VR_LE };
    if (t === 'multipart/related' && (!p.type || p.type.toLowerCase() === 'application/octet-stream')) return { kind: 'multipart', transferSyntax: ts };
    if (t === 'application/octet-stream') return { kind: allowSingle ? 'single' : 'multipart', transferSyntax: ts };
  }
  return { kind: 'none' };
}

function notAcceptable(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(406).type('application/json').send(errorBody('RELAIS_BAD_REQUEST', message));
}

/** The list of frame numbers of a /frames/1,2,3 path segment (1-based), or undefined. */
function frameList(raw: string): number[] | undefined {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.length > 10_000 || !parts.every((s) => /^[1-9][0-9]{0,8}$/.test(s))) return undefined;
  return parts.map(Number);
}

export function registerWado(app: FastifyInstance, ctx: HubContext, transcoder?: Transcoder): void {
  const access = userMay('images:read');
  let pool = transcoder;
  const owned = !transcoder;
  const tc = () => (pool ??= createTranscoder());
  app.addHook('onClose', async () => {
    if (owned) await pool?.close();
  });

  async function entriesOf(study: string, series?: string, sop?: string): Promise<InstanceEntry[]> {
    const known = await ctx.catalog.get(study);
    if (!known) throw new HubError('RELAIS_NOT_FOUND', 'no such study');
    const entries = (await ctx.indexes.get(study)).instances(series).filter((e) => !sop || e.sopInstanceUid === sop);
    if (entries.length === 0) throw new HubError('RELAIS_NOT_FOUND', sop ? 'no such instance' : 'no such series');
    return entries;
  }

  async function present(entries: InstanceEntry[]): Promise<void> {
    for (const e of entries) {
      try {
        await stat(ctx.objects.pathOf(e.sha256));
      } catch {
        throw new HubError('RELAIS_STORAGE_IO', 'an instance file is missing from storage');
      }
    }
  }

  /** The instance as served for `wanted` syntax: stored bytes (undefined) or transcoded ones. */
  async function transcoded(e: InstanceEntry, wanted: string): Promise<{ bytes: Buffer; ts: string } | undefined> {
    if (wanted === '*' || wanted === e.transferSyntaxUid) return undefined;
    try {
      return { bytes: await tc().native(ctx.objects.pathOf(e.sha256), wanted), ts: wanted };
    } catch (err) {
      if (err instanceof TranscodeError && err.kind === 'codec') return undefined; // served as stored
      throw new HubError('RELAIS_STORAGE_IO', `transcoding failed: ${(err as Error).message}`);
    }
  }

  async function audit(request: FastifyRequest, level: string, entries: InstanceEntry[], p: { study: string; series?: string; sop?: string }): Promise<void> {
    const user = userOf(request);
    await ctx.audit.record({
      event: 'instances-accessed', action: `wado-${level}`, actor: { kind: 'user', id: user.userId, role: user.role }, outcome: 'success',
      ip: request.ip, studyInstanceUid: p.study, ...(p.series ? { seriesInstanceUid: p.series } : {}), ...(p.sop ? { sopInstanceUid: p.sop } : {}),
      count: entries.length, bytes: entries.reduce((n, e) => n + e.size, 0),
    });
  }

  async function retrieve(request: FastifyRequest, reply: FastifyReply, level: 'study' | 'series' | 'instance') {
    const params = request.params as { study: string; series?: string; sop?: string };
    const { study, series, sop } = params;
    assertUid(study, 'study');
    if (series !== undefined) assertUid(series, 'series');
    if (sop !== undefined) assertUid(sop, 'instance');
    const wanted = negotiate(request.headers.accept, level === 'instance');
    if (wanted.kind === 'none') return notAcceptable(reply, 'this resource is served as multipart/related; type="application/dicom"');
    const target = wanted.transferSyntax;
    if (target !== '*' && target !== EXPLICIT_VR_LE && !LOSSLESS_TARGETS.has(target) && !(await entriesOf(study, series, sop)).every((e) => e.transferSyntaxUid === target)) {
      return notAcceptable(reply, `transcoding to ${target} is not available: ask transfer-syntax=*, ${EXPLICIT_VR_LE} or ${[...LOSSLESS_TARGETS].join(', ')}`);
    }
    const entries = await entriesOf(study, series, sop);
    await present(entries);
    await audit(request, level, entries, params);
    if (wanted.kind === 'single') {
      const e = entries[0]!;
      const t = await transcoded(e, target);
      if (t) return reply.type(`application/dicom; transfer-syntax=${t.ts}`).header('content-length', t.bytes.length).send(t.bytes);
      if (target !== '*' && target !== e.transferSyntaxUid) return notAcceptable(reply, `stored in ${e.transferSyntaxUid}, which cannot be rebuilt as ${target}`);
      reply.type(`application/dicom; transfer-syntax=${e.transferSyntaxUid}`).header('content-length', e.size);
      return reply.send(createReadStream(ctx.objects.pathOf(e.sha256)));
    }
    const boundary = `relais-${randomBytes(12).toString('hex')}`;
    const objects = ctx.objects;
    async function* body(): AsyncGenerator<Buffer> {
      let first = true;
      for (const e of entries) {
        const t = await transcoded(e, target);
        const ts = t ? t.ts : e.transferSyntaxUid;
        yield partHeader(boundary, { 'Content-Type': `application/dicom; transfer-syntax=${ts}`, 'Content-Length': String(t ? t.bytes.length : e.size) }, first);
        first = false;
        if (t) yield t.bytes;
        else for await (const chunk of objects.openRead(e.sha256)) yield chunk as Buffer;
      }
      yield closingDelimiter(boundary);
    }
    reply.type(`multipart/related; type="application/dicom"; boundary=${boundary}`);
    return reply.send(Readable.from(body()));
  }

  async function retrieveFrames(request: FastifyRequest, reply: FastifyReply) {
    const params = request.params as { study: string; series: string; sop: string; frames: string };
    assertUid(params.study, 'study');
    assertUid(params.series, 'series');
    assertUid(params.sop, 'instance');
    const numbers = frameList(params.frames);
    if (!numbers) throw new HubError('RELAIS_BAD_REQUEST', 'frames: a comma-separated list of frame numbers from 1');
    const wanted = negotiateFrames(request.headers.accept, numbers.length === 1);
    if (wanted.kind === 'none') return notAcceptable(reply, 'frames are served as multipart/related; type="application/octet-stream"');
    const entries = await entriesOf(params.study, params.series, params.sop);
    const e = entries[0]!;
    const target = wanted.transferSyntax;
    const stored = target === '*' || target === e.transferSyntaxUid;
    if (!stored && target !== EXPLICIT_VR_LE) return notAcceptable(reply, `frames are served in ${e.transferSyntaxUid} or ${EXPLICIT_VR_LE}`);
    await present(entries);
    let frames: { frames: Buffer[]; transferSyntaxUid: string };
    try {
      frames = await tc().frames(ctx.objects.pathOf(e.sha256), numbers, !stored);
    } catch (err) {
      if (err instanceof TranscodeError && err.kind === 'range') throw new HubError('RELAIS_NOT_FOUND', err.message);
      if (err instanceof TranscodeError && err.kind === 'codec') return notAcceptable(reply, `${err.message}; ask transfer-syntax=*`);
      throw new HubError('RELAIS_STORAGE_IO', `frames: ${(err as Error).message}`);
    }
    await audit(request, 'frames', entries, params);
    const type = `application/octet-stream; transfer-syntax=${frames.transferSyntaxUid}`;
    if (wanted.kind === 'single') return reply.type(type).header('content-length', frames.frames[0]!.length).send(frames.frames[0]);
    const boundary = `relais-${randomBytes(12).toString('hex')}`;
    const parts: Buffer[] = [];
    frames.frames.forEach((f, i) => parts.push(partHeader(boundary, { 'Content-Type': type, 'Content-Length': String(f.length) }, i === 0), f));
    parts.push(closingDelimiter(boundary));
    reply.type(`multipart/related; type="application/octet-stream"; boundary=${boundary}`);
    return reply.send(Buffer.concat(parts));
  }

  app.get('/dicomweb/studies/:study', { config: { access } }, (req, reply) => retrieve(req, reply, 'study'));
  app.get('/dicomweb/studies/:study/series/:series', { config: { access } }, (req, reply) => retrieve(req, reply, 'series'));
  app.get('/dicomweb/studies/:study/series/:series/instances/:sop', { config: { access } }, (req, reply) => retrieve(req, reply, 'instance'));
  app.get('/dicomweb/studies/:study/series/:series/instances/:sop/frames/:frames', { config: { access } }, retrieveFrames);
}

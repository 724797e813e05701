/**
 * Acts and delays for operators (permission `cases:list`: operators, admins):
 *
 * | method | path              | what |
 * | ------ | ----------------- | ---- |
 * | GET    | /acts             | page: the acts of the period (?from=YYYY-MM-DD&to=YYYY-MM-DD, UTC), CSV link |
 * | GET    | /api/v1/acts.csv  | the same rows as CSV (text/csv, attachment) |
 *
 * Rows come from the live dispatch cases and the archive (DATA/dispatch/archive/*.jsonl,
 * partial last lines and invalid lines skipped); each export is audited (query, row count).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { check } from '../../protocol/validate.ts';
import { DispatchCase } from '../../protocol/dispatch.ts';
import { userOf } from '../auth/guard.ts';
import { userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import type { DispatchEngine } from '../dispatch/engine.ts';
import type { ReportService } from '../reports/report-service.ts';
import { langOf } from '../web/routes.ts';
import { esc, readingShell, sendPage } from './html.ts';
import { readingNav } from './nav.ts';
import { actsCsv, actsOf, type ActRow } from './acts.ts';
import { READING_TEXTS } from './texts.ts';

async function archivedCases(dir: string): Promise<DispatchCase[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^cases-\d{4}-\d{2}\.jsonl$/.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: DispatchCase[] = [];
  for (const n of names) {
    for (const line of (await readFile(join(dir, n), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      try {
        const v = JSON.parse(line) as unknown;
        if (check(DispatchCase, v)) out.push(v);
      } catch {
        // a partial last line (interrupted append): skipped
      }
    }
  }
  return out;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function registerActsPages(app: FastifyInstance, ctx: HubContext, deps: { engine: DispatchEngine; reports: ReportService; dataDir: string }): void {
  const rows = async (request: FastifyRequest): Promise<{ rows: ActRow[]; from?: string | undefined; to?: string | undefined }> => {
    const q = request.query as Record<string, string>;
    const from = q.from && DAY.test(q.from) ? q.from : undefined;
    const to = q.to && DAY.test(q.to) ? q.to : undefined;
    const archived = await archivedCases(join(deps.dataDir, 'dispatch', 'archive'));
    const live = deps.engine.cases();
    const sites = new Map(deps.engine.rota.sites.map((s) => [s.id, s.name]));
    const list = actsOf([...live, ...archived], (c) => (c.studyInstanceUid ? deps.reports.forStudy(c.studyInstanceUid) : []), (id) => sites.get(id) ?? id, {
      ...(from ? { from: `${from}T00:00:00.000Z` } : {}),
      ...(to ? { to: new Date(Date.parse(`${to}T00:00:00.000Z`) + 86_400_000).toISOString() } : {}),
    });
    return { rows: list.filter((r) => r.study_instance_uid || r.report_id), from, to };
  };

  app.get('/api/v1/acts.csv', { config: { access: userMay('cases:list') } }, async (request, reply) => {
    const u = userOf(request);
    const r = await rows(request);
    await ctx.audit.record({ event: 'query', action: 'acts-export', actor: { kind: 'user', id: u.userId, role: u.role }, outcome: 'success', count: r.rows.length, ip: request.ip });
    const name = `relais-acts-${r.from ?? 'all'}-${r.to ?? 'now'}.csv`;
    return reply.header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store').type('text/csv; charset=utf-8').send(actsCsv(r.rows));
  });

  app.get('/acts', { config: { access: userMay('cases:list'), page: true } }, async (request, reply) => {
    const u = userOf(request);
    const lang = langOf(request, ctx.options.defaultLang);
    const t = READING_TEXTS[lang];
    const r = await rows(request);
    await ctx.audit.record({ event: 'query', action: 'acts-page', actor: { kind: 'user', id: u.userId, role: u.role }, outcome: 'success', count: r.rows.length, ip: request.ip });
    const qs = new URLSearchParams({ ...(r.from ? { from: r.from } : {}), ...(r.to ? { to: r.to } : {}) }).toString();
    const body = `<p class="note">${esc(t.actsIntro)}</p>
<form method="get" action="/acts"><input type="date" name="from" value="${esc(r.from)}"> <input type="date" name="to" value="${esc(r.to)}"> <button type="submit">OK</button>
<a id="acts-csv" href="/api/v1/acts.csv${qs ? `?${qs}` : ''}">${esc(t.exportCsv)}</a></form>
<table id="acts"><thead><tr><th>${esc(t.colCase)}</th><th>${esc(t.colSite)}</th><th>${esc(t.colModality)}</th><th>${esc(t.colRadiologist)}</th><th>${esc(t.colArrived)}</th><th>${esc(t.colTaken)}</th><th>${esc(t.colSigned)}</th><th>${esc(t.colDelivered)}</th><th>${esc(t.colMinutes)}</th></tr></thead><tbody>
${r.rows.map((x) => `<tr data-case="${esc(x.case_id)}"><td>${esc(x.reference)}</td><td>${esc(x.site_name)}</td><td>${esc(`${x.modality} ${x.body_part}`)}</td><td>${esc(x.radiologist_rpps || x.radiologist_id)}</td><td>${esc(x.arrived_at)}</td><td>${esc(x.taken_at)}</td><td>${esc(x.signed_at)}</td><td>${esc(x.delivered_at)}</td><td>${esc([x.min_arrival_to_taken, x.min_arrival_to_signed, x.min_arrival_to_delivered].map((m) => m || '—').join(' / '))}</td></tr>`).join('\n')}
</tbody></table>`;
    return sendPage(reply, readingShell(lang, t.actsTitle, readingNav(u.role), body));
  });
}

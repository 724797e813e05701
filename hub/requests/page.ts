/**
 * The hub's minimal requests page (server-rendered, no script): exam requests with urgency,
 * exam, status and answer, and for identity-vigilance roles the studies held for
 * reconciliation with their reasons. The radiologist's pages (worklist, viewer, report editor)
 * are the next issue's. Every value is HTML-escaped; identity only for roles with patient:read.
 */
import type { HubRequestRecord } from './request-store.ts';
import type { StudyRecord } from '../catalog/study-record.ts';
import { examLabel } from './request-service.ts';
import { escapeHtml } from '../web/escape-html.ts';

const T = {
  fr: {
    title: 'Demandes d’examen', none: 'Aucune demande.', held: 'Examens en attente de rapprochement', noneHeld: 'Aucun examen en attente.',
    received: 'Reçue', site: 'Site', urgency: 'Urgence', exam: 'Examen', status: 'État', answer: 'Réponse', patient: 'Patient', reasons: 'Motifs', study: 'Examen (UID)',
    emergency: 'Urgence', scheduled: 'Programmé', deferred: 'Différé',
    s_received: 'À traiter', s_accepted: 'Acceptée', 's_needs-information': 'Complément demandé', s_declined: 'Refusée', s_cancelled: 'Annulée',
  },
  en: {
    title: 'Exam requests', none: 'No request.', held: 'Studies held for reconciliation', noneHeld: 'No held study.',
    received: 'Received', site: 'Site', urgency: 'Urgency', exam: 'Exam', status: 'Status', answer: 'Answer', patient: 'Patient', reasons: 'Reasons', study: 'Study (UID)',
    emergency: 'Emergency', scheduled: 'Scheduled', deferred: 'Deferred',
    s_received: 'To do', s_accepted: 'Accepted', 's_needs-information': 'Information asked', s_declined: 'Declined', s_cancelled: 'Cancelled',
  },
} as const;


export function requestsPage(lang: 'fr' | 'en', requests: HubRequestRecord[], held: StudyRecord[], withIdentity: boolean): string {
  const t = T[lang];
  const e = escapeHtml;
  const rows = requests
    .map((r) => {
      const a = r.answers.at(-1);
      const answer = a ? (a.protocol ? a.protocol.templateLabel[lang] : (a.question ?? a.reason ?? '')) : '';
      const patient = withIdentity ? `<td>${e(`${r.request.patient.birthNames} ${r.request.patient.firstNames.split(' ')[0]}`)}</td>` : '';
      return `<tr data-request="${e(r.requestId)}" data-status="${e(r.status)}"><td><a href="/requests/${e(r.requestId)}">${e(r.receivedAt)}</a></td><td>${e(r.agentId)}</td><td class="u-${e(r.request.urgency)}">${e(t[r.request.urgency])}</td><td>${e(examLabel(r.request, lang))}</td>${patient}<td>${e(t[`s_${r.status}`])}</td><td>${e(answer)}</td></tr>`;
    })
    .join('\n');
  const heldRows = held
    .map((s) => `<tr data-study="${e(s.studyInstanceUid)}"><td class="mono"><a href="/reconciliation">${e(s.studyInstanceUid)}</a></td><td>${e(s.agentId)}</td><td>${e((s.hold?.reasons ?? []).join(', '))}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>Relais — ${e(t.title)}</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><main>
<h1>${e(t.title)}</h1>
${requests.length === 0 ? `<p>${e(t.none)}</p>` : `<table id="requests"><thead><tr><th>${t.received}</th><th>${t.site}</th><th>${t.urgency}</th><th>${t.exam}</th>${withIdentity ? `<th>${t.patient}</th>` : ''}<th>${t.status}</th><th>${t.answer}</th></tr></thead><tbody>
${rows}
</tbody></table>`}
${held.length > 0 || heldRows ? `<h2>${e(t.held)}</h2><table id="held"><thead><tr><th>${t.study}</th><th>${t.site}</th><th>${t.reasons}</th></tr></thead><tbody>${heldRows}</tbody></table>` : ''}
</main></body></html>`;
}

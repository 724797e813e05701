/**
 * The operator's reconciliation page: each held study with its reasons and, side by side, the
 * values the modality sent (kept as they are) and those of the request it points at; a form
 * to attach it to a request of its site, and one to release it as unsolicited, each with an
 * optional justification. Server-rendered; every value escaped.
 */
import { examLabel } from '../requests/request-service.ts';
import type { HeldStudy } from './reconcile.ts';
import { esc, readingShell, type NavLink } from './html.ts';
import { READING_TEXTS, type ReadingLang } from './texts.ts';

const REASONS: Record<string, { fr: string; en: string }> = {
  'no-request': { fr: 'aucune demande', en: 'no request' },
  'request-conflict': { fr: 'numéro d’accès et UID pointent deux demandes', en: 'accession and UID point at two requests' },
  'patient-id-differs': { fr: 'IPP différent', en: 'patient ID differs' },
  'patient-name-differs': { fr: 'nom différent', en: 'name differs' },
  'birth-date-differs': { fr: 'date de naissance différente', en: 'birth date differs' },
  'sex-differs': { fr: 'sexe différent', en: 'sex differs' },
};

export function reconcilePage(lang: ReadingLang, nav: NavLink[], held: HeldStudy[], message?: { kind: 'ok' | 'error'; text: string }): string {
  const t = READING_TEXTS[lang];
  const items = held.map((h) => {
    const s = h.study;
    const uid = esc(s.studyInstanceUid);
    const r = h.request?.request;
    const line = (label: string, inStudy: string | undefined, inRequest: string | undefined) => {
      const differs = r && (inStudy ?? '') !== (inRequest ?? '');
      return `<tr${differs ? ' class="differs"' : ''}><th>${esc(label)}</th><td>${esc(inStudy ?? '—')}</td><td>${esc(r ? (inRequest ?? '—') : '')}</td></tr>`;
    };
    const reqName = r ? `${r.patient.birthNames}^${r.patient.firstNames.split(' ').join('^')}` : undefined;
    const options = h.candidates
      .map((c) => `<option value="${esc(c.requestId)}">${esc(c.request.accessionNumber)} — ${esc(examLabel(c.request, lang))} — ${esc(c.request.patient.birthNames)} ${esc(c.request.patient.firstNames)} (${esc(c.request.patient.birthDate)}) — ${esc(c.receivedAt)}</option>`)
      .join('');
    return `<section class="panel held" data-study="${uid}">
<h2>${esc(t.study)} <code>${uid}</code></h2>
<p>${esc(t.reasons)} : <span class="reasons">${s.hold!.reasons.map((x) => esc(REASONS[x]?.[lang] ?? x)).join(', ')}</span> — ${esc(t.held_since)} ${esc(s.hold!.since)} — ${esc(s.agentId)}</p>
<table class="side-by-side"><thead><tr><th></th><th>${esc(t.inStudy)}</th><th>${esc(t.inRequest)}</th></tr></thead><tbody>
${line(t.patient, s.patient.name, reqName)}
${line(t.localId, s.patient.id, r?.patient.localId.value)}
${line(t.birth, s.patient.birthDate, r?.patient.birthDate.replace(/-/g, ''))}
${line(t.sex, s.patient.sex, r?.patient.sex)}
${line('Accession', s.dicom.accessionNumber, r?.accessionNumber)}
${line('Study UID', s.studyInstanceUid, r?.studyInstanceUid)}
</tbody></table>
${options ? `<form class="attach-form" method="post" action="/reconciliation/${uid}/attach">
<label>${esc(t.requestId)} <select name="requestId" required>${options}</select></label>
<label>${esc(t.note)} <input name="note" maxlength="500"></label>
<button type="submit" class="primary attach">${esc(t.attach)}</button></form>` : ''}
<form class="release-form" method="post" action="/reconciliation/${uid}/release">
<label>${esc(t.note)} <input name="note" maxlength="500"></label>
<button type="submit" class="release">${esc(t.release)}</button></form>
</section>`;
  });
  const body = `<p class="note">${esc(t.reconcileIntro)}</p>
${items.length ? items.join('\n') : `<p id="none-held">${esc(t.noneHeld)}</p>`}`;
  return readingShell(lang, t.reconcileTitle, nav, body, message);
}

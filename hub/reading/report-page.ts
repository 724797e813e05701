/**
 * The report editor of one study (/studies/:study/report): the study (identity for roles with
 * patient:read), its case (state, deadline, take in charge), links to the viewer and to the
 * request; while a draft, the template picker and the editor form (findings, conclusion,
 * critical finding with who was phoned and when, RPPS, signing password and TOTP code, save or
 * sign); once signed, the original as signed with its SHA-256 and delivery, the addenda with
 * theirs, and the addendum form; the case's timeline. Server-rendered; every value escaped.
 */
import type { DispatchCase } from '../../protocol/dispatch.ts';
import type { StudyRecord } from '../catalog/study-record.ts';
import type { ReportRecord } from '../reports/report-service.ts';
import type { ReportDocument, ReportDraft, SignedPart } from './report-document.ts';
import type { ReportTemplate } from './report-templates.ts';
import { esc, readingShell, type NavLink } from './html.ts';
import { CASE_WORDS, READING_TEXTS, type ReadingLang } from './texts.ts';

export interface ReportPageModel {
  study: StudyRecord;
  withIdentity: boolean;
  case?: DispatchCase | undefined;
  assigneeName?: string | undefined;
  mayTake: boolean;
  mayWrite: boolean;
  doc?: ReportDocument | undefined;
  /** What the editor shows (the stored draft, or a template applied). */
  draft: ReportDraft;
  templates: ReportTemplate[];
  rpps?: string | undefined;
  totpActive: boolean;
  deliveries: Map<string, ReportRecord>;
  message?: { kind: 'ok' | 'error'; text: string } | undefined;
}

function when(iso: string | undefined, lang: ReadingLang): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso)) + ' UTC';
}

function signedBlock(lang: ReadingLang, p: SignedPart, delivery: ReportRecord | undefined, cls: string): string {
  const t = READING_TEXTS[lang];
  const c = p.content;
  return `<article class="signed ${cls}" data-report="${esc(p.reportId)}" data-sha256="${esc(p.sha256)}">
<h3>${esc(c.title)}</h3>
<pre class="report-text">${esc(c.text)}</pre>
${c.conclusion ? `<p><strong>${esc(t.conclusion)} :</strong> ${esc(c.conclusion)}</p>` : ''}
${c.critical ? `<p class="critical">${esc(t.critical)}${c.criticalCall ? ` — ${esc(c.criticalCall.who)}, ${esc(c.criticalCall.at)}` : ''}</p>` : ''}
<p class="meta">${esc(t.signedBy)} ${esc(c.signer.name)} (RPPS ${esc(c.signer.rpps)}) — ${esc(when(c.signedAt, lang))}</p>
<p class="meta">${esc(t.sha256)} : <code class="sha256">${esc(p.sha256)}</code></p>
<p class="meta delivery" data-delivery="${esc(delivery?.status ?? 'pending')}">${esc(t.delivery)} : ${esc(delivery ? t[`d_${delivery.status}`] : '—')}</p>
</article>`;
}

export function reportPage(lang: ReadingLang, nav: NavLink[], m: ReportPageModel): string {
  const t = READING_TEXTS[lang];
  const s = m.study;
  const uid = esc(s.studyInstanceUid);
  const row = (k: string, v: string | undefined) => (v ? `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>` : '');
  const identity = m.withIdentity ? `${row(t.patient, s.patient.name?.replace(/\^/g, ' '))}${row(t.birth, s.patient.birthDate)}${row(t.sex, s.patient.sex)}${row(t.localId, s.patient.id)}` : '';
  const c = m.case;
  const caseRows = c
    ? `${row(t.caseState, `${c.reference} — ${CASE_WORDS[lang][c.state] ?? c.state}${m.assigneeName ? ` (${m.assigneeName})` : ''}`)}${row(t.urgency, t[c.urgency])}${row(t.deadline, `${when(c.deadlineAt, lang)} — ${CASE_WORDS[lang][c.deadlineStatus] ?? c.deadlineStatus}`)}`
    : '';
  const links = `<p class="links"><a id="viewer-link" href="/studies/${uid}/viewer">${esc(t.viewer)}</a>${s.requestId ? ` · <a href="/requests/${esc(s.requestId)}">${esc(t.requestTitle)}</a>` : ''}</p>`;
  const take = m.mayTake && c?.state === 'assigned'
    ? `<form id="take-form" method="post" action="/studies/${uid}/take"><button class="primary" id="take" type="submit">${esc(t.takeInCharge)}</button></form>`
    : '';
  const d = m.draft;
  let editor = '';
  if (m.mayWrite && (!m.doc || m.doc.state === 'draft')) {
    const options = m.templates.map((x) => `<option value="${esc(x.id)}"${x.id === d.templateId ? ' selected' : ''}>${esc(x.label[lang])}</option>`).join('');
    editor = `<section class="panel"><h2>${esc(t.reportTemplate)}</h2>
<form id="template-form" method="get" action="/studies/${uid}/report"><select id="template" name="template">${options}</select> <button id="apply-template" type="submit">${esc(t.applyTemplate)}</button></form></section>
<section class="panel"><h2>${esc(t.reportTitle)}</h2>
<form id="report-form" method="post" action="/studies/${uid}/report" autocomplete="off">
<input type="hidden" name="templateId" value="${esc(d.templateId)}">
<label for="title">${esc(t.reportTitleLabel)}</label><input id="title" name="title" maxlength="200" value="${esc(d.title)}">
<label for="text">${esc(t.findings)}</label><textarea id="text" name="text" rows="14" maxlength="60000">${esc(d.text)}</textarea>
<label for="conclusion">${esc(t.conclusion)}</label><textarea id="conclusion" name="conclusion" rows="3" maxlength="10000">${esc(d.conclusion)}</textarea>
<fieldset><legend>${esc(t.critical)}</legend>
<label><input type="checkbox" id="critical" name="critical" value="1"${d.critical ? ' checked' : ''}> ${esc(t.criticalCalled)}</label>
<label for="calledWho">${esc(t.calledWho)}</label><input id="calledWho" name="calledWho" maxlength="120" value="${esc(d.criticalCall?.who)}">
<label for="calledAt">${esc(t.calledAt)}</label><input id="calledAt" name="calledAt" type="datetime-local" value="${esc(d.criticalCall?.at)}">
</fieldset>
<button id="save-draft" type="submit" name="action" value="save">${esc(t.saveDraft)}</button>
<fieldset><legend>${esc(t.signTitle)}</legend><p class="note">${esc(t.signIntro)}</p>
<label for="rpps">RPPS</label><input id="rpps" name="rpps" pattern="[0-9]{11}" value="${esc(m.rpps)}">
<label for="password">${esc(t.password)}</label><input id="password" name="password" type="password" autocomplete="current-password">
${m.totpActive ? `<label for="totp">${esc(t.totp)}</label><input id="totp" name="totp" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code">` : ''}
<button class="primary" id="sign" type="submit" name="action" value="sign">${esc(t.sign)}</button></fieldset>
</form></section>`;
  }
  let signed = '';
  if (m.doc?.state === 'signed' && m.doc.signed) {
    signed = `<section class="panel" id="signed"><h2>${esc(t.original)}</h2>${signedBlock(lang, m.doc.signed, m.deliveries.get(m.doc.signed.reportId), 'original')}</section>`;
    if (m.doc.addenda.length > 0) signed += `<section class="panel" id="addenda"><h2>${esc(t.addenda)}</h2>${m.doc.addenda.map((a) => signedBlock(lang, a, m.deliveries.get(a.reportId), 'addendum')).join('\n')}</section>`;
    if (m.mayWrite) {
      signed += `<section class="panel"><h2>${esc(t.addendum)}</h2><form id="addendum-form" method="post" action="/studies/${uid}/report/addenda" autocomplete="off">
<label for="addendumText">${esc(t.addendumText)}</label><textarea id="addendumText" name="text" rows="5" maxlength="20000" required></textarea>
<label><input type="checkbox" name="critical" value="1"> ${esc(t.criticalCalled)}</label>
<label for="a-calledWho">${esc(t.calledWho)}</label><input id="a-calledWho" name="calledWho" maxlength="120">
<label for="a-calledAt">${esc(t.calledAt)}</label><input id="a-calledAt" name="calledAt" type="datetime-local">
<label for="a-rpps">RPPS</label><input id="a-rpps" name="rpps" pattern="[0-9]{11}" value="${esc(m.rpps)}">
<label for="a-password">${esc(t.password)}</label><input id="a-password" name="password" type="password" autocomplete="current-password">
${m.totpActive ? `<label for="a-totp">${esc(t.totp)}</label><input id="a-totp" name="totp" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code">` : ''}
<button class="primary" id="sign-addendum" type="submit">${esc(t.signAddendum)}</button></form></section>`;
    }
  }
  const timeline = c
    ? `<section class="panel"><h2>${esc(t.timeline)}</h2><ol id="timeline">${c.timeline.map((e) => `<li data-type="${esc(e.type)}"><time>${esc(when(e.at, lang))}</time> ${esc(e.text[lang])}</li>`).join('')}</ol></section>`
    : '';
  const body = `<section class="panel"><table id="study" data-study="${uid}" data-state="${esc(m.doc?.state ?? 'draft')}"><tbody>
${identity}${row(t.study, [s.modalities.join('/'), s.dicom.studyDescription].filter(Boolean).join(' — '))}${caseRows}
</tbody></table>${links}${take}</section>
${editor}${signed}${timeline}`;
  return readingShell(lang, `${t.reportTitle}${c ? ` — ${c.reference}` : ''}`, nav, body, m.message);
}

/**
 * The assigned radiologist's page for one exam request: identity (roles with patient:read),
 * clinical context and question, precautions, requester, the answers so far, and three forms —
 * accept and send the protocol (template of the exam type + free text), ask for more
 * information, decline with a reason. Server-rendered; every value escaped.
 */
import { examType } from '../../protocol/exams.ts';
import type { HubRequestRecord } from '../requests/request-store.ts';
import { esc, readingShell, type NavLink } from './html.ts';
import { READING_TEXTS, type ReadingLang } from './texts.ts';

export function requestPage(lang: ReadingLang, nav: NavLink[], r: HubRequestRecord, opts: { withIdentity: boolean; mayAnswer: boolean; message?: { kind: 'ok' | 'error'; text: string } }): string {
  const t = READING_TEXTS[lang];
  const q = r.request;
  const et = examType(q.exam.examType);
  const row = (k: string, v: string | undefined) => (v ? `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>` : '');
  const p = q.patient;
  const identity = opts.withIdentity
    ? `${row(t.patient, `${p.birthNames} ${p.firstNames}`)}${row(t.birth, p.birthDate)}${row(t.sex, p.sex)}${row(t.ins, p.ins?.matricule)}${row(t.localId, `${p.localId.value} (${p.localId.issuer})`)}`
    : '';
  const answers = r.answers
    .map((a) => `<li data-decision="${esc(a.decision)}">${esc(a.answeredAt)} — ${esc(a.radiologist.name)} — ${esc(t[`s_${a.decision}`])}${a.protocol ? ` : ${esc(a.protocol.templateLabel[lang])} — ${esc(a.protocol.text)}` : ''}${a.question ? ` : ${esc(a.question)}` : ''}${a.reason ? ` : ${esc(a.reason)}` : ''}</li>`)
    .join('');
  const options = (et?.templates ?? []).map((tp) => `<option value="${esc(tp.id)}">${esc(tp.label[lang])}</option>`).join('');
  const forms = opts.mayAnswer && r.status !== 'cancelled'
    ? `<section class="panel"><h2>${esc(t.accept)}</h2><form id="accept-form" method="post" action="/requests/${esc(r.requestId)}/answer">
  <input type="hidden" name="decision" value="accepted">
  <label for="templateId">${esc(t.template)}</label> <select id="templateId" name="templateId" required>${options}</select>
  <label for="protocolText">${esc(t.protocolText)}</label> <textarea id="protocolText" name="protocolText" rows="4" maxlength="4000"></textarea>
  <button class="primary" id="send-protocol" type="submit">${esc(t.sendProtocol)}</button></form></section>
<section class="panel"><h2>${esc(t.askInfo)}</h2><form id="ask-form" method="post" action="/requests/${esc(r.requestId)}/answer">
  <input type="hidden" name="decision" value="needs-information">
  <label for="question">${esc(t.askLabel)}</label> <textarea id="question" name="question" rows="3" minlength="3" maxlength="2000" required></textarea>
  <button id="send-question" type="submit">${esc(t.sendQuestion)}</button></form></section>
<section class="panel"><h2>${esc(t.decline)}</h2><form id="decline-form" method="post" action="/requests/${esc(r.requestId)}/answer">
  <input type="hidden" name="decision" value="declined">
  <label for="reason">${esc(t.reasonLabel)}</label> <textarea id="reason" name="reason" rows="3" minlength="3" maxlength="2000" required></textarea>
  <button id="send-decline" type="submit">${esc(t.sendDecline)}</button></form></section>`
    : r.status === 'cancelled' ? `<p class="note">${esc(t.cancelledNote)}</p>` : '';
  const body = `<section class="panel"><table id="request" data-request="${esc(r.requestId)}" data-status="${esc(r.status)}"><tbody>
${identity}${row(t.urgency, t[q.urgency])}${row(t.exam, et?.label[lang] ?? q.exam.examType)}${row(t.context, q.clinical.context)}${row(t.question, q.clinical.question)}${row(t.precautions, q.clinical.precautions)}${row(t.additional, q.clinical.additionalInformation)}${row(t.requester, `${q.requester.name}${q.requester.service ? `, ${q.requester.service}` : ''} — ${q.requester.phone}`)}${row(t.status, t[`s_${r.status}`])}
</tbody></table></section>
${answers ? `<section class="panel"><h2>${esc(t.answers)}</h2><ul id="answers">${answers}</ul></section>` : ''}
${forms}`;
  return readingShell(lang, t.requestTitle, nav, body, opts.message);
}

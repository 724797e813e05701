/**
 * HTML of the agent's local page, rendered on the server (no script, no external resource:
 * it works in any browser of the site and prints as it shows). Every value is escaped. The
 * protocol answer is shown in a banner at the top of its request and on the list; the request
 * page prints cleanly (print stylesheet hides navigation and forms).
 */
import { EXAM_TYPES, examType } from '../../protocol/exams.ts';
import { INS_OIDS } from '../../protocol/ins.ts';
import type { AgentRequestRecord } from '../requests/request-store.ts';
import type { StudyState } from '../matching/study-registry.ts';
import { UI_TEXTS, problemText, type UiKey, type UiLang } from './texts.ts';

export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const CSS = `body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#123;color:#fff}header a,header button{color:#fff}main{padding:1rem;max-width:1100px}table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #ccd;padding:.35rem .5rem;text-align:left;vertical-align:top}fieldset{background:#fff;border:1px solid #ccd;margin:0 0 1rem}label{display:block;margin:.4rem 0 .1rem;font-weight:600}input,select,textarea{width:100%;max-width:32rem;padding:.3rem;font:inherit}textarea{min-height:4rem}.err{color:#a00;font-weight:600}.warn{color:#8a5a00}.banner{border:2px solid;padding:.8rem 1rem;margin:0 0 1rem;background:#fff}.b-accepted{border-color:#186a3b}.b-needs-information{border-color:#b9770e}.b-declined{border-color:#a00}.critical{color:#fff;background:#a00;padding:.1rem .4rem}.u-emergency{color:#a00;font-weight:700}.spacer{flex:1}form.inline{display:inline}@media print{header,form,.noprint{display:none}body{background:#fff}}`;

function shell(lang: UiLang, title: string, body: string, user?: { displayName: string }, csrf?: string): string {
  const t = UI_TEXTS[lang];
  const nav = user
    ? `<header><strong>${esc(t.app)}</strong><a href="/">${esc(t.requests)}</a><a href="/requests/new">${esc(t.newRequest)}</a><span class="spacer"></span><span>${esc(user.displayName)}</span><a href="?lang=${lang === 'fr' ? 'en' : 'fr'}">${lang === 'fr' ? 'EN' : 'FR'}</a><form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${esc(csrf)}"><button type="submit">${esc(t.signOut)}</button></form></header>`
    : `<header><strong>${esc(t.app)}</strong><span class="spacer"></span><a href="?lang=${lang === 'fr' ? 'en' : 'fr'}">${lang === 'fr' ? 'EN' : 'FR'}</a></header>`;
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><link rel="stylesheet" href="/local.css"></head><body>${nav}<main>${body}</main></body></html>`;
}

export function loginPage(lang: UiLang, message?: string, noUser?: boolean): string {
  const t = UI_TEXTS[lang];
  return shell(
    lang,
    `${t.app} — ${t.login}`,
    `<h1>${esc(t.login)}</h1>${noUser ? `<p class="err" id="no-user">${esc(t.noUser)}</p>` : ''}${message ? `<p class="err" role="alert" id="login-error">${esc(message)}</p>` : ''}
<form method="post" action="/login"><label for="user">${esc(t.user)}</label><input id="user" name="user" autocomplete="username" required>
<label for="password">${esc(t.password)}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">${esc(t.signIn)}</button></p></form>`,
  );
}

function statusText(lang: UiLang, r: AgentRequestRecord): string {
  return UI_TEXTS[lang][`s_${r.status}` as UiKey] ?? r.status;
}

export function listPage(lang: UiLang, user: { displayName: string }, csrf: string, records: AgentRequestRecord[], held: StudyState[]): string {
  const t = UI_TEXTS[lang];
  const rows = records
    .map((r) => {
      const fresh = r.answers.length > 0 && !r.answerSeenAt ? ` <strong>(${esc(t.newAnswer)})</strong>` : '';
      const crit = r.reports.some((x) => x.critical) ? ` <span class="critical">${esc(t.critical)}</span>` : '';
      return `<tr data-request="${esc(r.request.requestId)}" data-status="${esc(r.status)}"><td>${esc(r.request.createdAt.slice(0, 16).replace('T', ' '))}</td><td class="u-${esc(r.request.urgency)}">${esc(t[r.request.urgency])}</td><td>${esc(examType(r.request.exam.examType)?.label[lang] ?? r.request.exam.examType)}</td><td>${esc(r.request.patient.birthNames)} ${esc(r.request.patient.firstNames.split(' ')[0])}</td><td>${esc(r.request.accessionNumber)}</td><td><a href="/requests/${esc(r.request.requestId)}">${esc(statusText(lang, r))}</a>${fresh}${crit}</td></tr>`;
    })
    .join('');
  const heldRows = held.map((s) => `<tr data-held="${esc(s.studyInstanceUid)}"><td>${esc(s.firstSeenAt.slice(0, 16).replace('T', ' '))}</td><td>${esc(s.identity.patientName ?? '')}</td><td>${esc(s.identity.accessionNumber ?? '')}</td><td>${esc(s.reasons.join(', '))}</td></tr>`).join('');
  return shell(
    lang,
    t.requests,
    `<h1>${esc(t.requests)}</h1><p class="noprint"><a href="/requests/new">${esc(t.newRequest)}</a></p>
${records.length === 0 ? `<p>${esc(t.none)}</p>` : `<table id="requests"><thead><tr><th>${esc(t.created)}</th><th>${esc(t.urgency)}</th><th>${esc(t.exam)}</th><th>${esc(t.patient)}</th><th>${esc(t.accession)}</th><th>${esc(t.status)}</th></tr></thead><tbody>${rows}</tbody></table>`}
${held.length > 0 ? `<h2>${esc(t.held)}</h2><table id="held"><tbody>${heldRows}</tbody></table>` : ''}`,
    user,
    csrf,
  );
}

export interface FormView {
  values: Record<string, string>;
  problems: Map<string, string>;
  stations: string[];
}

export function formPage(lang: UiLang, user: { displayName: string }, csrf: string, view: FormView): string {
  const t = UI_TEXTS[lang];
  const v = (k: string) => esc(view.values[k] ?? '');
  const err = (k: string) => (view.problems.has(k) ? `<span class="err" data-error-for="${k}">${esc(problemText(lang, view.problems.get(k)!))}</span>` : '');
  const input = (k: string, label: UiKey, attrs = '') => `<label for="${k}">${esc(t[label])}</label><input id="${k}" name="${k}" value="${v(k)}" ${attrs}>${err(k)}`;
  const select = (k: string, label: UiKey, options: Array<[string, string]>) =>
    `<label for="${k}">${esc(t[label])}</label><select id="${k}" name="${k}">${options.map(([val, text]) => `<option value="${esc(val)}"${view.values[k] === val ? ' selected' : ''}>${esc(text)}</option>`).join('')}</select>${err(k)}`;
  const area = (k: string, label: UiKey, attrs = '') => `<label for="${k}">${esc(t[label])}</label><textarea id="${k}" name="${k}" ${attrs}>${v(k)}</textarea>${err(k)}`;
  return shell(
    lang,
    t.newRequest,
    `<h1>${esc(t.newRequest)}</h1>${view.problems.size > 0 ? `<p class="err" role="alert" id="form-error">${esc(t.fix)}</p>` : ''}
<form method="post" action="/requests" novalidate><input type="hidden" name="_csrf" value="${esc(csrf)}">
<fieldset><legend>${esc(t.identity)}</legend>
${input('insMatricule', 'insMatricule', 'inputmode="numeric" autocomplete="off"')}
${select('insOid', 'insOid', [['none', t.noIns], [INS_OIDS.nir, t.oidNir], [INS_OIDS.nia, t.oidNia], [INS_OIDS.nirTest, t.oidNirTest], [INS_OIDS.niaTest, t.oidNiaTest]])}
${input('birthNames', 'birthNames', 'required autocomplete="off"')}
${input('firstNames', 'firstNames', 'required autocomplete="off"')}
${select('sex', 'sex', [['', '—'], ['F', t.sexF], ['M', t.sexM], ['O', t.sexO]])}
${input('birthDate', 'birthDate', 'type="date" required')}
${input('birthPlaceCode', 'birthPlace', 'maxlength="5"')}
${input('localId', 'localId', 'required')}
${input('localIssuer', 'localIssuer')}
</fieldset>
<fieldset><legend>${esc(t.clinical)}</legend>
${area('context', 'context', 'required')}
${area('question', 'question', 'required')}
${area('precautions', 'precautions')}
${select('urgency', 'urgency', [['emergency', t.emergency], ['scheduled', t.scheduled], ['deferred', t.deferred]])}
</fieldset>
<fieldset><legend>${esc(t.examSection)}</legend>
${select('examType', 'examType', EXAM_TYPES.map((e) => [e.code, `${e.label[lang]} (${e.modality})`]))}
${input('scheduledAt', 'scheduledAt', 'type="datetime-local"')}
${view.stations.length > 0 ? select('station', 'station', [['', '—'], ...view.stations.map((s): [string, string] => [s, s])]) : ''}
</fieldset>
<fieldset><legend>${esc(t.requester)}</legend>
${input('requesterName', 'requesterName', 'required')}
${input('rpps', 'rpps', 'inputmode="numeric"')}
${input('service', 'service')}
${input('phone', 'phone', 'type="tel" required')}
${input('email', 'email', 'type="email"')}
</fieldset>
<p><button type="submit">${esc(t.submit)}</button></p></form>`,
    user,
    csrf,
  );
}

export function requestPage(lang: UiLang, user: { displayName: string }, csrf: string, r: AgentRequestRecord, notice?: string, warnings: string[] = []): string {
  const t = UI_TEXTS[lang];
  const q = r.request;
  const p = q.patient;
  const a = r.answers.at(-1);
  let banner = `<div class="banner" id="answer"><h2>${esc(t.answer)}</h2><p>${esc(t.noAnswer)}</p></div>`;
  if (a) {
    const body =
      a.decision === 'accepted'
        ? `<p><strong>${esc(t.protocol)} :</strong> ${esc(a.protocol?.templateLabel[lang])}</p><p>${esc(a.protocol?.text)}</p>`
        : a.decision === 'needs-information'
          ? `<p><strong>${esc(t.questionAsked)} :</strong> ${esc(a.question)}</p>`
          : `<p><strong>${esc(t.reason)} :</strong> ${esc(a.reason)}</p>`;
    banner = `<div class="banner b-${esc(a.decision)}" id="answer" data-decision="${esc(a.decision)}"><h2>${esc(t.answer)} — ${esc(UI_TEXTS[lang][`s_${a.decision}` as UiKey])}</h2>${body}<p>${esc(t.by)} ${esc(a.radiologist.name)}${a.radiologist.rpps ? ` (RPPS ${esc(a.radiologist.rpps)})` : ''}, ${esc(a.answeredAt.slice(0, 16).replace('T', ' '))} UTC</p></div>`;
  }
  const reports = r.reports
    .map((x) => `<li data-report="${esc(x.reportId)}">${x.critical ? `<span class="critical">${esc(t.critical)}</span> ` : ''}<a href="/reports/${esc(x.reportId)}.pdf">${esc(x.title)}</a> — ${esc(x.radiologist)}, ${esc(x.signedAt.slice(0, 16).replace('T', ' '))} UTC — ${esc(UI_TEXTS[lang][`r_${x.status}` as UiKey])}</li>`)
    .join('');
  const actions =
    r.status === 'cancelled'
      ? ''
      : `<form method="post" action="/requests/${esc(q.requestId)}/update"><input type="hidden" name="_csrf" value="${esc(csrf)}"><label for="additionalInformation">${esc(t.addInfo)}</label><textarea id="additionalInformation" name="additionalInformation" required></textarea><p><button type="submit">${esc(t.send)}</button></p></form>
<form method="post" action="/requests/${esc(q.requestId)}/cancel"><input type="hidden" name="_csrf" value="${esc(csrf)}"><label for="reason">${esc(t.cancelReason)}</label><input id="reason" name="reason" required minlength="3"><p><button type="submit">${esc(t.cancel)}</button></p></form>`;
  return shell(
    lang,
    `${t.exam} ${q.accessionNumber}`,
    `${notice ? `<p class="noprint" role="status" id="notice">${esc(notice)}</p>` : ''}${warnings.map((w) => `<p class="warn">${esc(t.warning)} : ${esc(w)}</p>`).join('')}
${banner}
<h1>${esc(examType(q.exam.examType)?.label[lang] ?? q.exam.examType)} — <span class="u-${esc(q.urgency)}">${esc(t[q.urgency])}</span></h1>
<p id="status" data-status="${esc(r.status)}"><strong>${esc(t.status)} :</strong> ${esc(statusText(lang, r))} · <strong>${esc(t.accession)} :</strong> ${esc(q.accessionNumber)}</p>
<table><tbody>
<tr><th>${esc(t.patient)}</th><td>${esc(p.birthNames)} ${esc(p.firstNames)} · ${esc(p.sex)} · ${esc(p.birthDate)}${p.birthPlaceCode ? ` · ${esc(p.birthPlaceCode)}` : ''}</td></tr>
<tr><th>INS</th><td>${p.ins ? `${esc(p.ins.matricule)} (${esc(p.ins.oid)})` : '—'}</td></tr>
<tr><th>${esc(t.localId)}</th><td>${esc(p.localId.value)} (${esc(p.localId.issuer)})</td></tr>
<tr><th>${esc(t.context)}</th><td>${esc(q.clinical.context)}</td></tr>
<tr><th>${esc(t.question)}</th><td>${esc(q.clinical.question)}</td></tr>
${q.clinical.additionalInformation ? `<tr><th>${esc(t.addInfo)}</th><td>${esc(q.clinical.additionalInformation)}</td></tr>` : ''}
<tr><th>${esc(t.requester)}</th><td>${esc(q.requester.name)} · ${esc(q.requester.phone)}${q.requester.email ? ` · ${esc(q.requester.email)}` : ''}</td></tr>
</tbody></table>
${reports ? `<h2>${esc(t.reports)}</h2><ul id="reports">${reports}</ul>` : ''}
<p class="noprint"><a href="/">${esc(t.back)}</a></p>
${actions}`,
    user,
    csrf,
  );
}

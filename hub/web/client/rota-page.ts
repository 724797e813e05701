/**
 * The rota page (admins and operators): who is on call now and next per team, the active alert
 * channels, then each part of the rota as a table with its form — replacements and swaps for
 * operators and admins, everything else for admins — policy, CSV/iCalendar import and export.
 * Every change goes through the dispatch routes (hub/dispatch/routes.ts); refusals are shown
 * with the hub's reasons. On-call is fetched again after each change and every minute.
 */
import type { OnCallAnswer, OnCallEntry, Rota } from '../../../protocol/dispatch.ts';
import { ApiError, api, el, fromLocalInput, toLocalInput, when, zoneName } from './dom.ts';
import { startFrame, type Me } from './frame.ts';
import { POLICY_FIELDS, SPECS, SWAP_FIELDS, buildFields, readFields, showFieldErrors, zonesDatalist, type CollectionSpec, type FieldSpec, type RenderContext } from './rota-forms.ts';

let rota: Rota | undefined;
let onCall: OnCallAnswer | undefined;
let channels: string[] = [];
let me: Me | undefined;
/** Open forms: collection → id being edited ('' = new item). */
const editing = new Map<string, string>();

const frame = startFrame(() => renderAll());
const isAdmin = () => me?.role === 'admin';

function ctx(): RenderContext {
  return { rota: rota!, lang: frame.lang(), tx: frame.tx, now: Date.now() };
}

function showError(box: HTMLElement, err: unknown): void {
  box.className = 'form-message error';
  if (err instanceof ApiError) {
    const heading = err.code === 'RELAIS_ROTA_INVALID' ? frame.tx('rotaRefused') : `${frame.tx('requestFailed')} ${err.message}`;
    box.replaceChildren(el('div', {}, heading), ...(err.problems.length ? [el('ul', {}, ...err.problems.map((p) => el('li', {}, p)))] : []));
  } else {
    box.replaceChildren(frame.tx('networkError'));
  }
}

async function reload(): Promise<void> {
  const [r, oc, ch] = await Promise.all([
    api<Rota>('GET', '/api/v1/dispatch/rota'),
    api<OnCallAnswer>('GET', '/api/v1/dispatch/on-call'),
    api<{ channels: string[] }>('GET', '/api/v1/dispatch/channels'),
  ]);
  rota = r;
  onCall = oc;
  channels = ch.channels;
  renderAll();
}

async function refreshOnCall(): Promise<void> {
  onCall = await api<OnCallAnswer>('GET', '/api/v1/dispatch/on-call');
  renderOnCall();
}

// ---- on call --------------------------------------------------------------------------------

function person(e: OnCallEntry, showUntil: boolean): HTMLElement {
  const l = frame.lang();
  return el(
    'li',
    { 'data-radiologist': e.radiologistId, 'data-role': e.role },
    el('span', { class: 'strong' }, e.displayName),
    ` — ${frame.tx(`role_${e.role}`)}`,
    showUntil ? el('span', { class: 'muted' }, `, ${frame.tx('onCallUntil')} ${when(l, e.until)} · ${e.openCases} ${frame.tx('openCasesShort')}`) : '',
  );
}

function renderOnCall(): void {
  const body = document.getElementById('oncall-body');
  if (!body || !rota || !onCall) return;
  const l = frame.lang();
  const chan = document.getElementById('channels');
  if (chan) chan.textContent = `${frame.tx('channelsActive')} ${channels.map((c) => frame.tx(`channel_${c}`)).join(', ')} · ${zoneName(l)}`;
  if (rota.teams.length === 0) {
    body.replaceChildren(el('p', { class: 'empty' }, frame.tx('none')));
    return;
  }
  body.replaceChildren(
    ...rota.teams.map((team) => {
      const now = onCall!.onCall.filter((x) => x.teamId === team.id);
      const next = onCall!.next.find((x) => x.teamId === team.id);
      return el(
        'div',
        { class: 'oncall-card', 'data-team': team.id },
        el('h3', {}, team.name, el('span', { class: 'muted' }, ` ${team.zone}`)),
        el('div', { class: 'label' }, frame.tx('onCallNow')),
        now.length ? el('ul', { 'data-oncall': 'now' }, ...now.map((e) => person(e, true))) : el('p', { class: 'warn', 'data-oncall': 'now' }, frame.tx('onCallNobody')),
        el('div', { class: 'label' }, next ? `${frame.tx('onCallNext')}, ${frame.tx('onCallNextAt')} ${when(l, next.at)}` : frame.tx('onCallNext')),
        next
          ? next.onCall.length ? el('ul', { 'data-oncall': 'next' }, ...next.onCall.map((e) => person(e, false))) : el('p', { class: 'warn', 'data-oncall': 'next' }, frame.tx('onCallNobody'))
          : el('p', { class: 'muted', 'data-oncall': 'next' }, frame.tx('onCallNoChange')),
      );
    }),
  );
}

// ---- collections ----------------------------------------------------------------------------

function mayEdit(spec: CollectionSpec): boolean {
  return isAdmin() || (!!spec.operatorMay && me?.role === 'operator');
}

function renderCollection(spec: CollectionSpec): void {
  const body = document.getElementById(`${spec.collection}-body`);
  if (!body || !rota) return;
  const c = ctx();
  const items = (rota[spec.collection] as unknown as Array<Record<string, unknown>>).filter((x) => !spec.shown || spec.shown(x, c.now));
  const editable = mayEdit(spec);
  const head = el('tr', {}, ...spec.columns.map((col) => el('th', {}, frame.tx(col.label))), editable ? el('th', {}, frame.tx('actions')) : '');
  const rows = items.map((item) => {
    const id = String(item.id);
    const actions = el('td', { class: 'actions' });
    if (editable && !spec.listOnly) {
      const b = el('button', { type: 'button', class: 'small', 'data-action': 'edit' }, frame.tx('edit'));
      b.addEventListener('click', () => {
        editing.set(spec.collection, id);
        renderCollection(spec);
      });
      actions.append(b);
    }
    if (editable) {
      const d = el('button', { type: 'button', class: 'small danger', 'data-action': 'delete' }, frame.tx('delete'));
      d.addEventListener('click', () => void remove(spec, id, body));
      actions.append(d);
    }
    return el('tr', { 'data-id': id }, ...spec.columns.map((col) => el('td', {}, col.cell(item, c))), editable ? actions : '');
  });
  const table = el('table', { 'data-collection': spec.collection }, el('thead', {}, head), el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: String(spec.columns.length + 1), class: 'empty' }, frame.tx('none')))])));
  const message = el('div', { class: 'form-message', role: 'alert', 'data-message': spec.collection });
  const parts: Node[] = [el('div', { class: 'table-wrap' }, table), message];
  if (editable && !spec.listOnly) {
    const open = editing.get(spec.collection);
    if (open === undefined) {
      const add = el('button', { type: 'button', class: 'primary', 'data-action': 'add' }, frame.tx('add'));
      add.addEventListener('click', () => {
        editing.set(spec.collection, '');
        renderCollection(spec);
      });
      parts.push(el('div', { class: 'toolbar' }, add));
    } else {
      parts.push(collectionForm(spec, open === '' ? undefined : items.find((x) => x.id === open) ?? (rota[spec.collection] as unknown as Array<Record<string, unknown>>).find((x) => x.id === open), message));
    }
  }
  body.replaceChildren(...parts);
}

function collectionForm(spec: CollectionSpec, item: Record<string, unknown> | undefined, message: HTMLElement): HTMLFormElement {
  const formId = `form-${spec.collection}`;
  const form = el('form', { id: formId, class: 'editor', novalidate: '' });
  const save = el('button', { type: 'submit', class: 'primary' }, frame.tx('save'));
  const cancel = el('button', { type: 'button' }, frame.tx('cancel'));
  cancel.addEventListener('click', () => {
    editing.delete(spec.collection);
    renderCollection(spec);
  });
  form.append(buildFields(formId, spec.fields, item, ctx()), el('div', { class: 'toolbar' }, save, cancel));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit(spec, form, item, message);
  });
  return form;
}

async function submit(spec: CollectionSpec, form: HTMLFormElement, original: Record<string, unknown> | undefined, message: HTMLElement): Promise<void> {
  const read = readFields(form, spec.fields, original ?? {}, rota!);
  let item = read.item;
  if (!item.id) item.id = spec.newId ? spec.newId() : '';
  if (spec.finalize) item = spec.finalize(item);
  const cross = read.errors.length === 0 ? spec.check?.(item) : undefined;
  const errors = cross ? [...read.errors, cross] : read.errors;
  showFieldErrors(form, errors, frame.tx);
  if (errors.length) {
    message.className = 'form-message error';
    message.textContent = frame.tx('formErrors');
    return;
  }
  try {
    await api('PUT', `/api/v1/dispatch/rota/${spec.collection}/${encodeURIComponent(String(item.id))}`, item);
    editing.delete(spec.collection);
    await reload();
    frame.message(frame.tx('saved'));
  } catch (err) {
    showError(message, err);
  }
}

async function remove(spec: CollectionSpec, id: string, body: HTMLElement): Promise<void> {
  if (!confirm(frame.tx('confirmDelete'))) return;
  try {
    await api('DELETE', `/api/v1/dispatch/rota/${spec.collection}/${encodeURIComponent(id)}`);
    await reload();
    frame.message(frame.tx('deleted'));
  } catch (err) {
    const box = body.querySelector<HTMLElement>('[data-message]');
    if (box) showError(box, err);
  }
}

// ---- swaps, policy, import/export -------------------------------------------------------------

/**
 * A form over `fields`: checked on submit (errors beside the fields), then `send(item)`; the
 * rota is reloaded and `done` shown, or the hub's refusal is shown under the form.
 */
function checkedForm(id: string, fields: FieldSpec[], base: Record<string, unknown> | undefined, editable: boolean, send: (item: Record<string, unknown>) => Promise<unknown>, done: string): Node[] {
  const form = el('form', { id, class: 'editor', novalidate: '' });
  const message = el('div', { class: 'form-message', role: 'alert' });
  form.append(buildFields(id, fields, base, ctx()));
  if (editable) form.append(el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary' }, frame.tx('save'))));
  else form.querySelectorAll('input, select').forEach((i) => i.setAttribute('disabled', ''));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      const read = readFields(form, fields, base ?? {}, rota!);
      showFieldErrors(form, read.errors, frame.tx);
      if (read.errors.length) {
        message.className = 'form-message error';
        message.textContent = frame.tx('formErrors');
        return;
      }
      try {
        await send(read.item);
        await reload();
        frame.message(frame.tx(done));
      } catch (err) {
        showError(message, err);
      }
    })();
  });
  return [form, message];
}

function renderSwaps(): void {
  const body = document.getElementById('swaps-body');
  if (!body || !rota) return;
  const allowed = isAdmin() || me?.role === 'operator';
  document.getElementById('swaps')!.hidden = !allowed;
  if (!allowed) return;
  body.replaceChildren(...checkedForm('form-swap', SWAP_FIELDS, undefined, true, (item) => api('POST', '/api/v1/dispatch/rota/swaps', item), 'swapDone'));
}

function renderPolicy(): void {
  const body = document.getElementById('policy-body');
  if (!body || !rota) return;
  const policy = rota.policy as unknown as Record<string, unknown>;
  body.replaceChildren(...checkedForm('form-policy', POLICY_FIELDS, policy, isAdmin(), (item) => api('PUT', '/api/v1/dispatch/rota', { ...rota!, policy: item }), 'saved'));
}

function renderTransfer(): void {
  const body = document.getElementById('transfer-body');
  if (!body || !rota) return;
  const team = el('select', { id: 'transfer-team' }, el('option', { value: '' }, frame.tx('allTeams')), ...rota.teams.map((t) => el('option', { value: t.id }, t.name)));
  const day = new Date();
  day.setHours(0, 0, 0, 0);
  const from = el('input', { id: 'transfer-from', type: 'datetime-local', value: toLocalInput(day.getTime()) });
  const to = el('input', { id: 'transfer-to', type: 'datetime-local', value: toLocalInput(day.getTime() + 28 * 86_400_000) });
  const links = el('div', { class: 'toolbar' });
  const message = el('div', { class: 'form-message', role: 'alert' });
  const query = (extra: Record<string, string> = {}) => {
    const q = new URLSearchParams();
    if (team.value) q.set('teamId', team.value);
    const f = fromLocalInput(from.value);
    const t = fromLocalInput(to.value);
    if (f) q.set('from', f);
    if (t) q.set('to', t);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q.toString();
  };
  const paintLinks = () => {
    links.replaceChildren(
      el('a', { class: 'button', href: `/api/v1/dispatch/rota/shifts.csv?${query()}`, download: 'garde.csv', 'data-export': 'csv' }, frame.tx('exportCsv')),
      el('a', { class: 'button', href: `/api/v1/dispatch/rota/shifts.csv?${query({ sep: ';' })}`, download: 'garde.csv', 'data-export': 'csv-semicolon' }, frame.tx('exportCsvSemicolon')),
      el('a', { class: 'button', href: `/api/v1/dispatch/rota/shifts.ics?${query({ lang: frame.lang() })}`, download: 'garde.ics', 'data-export': 'ics' }, frame.tx('exportIcs')),
    );
  };
  for (const i of [team, from, to]) i.addEventListener('change', paintLinks);
  paintLinks();
  const field = (label: string, input: HTMLElement) => el('div', { class: 'field' }, el('label', { for: input.id }, label), input);
  const parts: Node[] = [el('div', { class: 'form-grid' }, field(frame.tx('f_team'), team), field(frame.tx('from'), from), field(frame.tx('to'), to)), links];
  if (isAdmin()) {
    const file = el('input', { id: 'transfer-file', type: 'file', accept: '.csv,.ics,text/csv,text/calendar' });
    const importAs = (kind: 'csv' | 'ics') => {
      const b = el('button', { type: 'button', 'data-import': kind }, frame.tx(kind === 'csv' ? 'importCsv' : 'importIcs'));
      b.addEventListener('click', () => {
        void (async () => {
          const f = file.files?.[0];
          if (!team.value || !f) {
            message.className = 'form-message error';
            message.textContent = `${frame.tx('missingField')} : ${!team.value ? frame.tx('f_team') : frame.tx('fileLabel')}`;
            return;
          }
          try {
            const out = await api<{ shifts: number }>('POST', `/api/v1/dispatch/rota/shifts.${kind}?${query()}`, await f.text(), kind === 'csv' ? 'text/csv' : 'text/calendar');
            await reload();
            frame.message(`${frame.tx('importDone')} ${out.shifts} ${frame.tx('shiftsWord')}`);
          } catch (err) {
            showError(message, err);
          }
        })();
      });
      return b;
    };
    parts.push(el('div', { class: 'form-grid' }, field(frame.tx('fileLabel'), file)), el('div', { class: 'toolbar' }, importAs('csv'), importAs('ics')));
  }
  parts.push(message);
  body.replaceChildren(...parts);
}

function renderAll(): void {
  if (!rota) return;
  const ro = document.getElementById('read-only');
  if (ro) ro.hidden = isAdmin();
  renderOnCall();
  for (const spec of SPECS) renderCollection(spec);
  renderSwaps();
  renderPolicy();
  renderTransfer();
  if (!document.getElementById('relais-zones')) document.body.append(zonesDatalist());
}

async function start(): Promise<void> {
  me = await frame.me;
  try {
    await reload();
    frame.setLive(true);
  } catch (err) {
    frame.message(err instanceof ApiError ? `${frame.tx('requestFailed')} ${err.message}` : frame.tx('networkError'), 'error');
  }
  setInterval(() => {
    void refreshOnCall().then(() => frame.setLive(true), () => frame.setLive(false));
  }, 60_000);
}

void start();

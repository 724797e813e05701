/**
 * The operators' view of cases, live over the /dispatch socket.io namespace (the session
 * cookie authenticates it): counters (waiting, escalations, deadlines at risk and breached),
 * the cases waiting for someone, the escalations in progress, the deadlines in danger, every
 * open case with the decision that placed it (« assigné à … »), and the chosen case's timeline
 * with a reassign form. Alerts sent to the operators' room are listed as they come.
 * `/cases#<caseId>` opens that case's timeline. No patient data is ever received.
 */
import type { AlertEvent, DeadlineCounters, EscalationEvent, Rota, WorklistItem } from '../../../protocol/dispatch.ts';
import { ApiError, api, el, when } from './dom.ts';
import { startFrame } from './frame.ts';
import { connectDispatch } from './dispatch-socket.ts';

interface TimelineAnswer {
  caseId: string;
  reference: string;
  timeline: Array<{ at: string; type: string; text: string }>;
}

const OPEN = ['received', 'assigned', 'acknowledged', 'held'];
const cases = new Map<string, WorklistItem>();
let counters: DeadlineCounters | undefined;
let radiologists: Rota['radiologists'] = [];
let selected: string | undefined = decodeURIComponent(location.hash.slice(1)) || undefined;
let timeline: TimelineAnswer | undefined;
const alerts: Array<{ at: number; text: { fr: string; en: string }; caseId: string }> = [];

const frame = startFrame(() => renderAll());

function badge(kind: string, text: string): HTMLElement {
  return el('span', { class: `badge badge-${kind}` }, text);
}

function exam(c: WorklistItem): string {
  return `${c.modality}${c.bodyPart ? ` ${c.bodyPart}` : ''}`;
}

function caseTable(id: string, items: WorklistItem[], extra?: 'escalation'): void {
  const body = document.getElementById(`${id}-body`);
  const count = document.getElementById(`${id}-count`);
  if (!body) return;
  if (count) count.textContent = String(items.length);
  const l = frame.lang();
  const tx = frame.tx;
  const heads = ['colRef', 'colSite', 'colUrgency', 'colExam', 'colState', 'colAssignee', 'colDeadline', ...(extra ? ['colNextEscalation'] : []), 'colWhy'];
  const rows = items.map((c) => {
    const row = el(
      'tr',
      { 'data-case': c.caseId, 'data-state': c.state, class: c.caseId === selected ? 'selected clickable' : 'clickable', tabindex: '0' },
      el('td', { class: 'mono' }, c.reference),
      el('td', {}, c.siteName),
      el('td', {}, badge(c.urgency, tx(`urgency_${c.urgency}`))),
      el('td', {}, exam(c)),
      el('td', {}, badge(`case-${c.state}`, tx(`case_${c.state}`)), c.escalationStep ? el('div', { class: 'muted' }, `${tx('counterEscalations')} : ${c.escalationStep}`) : ''),
      el('td', {}, c.assigneeName ?? tx('dash')),
      el('td', {}, when(l, c.deadlineAt), ' ', badge(`deadline-${c.deadlineStatus}`, tx(`deadline_${c.deadlineStatus.replace('-', '_')}`))),
      ...(extra ? [el('td', {}, c.nextEscalationAt ? when(l, c.nextEscalationAt) : tx('dash'))] : []),
      el('td', { class: 'why' }, c.explanation?.[l] ?? ''),
    );
    const open = () => select(c.caseId);
    row.addEventListener('click', open);
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') open();
    });
    return row;
  });
  body.replaceChildren(
    el('div', { class: 'table-wrap' }, el('table', { 'data-table': id }, el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', {}, tx(h))))), el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: String(heads.length), class: 'empty' }, tx('noCases')))])))),
  );
}

function renderCounters(): void {
  const box = document.getElementById('counters');
  if (!box || !counters) return;
  const sum = (k: 'onTime' | 'atRisk' | 'breached') => Object.values(counters!.open).reduce((n, x) => n + x[k], 0);
  const closed = (k: 'met' | 'missed') => Object.values(counters!.closed).reduce((n, x) => n + x[k], 0);
  const escalating = [...cases.values()].filter((c) => c.state === 'assigned' && (c.escalationStep ?? 0) > 0).length;
  const tile = (key: string, value: number, kind: string, id: string) => el('div', { class: `tile tile-${kind}`, 'data-counter': id }, el('div', { class: 'tile-value' }, String(value)), el('div', { class: 'tile-label' }, frame.tx(key)));
  box.replaceChildren(
    tile('counterOpen', sum('onTime') + sum('atRisk') + sum('breached'), 'plain', 'open'),
    tile('counterWaiting', counters.waiting, counters.waiting ? 'bad' : 'plain', 'waiting'),
    tile('counterEscalations', escalating, escalating ? 'warn' : 'plain', 'escalating'),
    tile('counterAtRisk', sum('atRisk'), sum('atRisk') ? 'warn' : 'plain', 'at-risk'),
    tile('counterBreached', sum('breached'), sum('breached') ? 'bad' : 'plain', 'breached'),
    tile('counterMet', closed('met'), 'ok', 'met'),
    tile('counterMissed', closed('missed'), closed('missed') ? 'bad' : 'plain', 'missed'),
  );
}

function renderAlerts(): void {
  const body = document.getElementById('alerts-body');
  const count = document.getElementById('alerts-count');
  if (!body) return;
  if (count) count.textContent = String(alerts.length);
  const l = frame.lang();
  body.replaceChildren(
    alerts.length
      ? el('ul', { class: 'alerts' }, ...alerts.map((a) => el('li', { 'data-case': a.caseId }, el('span', { class: 'muted' }, when(l, a.at)), ' ', a.text[l])))
      : el('p', { class: 'empty' }, frame.tx('noAlerts')),
  );
}

function renderTimeline(): void {
  const body = document.getElementById('timeline-body');
  if (!body) return;
  const c = selected ? cases.get(selected) : undefined;
  if (!selected || !timeline || timeline.caseId !== selected) {
    body.replaceChildren(el('p', { class: 'empty' }, frame.tx('timelineHint')));
    return;
  }
  const l = frame.lang();
  const head = el('p', { class: 'case-head' }, el('span', { class: 'mono strong' }, `${frame.tx('colRef')} ${timeline.reference}`), c ? ` — ${c.siteName}, ${frame.tx(`urgency_${c.urgency}`)}, ${exam(c)}` : '');
  const list = el('ol', { class: 'timeline', 'data-timeline': selected }, ...timeline.timeline.map((e) => el('li', { 'data-type': e.type }, el('time', { datetime: e.at }, when(l, e.at)), ' ', el('span', {}, e.text))));
  const parts: Node[] = [head, list];
  if (c && ['received', 'assigned', 'acknowledged'].includes(c.state) && radiologists.length) {
    const pick = el('select', { id: 'reassign-to' }, ...radiologists.filter((r) => r.active !== false).map((r) => el('option', { value: r.id }, r.displayName)));
    const reason = el('input', { id: 'reassign-reason', type: 'text', maxlength: '200' });
    const message = el('div', { class: 'form-message', role: 'alert' });
    const go = el('button', { type: 'submit', class: 'primary' }, frame.tx('reassign'));
    const form = el('form', { class: 'editor inline' }, el('label', { for: 'reassign-to' }, frame.tx('reassignLabel')), pick, el('label', { for: 'reassign-reason' }, frame.tx('reassignReason')), reason, go);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void api('POST', `/api/v1/dispatch/cases/${encodeURIComponent(c.caseId)}/reassign`, { radiologistId: pick.value, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) }).then(
        () => frame.message(frame.tx('reassigned')),
        (err) => {
          message.className = 'form-message error';
          message.textContent = err instanceof ApiError ? `${frame.tx('requestFailed')} ${err.message}` : frame.tx('networkError');
        },
      );
    });
    parts.push(form, message);
  }
  body.replaceChildren(...parts);
}

function renderAll(): void {
  const open = [...cases.values()].filter((c) => OPEN.includes(c.state)).sort((a, b) => a.deadlineAt.localeCompare(b.deadlineAt));
  caseTable('waiting', open.filter((c) => c.state === 'received'));
  caseTable('escalating', open.filter((c) => c.state === 'assigned' && (c.escalationStep ?? 0) > 0), 'escalation');
  caseTable('deadlines', open.filter((c) => c.deadlineStatus === 'at-risk' || c.deadlineStatus === 'breached'));
  caseTable('open', open);
  renderCounters();
  renderAlerts();
  renderTimeline();
}

async function loadTimeline(): Promise<void> {
  if (!selected) return;
  const id = selected;
  try {
    timeline = await api<TimelineAnswer>('GET', `/api/v1/dispatch/cases/${encodeURIComponent(id)}/timeline?lang=${frame.lang()}`);
  } catch {
    timeline = undefined;
  }
  if (selected === id) renderAll();
}

function select(caseId: string): void {
  selected = caseId;
  history.replaceState(null, '', `#${encodeURIComponent(caseId)}`);
  void loadTimeline();
}

async function loadAll(): Promise<void> {
  const [list, ctr] = await Promise.all([
    api<{ cases: WorklistItem[] }>('GET', `/api/v1/dispatch/cases?state=${OPEN.join(',')}&limit=100`),
    api<DeadlineCounters>('GET', '/api/v1/dispatch/counters'),
  ]);
  cases.clear();
  for (const c of list.cases) cases.set(c.caseId, c);
  counters = ctr;
  renderAll();
  await loadTimeline();
}

let countersQueued = false;
function refreshCounters(): void {
  if (countersQueued) return;
  countersQueued = true;
  queueMicrotask(() => {
    countersQueued = false;
    void api<DeadlineCounters>('GET', '/api/v1/dispatch/counters').then((c) => {
      counters = c;
      renderCounters();
    }, () => {});
  });
}

function start(): void {
  void api<Rota>('GET', '/api/v1/dispatch/rota').then((r) => {
    radiologists = r.radiologists;
    renderTimeline();
  }, () => {});
  const socket = connectDispatch(frame, () => {
    void loadAll().catch(() => {});
  });
  socket.on('case:update', (c: WorklistItem) => {
    cases.set(c.caseId, c);
    renderAll();
    refreshCounters();
    if (c.caseId === selected) void loadTimeline();
  });
  const alert = (caseId: string, text: { fr: string; en: string }) => {
    alerts.unshift({ at: Date.now(), text, caseId });
    alerts.length = Math.min(alerts.length, 20);
    renderAlerts();
  };
  socket.on('alert', (a: AlertEvent) => alert(a.caseId, a.text));
  socket.on('escalation', (e: EscalationEvent) => alert(e.caseId, e.text));
  setInterval(() => renderAll(), 30_000); // relative deadlines move with time
}

start();

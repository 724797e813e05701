/**
 * A radiologist's own cases (the hook the reading pages of issue 7 build on): the worklist of
 * GET /api/v1/dispatch/worklist, most urgent first, each with the decision that brought it
 * here and a "take in charge" button (POST …/acknowledge: the clinician is told). Live over
 * /dispatch: an assignment, an escalation or a case change reloads the list.
 */
import type { AssignmentEvent, EscalationEvent, WorklistItem } from '../../../protocol/dispatch.ts';
import { ApiError, api, el, when } from './dom.ts';
import { startFrame } from './frame.ts';
import { connectDispatch } from './dispatch-socket.ts';

let items: WorklistItem[] = [];
let linked = true;
const frame = startFrame(() => render());

function badge(kind: string, text: string): HTMLElement {
  return el('span', { class: `badge badge-${kind}` }, text);
}

function render(): void {
  const body = document.getElementById('mine-body');
  const count = document.getElementById('mine-count');
  if (!body) return;
  if (!linked) {
    body.replaceChildren(el('p', { class: 'warn' }, frame.tx('notLinked')));
    return;
  }
  if (count) count.textContent = String(items.length);
  const l = frame.lang();
  const tx = frame.tx;
  const heads = ['colRef', 'colSite', 'colUrgency', 'colExam', 'colState', 'colDeadline', 'colWhy', 'actions'];
  const rows = items.map((c) => {
    const action = el('td', {});
    if (c.state === 'assigned') {
      const b = el('button', { type: 'button', class: 'primary small', 'data-action': 'take' }, tx('takeInCharge'));
      b.addEventListener('click', () => {
        b.disabled = true;
        void api<WorklistItem>('POST', `/api/v1/dispatch/cases/${encodeURIComponent(c.caseId)}/acknowledge`, {}).then(
          () => {
            frame.message(tx('takenInCharge'));
            return load();
          },
          (err) => {
            b.disabled = false;
            frame.message(err instanceof ApiError ? `${tx('requestFailed')} ${err.message}` : tx('networkError'), 'error');
          },
        );
      });
      action.append(b);
    }
    // Issue 7: the request (request-first cases), the report editor and the viewer of the study.
    if (c.caseId.startsWith('rq-')) action.append(' ', el('a', { href: `/requests/${encodeURIComponent(c.caseId)}`, 'data-link': 'request' }, tx('openRequest')));
    if (c.studyInstanceUid) {
      action.append(' ', el('a', { href: `/studies/${encodeURIComponent(c.studyInstanceUid)}/report`, 'data-link': 'report' }, tx('openReport')));
      action.append(' ', el('a', { href: `/studies/${encodeURIComponent(c.studyInstanceUid)}/viewer`, 'data-link': 'viewer' }, tx('openViewer')));
    }
    return el(
      'tr',
      { 'data-case': c.caseId, 'data-state': c.state },
      el('td', { class: 'mono' }, c.reference),
      el('td', {}, c.siteName),
      el('td', {}, badge(c.urgency, tx(`urgency_${c.urgency}`))),
      el('td', {}, `${c.modality}${c.bodyPart ? ` ${c.bodyPart}` : ''}`),
      el('td', {}, badge(`case-${c.state}`, tx(`case_${c.state}`))),
      el('td', {}, when(l, c.deadlineAt), ' ', badge(`deadline-${c.deadlineStatus}`, tx(`deadline_${c.deadlineStatus.replace('-', '_')}`))),
      el('td', { class: 'why' }, c.explanation?.[l] ?? ''),
      action,
    );
  });
  body.replaceChildren(
    el('div', { class: 'table-wrap' }, el('table', { 'data-table': 'mine' }, el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', {}, tx(h))))), el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: String(heads.length), class: 'empty' }, tx('noCases')))])))),
  );
}

async function load(): Promise<void> {
  try {
    items = (await api<{ items: WorklistItem[] }>('GET', '/api/v1/dispatch/worklist')).items;
    linked = true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) linked = false;
    else throw err;
  }
  render();
}

function start(): void {
  const socket = connectDispatch(frame, () => {
    void load().catch(() => {});
  });
  socket.on('assignment', (e: AssignmentEvent) => {
    frame.message(`${frame.tx('newAssignment')} ${e.item.reference} — ${e.explanation[frame.lang()]}`);
    void load();
  });
  socket.on('escalation', (e: EscalationEvent) => {
    frame.message(`${frame.tx('escalatedToYou')} ${e.text[frame.lang()]}`);
    void load();
  });
  socket.on('case:update', () => void load());
}

start();

/**
 * The operator's live fleet page: subscribes to the /fleet socket.io namespace (the session
 * cookie authenticates the handshake), keeps the latest view of each agent and study, and
 * re-renders on every push; relative times tick locally. Each study shows its dispatch case
 * (reference, « assigné à … ») under its status. No patient data is ever received.
 */
import { io } from 'socket.io-client';
import type { AgentView, FleetSnapshot, StudyView, FleetServerToClient, FleetClientToServer } from '../../../protocol/fleet.ts';
import type { Socket } from 'socket.io-client';
import { ago, bytes, duration, type Lang, type TextKey } from '../i18n.ts';
import { applyTexts, currentLang, markLang, rememberLang, t, wireLangSwitch } from './lang.ts';

let lang: Lang = currentLang();
const agents = new Map<string, AgentView>();
const studies = new Map<string, StudyView>();
let serverOffsetMs = 0;
let live = false;
let me: { displayName: string; role: string } | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function tx(key: string): string {
  return t(lang, key as TextKey);
}

function now(): number {
  return Date.now() + serverOffsetMs;
}

function badge(kind: string, text: string): HTMLElement {
  return el('span', { class: `badge badge-${kind}` }, text);
}

function renderAgents(): void {
  const body = document.getElementById('agents-body');
  if (!body) return;
  const rows = [...agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  body.replaceChildren(
    ...(rows.length === 0
      ? [el('tr', {}, el('td', { colspan: '8', class: 'empty' }, tx('noAgents')))]
      : rows.map((a) => {
          const hb = a.heartbeat;
          const skew = a.clockSkewMs != null && Math.abs(a.clockSkewMs) > 5000;
          const nameCell = el('td', {}, el('div', { class: 'agent-name' }, a.name), el('div', { class: 'muted mono' }, a.agentId));
          if (skew) nameCell.append(el('div', { class: 'warn' }, `⚠ ${tx('clockSkew')} (${Math.round((a.clockSkewMs ?? 0) / 1000)} s)`));
          return el(
            'tr',
            { 'data-agent': a.agentId, 'data-status': a.status },
            nameCell,
            el('td', {}, badge(a.status, tx(`status_${a.status}`))),
            el('td', {}, a.lastSeenAt ? ago(lang, now() - Date.parse(a.lastSeenAt)) : tx('never')),
            el('td', {}, hb ? `${hb.queue.instances} ${tx('instances')} · ${bytes(lang, hb.queue.bytes)}` : tx('dash'), ...laneLines(a)),
            el('td', {}, hb?.queue.oldestUnsentAgeSeconds != null ? duration(lang, hb.queue.oldestUnsentAgeSeconds) : tx('dash')),
            el('td', {}, hb ? bytes(lang, hb.disk.freeBytes) : tx('dash')),
            el('td', { class: 'mono' }, hb?.agentVersion ?? tx('dash')),
            el('td', {}, a.tunnelUp == null ? tx('dash') : badge(a.tunnelUp ? 'online' : 'offline', tx(a.tunnelUp ? 'tunnelUp' : 'tunnelDown'))),
          );
        })),
  );
  const online = rows.filter((a) => a.status === 'online').length;
  const summary = document.getElementById('agents-summary');
  if (summary) summary.textContent = `${online} / ${rows.length} ${tx('agentsOnline')}`;
}

/** Issue 3: one line per non-empty lane — count, bytes, current rate, estimated time left. */
function laneLines(a: AgentView): HTMLElement[] {
  return (a.heartbeat?.queue.lanes ?? [])
    .filter((l) => l.instances > 0)
    .map((l) => {
      const parts = [`${l.instances} ${tx('instances')}`, bytes(lang, l.bytes)];
      if (l.bytesPerSecond > 0) parts.push(`${bytes(lang, l.bytesPerSecond)}/s`);
      if (l.etaSeconds != null) parts.push(`${tx('laneEta')} ${duration(lang, l.etaSeconds)}`);
      return el('div', { class: 'muted lane-line', 'data-lane': l.lane }, badge(l.lane, tx(`urgency_${l.lane}`)), ` ${parts.join(' · ')}`);
    });
}

/** The study's case under its status: reference (a link for operators) and « assigné à … ». */
function caseLine(s: StudyView): HTMLElement[] {
  const c = s.case;
  if (!c) return [];
  const ref = me && (me.role === 'operator' || me.role === 'admin') ? el('a', { href: `/cases#${encodeURIComponent(c.caseId)}` }, `${tx('colRef')} ${c.reference}`) : el('span', {}, `${tx('colRef')} ${c.reference}`);
  return [el('div', { class: 'study-case', 'data-case': c.caseId }, ref, c.explanation ? ` — ${c.explanation[lang]}` : '')];
}

/** Series previews (issue 4): thumbnails pushed as soon as they reach the hub, linked to the study page. */
function previewLinks(s: StudyView): HTMLElement[] {
  if (!s.previews || s.previews.length === 0) return [];
  return [el('a', { class: 'study-previews', href: `/studies/${encodeURIComponent(s.studyInstanceUid)}` }, ...s.previews.slice(0, 6).map((src) => el('img', { src, width: '48', height: '48', alt: '', loading: 'lazy' })))];
}

function renderStudies(): void {
  const body = document.getElementById('studies-body');
  if (!body) return;
  const rows = [...studies.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  body.replaceChildren(
    ...(rows.length === 0
      ? [el('tr', {}, el('td', { colspan: '7', class: 'empty' }, tx('noStudies')))]
      : rows.map((s) => {
          const expected = s.instancesExpected;
          // Still transferring: no completion yet (the status may already be the case's: assigned…).
          const transferring = s.completedAt === undefined ? s.status === 'receiving' : s.completedAt === null;
          const pct = expected ? Math.min(100, Math.round((100 * s.instancesReceived) / expected)) : transferring ? 0 : 100;
          const bar = el('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(expected ?? 0), 'aria-valuenow': String(s.instancesReceived) });
          const fill = el('div', { class: `progress-fill${transferring ? ' active' : ''}` });
          fill.style.width = `${expected ? pct : 100}%`;
          if (!expected && transferring) fill.classList.add('indeterminate');
          bar.append(fill);
          const agentName = agents.get(s.agentId)?.name ?? s.agentId;
          const flags = s.flags.map((f) => badge('flag', tx(`flag_${f.replace(/-/g, '_')}`) || f));
          return el(
            'tr',
            { 'data-study': s.studyInstanceUid, 'data-status': s.status },
            el('td', {}, el('div', { class: 'mono', title: s.studyInstanceUid }, `…${s.studyInstanceUid.slice(-14)}`), el('div', { class: 'muted' }, agentName), ...flags, ...previewLinks(s)),
            el('td', {}, badge(s.urgency, tx(`urgency_${s.urgency}`))),
            el('td', {}, badge(`study-${s.status}`, tx(`study_${s.status}`)), ...caseLine(s)),
            el('td', {}, s.modalities.join(', ') || tx('dash')),
            el('td', { class: 'progress-cell' }, bar, el('span', { class: 'progress-text' }, `${s.instancesReceived}${expected != null ? ` / ${expected}` : ''} ${tx('instances')}`)),
            el('td', {}, bytes(lang, s.bytesReceived)),
            el('td', {}, ago(lang, now() - Date.parse(s.updatedAt))),
          );
        })),
  );
}

function renderAll(): void {
  applyTexts(lang);
  markLang(lang);
  renderAgents();
  renderStudies();
  const who = document.getElementById('who');
  if (who && me) who.textContent = `${me.displayName} (${tx(`role_${me.role}`) ?? me.role})`;
  const state = document.getElementById('live-state');
  if (state) {
    state.textContent = tx(live ? 'connected' : 'disconnected');
    state.className = `live-state ${live ? 'on' : 'off'}`;
  }
}

function applySnapshot(s: FleetSnapshot): void {
  serverOffsetMs = Date.parse(s.serverTime) - Date.now();
  agents.clear();
  for (const a of s.agents) agents.set(a.agentId, a);
  studies.clear();
  for (const st of s.studies) studies.set(st.studyInstanceUid, st);
  renderAll();
}

async function whoAmI(): Promise<void> {
  const res = await fetch('/api/v1/me', { credentials: 'same-origin' });
  if (res.status === 401) {
    location.replace('/login');
    return;
  }
  if (res.ok) {
    me = (await res.json()) as { displayName: string; role: string };
    renderAll();
  }
}

function start(): void {
  rememberLang(lang);
  wireLangSwitch((l) => {
    lang = l;
    renderAll();
  });
  document.getElementById('sign-out')?.addEventListener('click', () => {
    void fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' }).finally(() => location.replace('/login'));
  });
  renderAll();
  void whoAmI();
  const socket: Socket<FleetServerToClient, FleetClientToServer> = io('/fleet', { withCredentials: true, transports: ['websocket', 'polling'] });
  socket.on('connect', () => {
    live = true;
    renderAll();
  });
  socket.on('disconnect', () => {
    live = false;
    renderAll();
  });
  socket.on('connect_error', (err) => {
    live = false;
    renderAll();
    if (/RELAIS_AUTH/.test(err.message)) location.replace('/login');
  });
  socket.on('snapshot', applySnapshot);
  socket.on('agent:update', (a) => {
    agents.set(a.agentId, a);
    renderAgents();
    renderStudies();
  });
  socket.on('study:update', (s) => {
    studies.set(s.studyInstanceUid, s);
    renderStudies();
  });
  setInterval(() => {
    renderAgents();
    renderStudies();
  }, 5000);
}

start();

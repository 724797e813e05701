/**
 * The rota editor's forms, declared once per collection (fields, their checks, the table
 * columns) and rendered by one generic builder. Reading a form starts from the item being
 * edited, so fields the form does not show (a week cycle, agent ids) are kept; an emptied
 * optional field is removed. Client checks mirror protocol/dispatch.ts with messages in the
 * page's language; the hub checks again (references, zones, cron patterns) and its problems
 * are shown as they come.
 */
import type { Rota } from '../../../protocol/dispatch.ts';
import type { Lang, TextKey } from '../i18n.ts';
import { el, fromLocalInput, toLocalInput, when } from './dom.ts';

export type FieldKind = 'text' | 'number' | 'select' | 'ref' | 'refs' | 'tags' | 'urgencies' | 'datetime' | 'checkbox' | 'zone';

export interface FieldSpec {
  path: string;
  label: TextKey;
  kind: FieldKind;
  required?: boolean;
  /** Required when any field under this path prefix is filled (e.g. a webhook's URL and secret). */
  requiredWith?: string;
  options?: Array<{ value: string; label: TextKey }>;
  ref?: 'radiologists' | 'teams' | 'sites';
  pattern?: RegExp;
  invalid?: TextKey;
  hint?: TextKey;
  /** The item's id: fixed once created. */
  id?: boolean;
  /** refs/tags: an empty list is kept as [] (the schema requires the array). */
  keepEmpty?: boolean;
  initial?: () => string | number | boolean;
}

type Item = Record<string, unknown>;

export interface CollectionSpec {
  collection: 'radiologists' | 'teams' | 'sites' | 'agreements' | 'rules' | 'operators' | 'patterns' | 'overrides' | 'planned';
  fields: FieldSpec[];
  columns: Array<{ label: TextKey; cell: (item: Item, ctx: RenderContext) => string | Node }>;
  /** Operators may add and remove these (night replacements); the rest is for admins. */
  operatorMay?: boolean;
  /** Ids for new items when the form has no id field. */
  newId?: () => string;
  /** Items listed (e.g. replacements not yet over). */
  shown?: (item: Item, now: number) => boolean;
  /** Adds what the schema needs around optional groups. */
  finalize?: (item: Item) => Item;
  /** No form: listed and deleted only (published periods come from imports). */
  listOnly?: boolean;
  /** Cross-field check, returns a message key. */
  check?: (item: Item) => { path: string; key: TextKey } | undefined;
}

export interface RenderContext {
  rota: Rota;
  lang: Lang;
  tx: (k: string) => string;
  now: number;
}

export const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const URL_RE = /^https?:\/\/\S+$/;
const SPECIALTY = /^[a-z][a-z0-9-]{0,31}$/;

export const ZONES = ['Europe/Paris', 'America/Martinique', 'America/Guadeloupe', 'America/Cayenne', 'Indian/Reunion', 'Indian/Mayotte', 'America/Miquelon', 'Pacific/Noumea', 'Pacific/Tahiti', 'Pacific/Wallis'];
const REGIONS = ['FR-MET', 'FR-AM', 'FR-GP', 'FR-MQ', 'FR-GF', 'FR-RE', 'FR-YT'].map((v) => ({ value: v, label: v as TextKey }));
const LANGS = [{ value: 'fr', label: 'lang_fr' as TextKey }, { value: 'en', label: 'lang_en' as TextKey }];
const ROLES = [{ value: 'primary', label: 'role_primary' as TextKey }, { value: 'backup', label: 'role_backup' as TextKey }];

export function getPath(o: Item, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Item)[k];
  }
  return cur;
}

function setPath(o: Item, path: string, v: unknown): void {
  const keys = path.split('.');
  let cur = o;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Item;
  }
  cur[keys[keys.length - 1]!] = v;
}

function deletePath(o: Item, path: string): void {
  const keys = path.split('.');
  const stack: Item[] = [o];
  let cur = o;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) return;
    cur = cur[k] as Item;
    stack.push(cur);
  }
  delete cur[keys[keys.length - 1]!];
  // Drop objects left empty by the removal (an unset webhook, contact…).
  for (let i = stack.length - 1; i > 0; i--) {
    if (Object.keys(stack[i]!).length > 0) break;
    delete stack[i - 1]![keys[i - 1]!];
  }
}

const nameOf = (rota: Rota, id: unknown) => rota.radiologists.find((r) => r.id === id)?.displayName ?? String(id ?? '');
const teamName = (rota: Rota, id: unknown) => rota.teams.find((x) => x.id === id)?.name ?? String(id ?? '');
const siteName = (rota: Rota, id: unknown) => rota.sites.find((x) => x.id === id)?.name ?? String(id ?? '');
const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : '');
const urg = (ctx: RenderContext, v: unknown) => (Array.isArray(v) && v.length ? v.map((u) => ctx.tx(`urgency_${u}`)).join(', ') : '—');
const named = (main: string, sub: string) => el('span', {}, el('span', { class: 'strong' }, main), el('span', { class: 'muted mono' }, ` ${sub}`));
const startOfHour = () => {
  const d = new Date();
  d.setMinutes(0, 0, 0);
  return d.getTime();
};

export const SPECS: CollectionSpec[] = [
  {
    collection: 'overrides',
    operatorMay: true,
    newId: () => `ov-${Date.now().toString(36)}`,
    shown: (o, now) => Date.parse(String(o.to)) > now,
    check: (o) => (Date.parse(String(o.to)) <= Date.parse(String(o.from)) ? { path: 'to', key: 'v_fromTo' } : undefined),
    fields: [
      { path: 'teamId', label: 'f_team', kind: 'ref', ref: 'teams', required: true },
      { path: 'radiologistId', label: 'f_radiologist', kind: 'ref', ref: 'radiologists', required: true },
      { path: 'role', label: 'f_role', kind: 'select', options: ROLES, required: true, initial: () => 'primary' },
      { path: 'from', label: 'f_from', kind: 'datetime', required: true, initial: () => toLocalInput(startOfHour()) },
      { path: 'to', label: 'f_to', kind: 'datetime', required: true, initial: () => toLocalInput(startOfHour() + 12 * 3_600_000) },
      { path: 'replaces', label: 'f_replaces', kind: 'ref', ref: 'radiologists', hint: 'h_optional' },
      { path: 'urgencies', label: 'f_urgencies', kind: 'urgencies', hint: 'h_urgenciesAll' },
      { path: 'reason', label: 'f_reason', kind: 'text', hint: 'h_optional' },
    ],
    columns: [
      { label: 'f_team', cell: (o, c) => teamName(c.rota, o.teamId) },
      { label: 'f_radiologist', cell: (o, c) => nameOf(c.rota, o.radiologistId) },
      { label: 'f_role', cell: (o, c) => c.tx(`role_${o.role}`) },
      { label: 'f_from', cell: (o, c) => when(c.lang, String(o.from), c.now) },
      { label: 'f_to', cell: (o, c) => when(c.lang, String(o.to), c.now) },
      { label: 'f_replaces', cell: (o, c) => (o.replaces ? nameOf(c.rota, o.replaces) : '—') },
      { label: 'f_reason', cell: (o) => String(o.reason ?? '') },
    ],
  },
  {
    collection: 'radiologists',
    fields: [
      { path: 'id', label: 'f_id', kind: 'text', id: true, required: true, pattern: ID, invalid: 'v_id' },
      { path: 'displayName', label: 'f_displayName', kind: 'text', required: true },
      { path: 'rpps', label: 'f_rpps', kind: 'text', required: true, pattern: /^[0-9]{11}$/, invalid: 'v_rpps' },
      { path: 'specialties', label: 'f_specialties', kind: 'tags', keepEmpty: true, pattern: SPECIALTY, invalid: 'v_specialty', hint: 'h_specialties' },
      { path: 'channels.sms', label: 'f_sms', kind: 'text', pattern: E164, invalid: 'v_e164', hint: 'h_optional' },
      { path: 'channels.email', label: 'f_email', kind: 'text', pattern: EMAIL, invalid: 'v_email', hint: 'h_optional' },
      { path: 'maxOpenCases', label: 'f_maxOpenCases', kind: 'number', required: true, initial: () => 3 },
      { path: 'language', label: 'f_language', kind: 'select', options: LANGS },
      { path: 'zone', label: 'f_zone', kind: 'zone', hint: 'h_optional' },
      { path: 'active', label: 'f_active', kind: 'checkbox', initial: () => true },
    ],
    finalize: (r) => ({ ...r, channels: r.channels ?? {} }),
    columns: [
      { label: 'f_displayName', cell: (r) => named(String(r.displayName), String(r.id)) },
      { label: 'f_rpps', cell: (r) => String(r.rpps) },
      { label: 'f_specialties', cell: (r) => list(r.specialties) },
      { label: 'f_sms', cell: (r) => String(getPath(r, 'channels.sms') ?? '—') },
      { label: 'f_email', cell: (r) => String(getPath(r, 'channels.email') ?? '—') },
      { label: 'f_maxOpenCases', cell: (r) => String(r.maxOpenCases) },
      { label: 'f_active', cell: (r, c) => (r.active === false ? c.tx('dash') : '✓') },
    ],
  },
  {
    collection: 'teams',
    fields: [
      { path: 'id', label: 'f_id', kind: 'text', id: true, required: true, pattern: ID, invalid: 'v_id' },
      { path: 'name', label: 'f_name', kind: 'text', required: true },
      { path: 'zone', label: 'f_zone', kind: 'zone', required: true, initial: () => 'Europe/Paris' },
      { path: 'holidayRegion', label: 'f_holidayRegion', kind: 'select', options: REGIONS },
      { path: 'members', label: 'f_members', kind: 'refs', ref: 'radiologists', keepEmpty: true, hint: 'h_ids' },
      { path: 'lead', label: 'f_lead', kind: 'ref', ref: 'radiologists', required: true },
      { path: 'backupOrder', label: 'f_backupOrder', kind: 'refs', ref: 'radiologists', keepEmpty: true, hint: 'h_ids' },
    ],
    columns: [
      { label: 'f_name', cell: (x) => named(String(x.name), String(x.id)) },
      { label: 'f_zone', cell: (x) => String(x.zone) },
      { label: 'f_members', cell: (x, c) => (x.members as string[]).map((m) => nameOf(c.rota, m)).join(', ') },
      { label: 'f_lead', cell: (x, c) => nameOf(c.rota, x.lead) },
      { label: 'f_backupOrder', cell: (x, c) => (x.backupOrder as string[]).map((m) => nameOf(c.rota, m)).join(' → ') || '—' },
    ],
  },
  {
    collection: 'patterns',
    fields: [
      { path: 'id', label: 'f_id', kind: 'text', id: true, required: true, pattern: ID, invalid: 'v_id' },
      { path: 'teamId', label: 'f_team', kind: 'ref', ref: 'teams', required: true },
      { path: 'radiologistId', label: 'f_radiologist', kind: 'ref', ref: 'radiologists', required: true },
      { path: 'role', label: 'f_role', kind: 'select', options: ROLES, required: true, initial: () => 'primary' },
      { path: 'zone', label: 'f_zone', kind: 'zone', required: true, initial: () => 'Europe/Paris' },
      { path: 'start', label: 'f_start', kind: 'text', required: true, hint: 'h_cron', initial: () => '0 18 * * *' },
      { path: 'end', label: 'f_end', kind: 'text', required: true, hint: 'h_cron', initial: () => '0 8 * * *' },
      { path: 'dayType', label: 'f_dayType', kind: 'select', options: [{ value: 'any', label: 'dayType_any' }, { value: 'working', label: 'dayType_working' }, { value: 'non-working', label: 'dayType_non-working' }] },
      { path: 'urgencies', label: 'f_urgencies', kind: 'urgencies', hint: 'h_urgenciesAll' },
      { path: 'label', label: 'f_label', kind: 'text', hint: 'h_optional' },
      { path: 'validFrom', label: 'f_validFrom', kind: 'datetime', hint: 'h_optional' },
      { path: 'validUntil', label: 'f_validUntil', kind: 'datetime', hint: 'h_optional' },
    ],
    columns: [
      { label: 'f_team', cell: (p, c) => teamName(c.rota, p.teamId) },
      { label: 'f_radiologist', cell: (p, c) => nameOf(c.rota, p.radiologistId) },
      { label: 'f_role', cell: (p, c) => c.tx(`role_${p.role}`) },
      { label: 'f_start', cell: (p) => el('span', { class: 'mono' }, String(p.start)) },
      { label: 'f_end', cell: (p) => el('span', { class: 'mono' }, String(p.end)) },
      { label: 'f_dayType', cell: (p, c) => c.tx(`dayType_${p.dayType ?? 'any'}`) },
      { label: 'f_urgencies', cell: (p, c) => urg(c, p.urgencies) },
      { label: 'f_label', cell: (p) => String(p.label ?? '') },
    ],
  },
  {
    collection: 'sites',
    fields: [
      { path: 'id', label: 'f_id', kind: 'text', id: true, required: true, pattern: SLUG, invalid: 'v_slug' },
      { path: 'name', label: 'f_name', kind: 'text', required: true },
      { path: 'zone', label: 'f_zone', kind: 'zone', required: true, initial: () => 'Europe/Paris' },
      { path: 'holidayRegion', label: 'f_holidayRegion', kind: 'select', options: REGIONS },
      { path: 'defaultContact.name', label: 'f_contactName', kind: 'text', requiredWith: 'defaultContact' },
      { path: 'defaultContact.channels.sms', label: 'f_contactSms', kind: 'text', pattern: E164, invalid: 'v_e164' },
      { path: 'defaultContact.channels.email', label: 'f_contactEmail', kind: 'text', pattern: EMAIL, invalid: 'v_email' },
      { path: 'webhook.url', label: 'f_webhookUrl', kind: 'text', pattern: URL_RE, invalid: 'v_url', requiredWith: 'webhook' },
      { path: 'webhook.secretName', label: 'f_webhookSecret', kind: 'text', requiredWith: 'webhook' },
    ],
    finalize: (s) => {
      const c = s.defaultContact as Item | undefined;
      return c ? { ...s, defaultContact: { ...c, channels: c.channels ?? {} } } : s;
    },
    columns: [
      { label: 'f_name', cell: (s) => named(String(s.name), String(s.id)) },
      { label: 'f_zone', cell: (s) => String(s.zone) },
      { label: 'f_contactName', cell: (s) => String(getPath(s, 'defaultContact.name') ?? '—') },
      { label: 'f_contactSms', cell: (s) => String(getPath(s, 'defaultContact.channels.sms') ?? '—') },
      { label: 'f_webhookUrl', cell: (s) => String(getPath(s, 'webhook.url') ?? '—') },
    ],
  },
  {
    collection: 'agreements',
    fields: [
      { path: 'id', label: 'f_id', kind: 'text', id: true, required: true, pattern: ID, invalid: 'v_id' },
      { path: 'siteId', label: 'f_site', kind: 'ref', ref: 'sites', required: true },
      { path: 'teamId', label: 'f_team', kind: 'ref', ref: 'teams', required: true },
      { path: 'priority', label: 'f_priority', kind: 'number', required: true, initial: () => 0 },
      { path: 'urgencies', label: 'f_urgencies', kind: 'urgencies', hint: 'h_urgenciesAll' },
      { path: 'modalities', label: 'f_modalities', kind: 'tags', hint: 'h_optional' },
      { path: 'responseMinutes.emergency', label: 'f_respEmergency', kind: 'number', hint: 'h_optional' },
      { path: 'responseMinutes.scheduled', label: 'f_respScheduled', kind: 'number', hint: 'h_optional' },
      { path: 'responseMinutes.deferred', label: 'f_respDeferred', kind: 'number', hint: 'h_optional' },
      { path: 'validFrom', label: 'f_validFrom', kind: 'datetime', hint: 'h_optional' },
      { path: 'validUntil', label: 'f_validUntil', kind: 'datetime', hint: 'h_optional' },
    ],
    columns: [
      { label: 'f_site', cell: (a, c) => siteName(c.rota, a.siteId) },
      { label: 'f_team', cell: (a, c) => teamName(c.rota, a.teamId) },
      { label: 'f_priority', cell: (a) => String(a.priority) },
      { label: 'f_urgencies', cell: (a, c) => urg(c, a.urgencies) },
      { label: 'f_modalities', cell: (a) => list(a.modalities) || '—' },
      { label: 'f_respEmergency', cell: (a) => String(getPath(a, 'responseMinutes.emergency') ?? '—') },
    ],
  },
  {
    collection: 'rules',
    fields: [
      { path: 'id', label: 'f_id', kind: 'text', id: true, required: true, pattern: ID, invalid: 'v_id' },
      { path: 'specialty', label: 'f_specialty', kind: 'text', required: true, pattern: SPECIALTY, invalid: 'v_specialty' },
      { path: 'modalities', label: 'f_modalities', kind: 'tags', hint: 'h_optional' },
      { path: 'bodyParts', label: 'f_bodyParts', kind: 'tags', hint: 'h_optional' },
      { path: 'urgencies', label: 'f_urgencies', kind: 'urgencies', hint: 'h_urgenciesAll' },
    ],
    columns: [
      { label: 'f_specialty', cell: (r) => named(String(r.specialty), String(r.id)) },
      { label: 'f_modalities', cell: (r) => list(r.modalities) || '—' },
      { label: 'f_bodyParts', cell: (r) => list(r.bodyParts) || '—' },
      { label: 'f_urgencies', cell: (r, c) => urg(c, r.urgencies) },
    ],
  },
  {
    collection: 'operators',
    fields: [
      { path: 'id', label: 'f_id', kind: 'text', id: true, required: true, pattern: ID, invalid: 'v_id' },
      { path: 'displayName', label: 'f_displayName', kind: 'text', required: true },
      { path: 'channels.sms', label: 'f_sms', kind: 'text', pattern: E164, invalid: 'v_e164', hint: 'h_optional' },
      { path: 'channels.email', label: 'f_email', kind: 'text', pattern: EMAIL, invalid: 'v_email', hint: 'h_optional' },
      { path: 'language', label: 'f_language', kind: 'select', options: LANGS },
    ],
    finalize: (o) => ({ ...o, channels: o.channels ?? {} }),
    columns: [
      { label: 'f_displayName', cell: (o) => named(String(o.displayName), String(o.id)) },
      { label: 'f_sms', cell: (o) => String(getPath(o, 'channels.sms') ?? '—') },
      { label: 'f_email', cell: (o) => String(getPath(o, 'channels.email') ?? '—') },
    ],
  },
  {
    collection: 'planned',
    listOnly: true,
    fields: [],
    columns: [
      { label: 'f_team', cell: (p, c) => teamName(c.rota, p.teamId) },
      { label: 'f_from', cell: (p, c) => when(c.lang, String(p.from), c.now) },
      { label: 'f_to', cell: (p, c) => when(c.lang, String(p.to), c.now) },
      { label: 'f_source', cell: (p) => String(p.source ?? '') },
    ],
  },
];

/** The policy form (the rota's `policy` object, saved with the whole rota). */
export const POLICY_FIELDS: FieldSpec[] = [
  { path: 'ackTimeoutMinutes.emergency', label: 'f_ackEmergency', kind: 'number', required: true },
  { path: 'ackTimeoutMinutes.scheduled', label: 'f_ackScheduled', kind: 'number', required: true },
  { path: 'ackTimeoutMinutes.deferred', label: 'f_ackDeferred', kind: 'number', required: true },
  { path: 'emergencyDeadlineMinutes', label: 'f_emergencyDeadline', kind: 'number', required: true },
  { path: 'emergencyTargetMinutes', label: 'f_emergencyTarget', kind: 'number', required: true },
  { path: 'atRiskBeforeMinutes.scheduled', label: 'f_riskScheduled', kind: 'number', required: true },
  { path: 'atRiskBeforeMinutes.deferred', label: 'f_riskDeferred', kind: 'number', required: true },
  { path: 'reportAlertOn', label: 'f_reportAlertOn', kind: 'select', required: true, options: [{ value: 'delivered', label: 'reportAlertOn_delivered' }, { value: 'signed', label: 'reportAlertOn_signed' }] },
];

/** The swap form (POST /api/v1/dispatch/rota/swaps). */
export const SWAP_FIELDS: FieldSpec[] = [
  { path: 'teamId', label: 'f_team', kind: 'ref', ref: 'teams', required: true },
  { path: 'a.radiologistId', label: 'f_a', kind: 'ref', ref: 'radiologists', required: true },
  { path: 'a.from', label: 'f_aFrom', kind: 'datetime', required: true },
  { path: 'a.to', label: 'f_aTo', kind: 'datetime', required: true },
  { path: 'b.radiologistId', label: 'f_b', kind: 'ref', ref: 'radiologists', required: true },
  { path: 'b.from', label: 'f_bFrom', kind: 'datetime', required: true },
  { path: 'b.to', label: 'f_bTo', kind: 'datetime', required: true },
  { path: 'reason', label: 'f_reason', kind: 'text', hint: 'h_optional' },
];

// ---- rendering and reading -----------------------------------------------------------------------

const inputId = (formId: string, path: string) => `${formId}-${path.replace(/\./g, '-')}`;

function fieldInput(f: FieldSpec, formId: string, value: unknown, ctx: RenderContext, editing: boolean): HTMLElement {
  const id = inputId(formId, f.path);
  const common = { id, name: f.path, 'data-path': f.path };
  switch (f.kind) {
    case 'number':
      return el('input', { ...common, type: 'number', step: '1', value: value === undefined ? '' : String(value) });
    case 'checkbox': {
      const box = el('input', { ...common, type: 'checkbox' });
      box.checked = value !== false && value !== undefined ? Boolean(value) : false;
      return box;
    }
    case 'datetime':
      return el('input', { ...common, type: 'datetime-local', value: typeof value === 'string' && value.includes('T') && !/Z$/.test(value) ? value : value ? toLocalInput(String(value)) : '' });
    case 'select':
    case 'ref': {
      const opts = f.kind === 'select'
        ? (f.options ?? []).map((o) => ({ value: o.value, label: ctx.tx(o.label) }))
        : (ctx.rota[f.ref!] as Array<{ id: string; name?: string; displayName?: string }>).map((x) => ({ value: x.id, label: `${x.displayName ?? x.name ?? x.id} (${x.id})` }));
      const select = el('select', common, ...(f.required && value !== undefined ? [] : [el('option', { value: '' }, '—')]), ...opts.map((o) => el('option', { value: o.value }, o.label)));
      select.value = value === undefined ? (f.required ? opts[0]?.value ?? '' : '') : String(value);
      return select;
    }
    case 'urgencies': {
      const chosen = new Set(Array.isArray(value) ? (value as string[]) : []);
      return el('span', { class: 'checks', id, 'data-path': f.path }, ...['emergency', 'scheduled', 'deferred'].map((u) => {
        const box = el('input', { type: 'checkbox', value: u, 'data-urgency': u });
        box.checked = chosen.has(u);
        return el('label', { class: 'check' }, box, ` ${ctx.tx(`urgency_${u}`)}`);
      }));
    }
    case 'zone':
      return el('input', { ...common, type: 'text', list: 'relais-zones', value: value === undefined ? '' : String(value), autocomplete: 'off' });
    case 'tags':
    case 'refs':
      return el('input', { ...common, type: 'text', value: Array.isArray(value) ? value.join(', ') : '', autocomplete: 'off' });
    default: {
      const input = el('input', { ...common, type: 'text', value: value === undefined ? '' : String(value), autocomplete: 'off' });
      if (f.id && editing) input.readOnly = true;
      return input;
    }
  }
}

/** A form for `fields`, filled from `item` (or the fields' initial values). */
export function buildFields(formId: string, fields: FieldSpec[], item: Item | undefined, ctx: RenderContext): HTMLElement {
  const grid = el('div', { class: 'form-grid' });
  for (const f of fields) {
    const value = item ? getPath(item, f.path) : f.initial?.();
    const label = el('label', { for: inputId(formId, f.path) }, ctx.tx(f.label), f.required ? el('span', { class: 'req', title: ctx.tx('required') }, ' *') : '');
    const hint = f.hint ? el('span', { class: 'hint' }, ctx.tx(f.hint)) : '';
    grid.append(el('div', { class: `field field-${f.kind}`, 'data-field': f.path }, label, fieldInput(f, formId, value, ctx, !!item), hint, el('span', { class: 'field-error', 'data-error-for': f.path })));
  }
  return grid;
}

export interface ReadResult {
  item: Item;
  errors: Array<{ path: string; key: TextKey }>;
}

/** Reads `fields` from a form, starting from `base` (fields the form does not show are kept). */
export function readFields(form: HTMLElement, fields: FieldSpec[], base: Item, rota: Rota): ReadResult {
  const item: Item = structuredClone(base);
  const errors: ReadResult['errors'] = [];
  const raw = new Map<string, string>();
  for (const f of fields) {
    const node = form.querySelector<HTMLElement>(`[data-path="${f.path}"]`);
    if (!node) continue;
    let value: unknown;
    if (f.kind === 'checkbox') {
      value = (node as HTMLInputElement).checked;
    } else if (f.kind === 'urgencies') {
      const picked = [...node.querySelectorAll<HTMLInputElement>('input[data-urgency]')].filter((b) => b.checked).map((b) => b.value);
      value = picked.length ? picked : undefined;
    } else {
      const text = (node as HTMLInputElement | HTMLSelectElement).value.trim();
      raw.set(f.path, text);
      if (text === '') value = f.keepEmpty ? [] : undefined;
      else if (f.kind === 'number') {
        const n = Number(text);
        if (!Number.isInteger(n)) errors.push({ path: f.path, key: 'v_number' });
        value = n;
      } else if (f.kind === 'datetime') {
        value = fromLocalInput(text);
        if (!value) errors.push({ path: f.path, key: 'invalidField' });
      } else if (f.kind === 'tags' || f.kind === 'refs') {
        const parts = text.split(/[,;\s]+/).map((x) => x.trim()).filter(Boolean);
        if (f.kind === 'refs') {
          const known = new Set((rota[f.ref!] as Array<{ id: string }>).map((x) => x.id));
          if (parts.some((p) => !known.has(p))) errors.push({ path: f.path, key: 'invalidField' });
        }
        if (f.pattern && parts.some((p) => !f.pattern!.test(p))) errors.push({ path: f.path, key: f.invalid ?? 'invalidField' });
        value = parts;
      } else {
        value = text;
        if (f.pattern && !f.pattern.test(text)) errors.push({ path: f.path, key: f.invalid ?? 'invalidField' });
      }
    }
    if (value === undefined) deletePath(item, f.path);
    else setPath(item, f.path, value);
  }
  for (const f of fields) {
    const present = getPath(item, f.path) !== undefined;
    const needed = f.required || (f.requiredWith !== undefined && getPath(item, f.requiredWith) !== undefined);
    if (needed && !present && !errors.some((e) => e.path === f.path)) errors.push({ path: f.path, key: 'missingField' });
  }
  return { item, errors };
}

/** Shows field errors beside their inputs (and clears the others). */
export function showFieldErrors(form: HTMLElement, errors: ReadResult['errors'], tx: (k: string) => string): void {
  form.querySelectorAll<HTMLElement>('[data-error-for]').forEach((e) => {
    const err = errors.find((x) => x.path === e.dataset.errorFor);
    e.textContent = err ? tx(err.key) : '';
    e.closest('.field')?.classList.toggle('invalid', !!err);
  });
}

export function zonesDatalist(): HTMLElement {
  return el('datalist', { id: 'relais-zones' }, ...ZONES.map((z) => el('option', { value: z })));
}

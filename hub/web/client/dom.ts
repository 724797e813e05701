/**
 * Browser helpers shared by the hub's pages: element building (text only, never HTML strings,
 * so no data can inject markup), JSON calls to the hub with its ErrorBody turned into an
 * ApiError, and date formatting in the browser's zone.
 */
import type { Lang } from '../i18n.ts';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | undefined> = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Record<string, unknown> | undefined) {
    super(message);
  }

  /** The lines a form shows under its message: rota problems, schema errors. */
  get problems(): string[] {
    const d = this.details ?? {};
    const list = (d.problems ?? d.errors) as unknown;
    return Array.isArray(list) ? list.map(String) : [];
  }
}

export async function api<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = contentType;
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    location.replace('/login');
    throw new ApiError(401, 'RELAIS_AUTH_MISSING', 'signed out', undefined);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? text.slice(0, 200), e?.details);
  }
  return json as T;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function fmt(lang: Lang, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const k = `${lang}|${JSON.stringify(opts)}`;
  let f = formats.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', opts);
    formats.set(k, f);
  }
  return f;
}

/** "22:05" today, "mer. 03/06 22:05" otherwise (browser's zone). */
export function when(lang: Lang, iso: string | number, now = Date.now()): string {
  const d = new Date(iso);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay
    ? fmt(lang, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d)
    : fmt(lang, { weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

/** The zone abbreviation pages print beside times (times are the browser's zone). */
export function zoneName(lang: Lang): string {
  const parts = fmt(lang, { timeZoneName: 'short' }).formatToParts(new Date());
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
}

/** ISO instant → value of an <input type="datetime-local"> (browser's zone). */
export function toLocalInput(iso: string | number): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Value of an <input type="datetime-local"> → ISO instant (UTC), or undefined when empty/invalid. */
export function fromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

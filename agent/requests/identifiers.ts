/**
 * Identifiers the agent gives a new request: the request id (unique across sites: time + 80
 * random bits), the accession number (unique per site: prefix + local date + a per-day counter,
 * durable, ≤ 16 characters as DICOM SH requires) and the Study Instance UID the modality uses
 * (2.25 UUID-derived, PS3.5 §B.2).
 * Contract: `nextAccession` never returns the same number twice for a data directory (the
 * counter is made durable before the number is handed out); calls are serialised.
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { writeFileDurable } from '../../lib/durable-fs.ts';
import { newUid } from '../../lib/dicom/uid.ts';

export function newRequestId(nowMs: number): string {
  const time = Math.floor(nowMs).toString(36).padStart(9, '0');
  let rand = '';
  const bytes = randomBytes(16);
  for (const b of bytes) rand += (b % 36).toString(36);
  return `rq-${time}-${rand}`;
}

export function newStudyUid(): string {
  return newUid();
}

export class AccessionCounter {
  readonly #path: string;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #zone: string;
  #chain: Promise<unknown> = Promise.resolve();

  /** `prefix`: 1–6 letters/digits; `zone`: the site's time zone for the date part. */
  constructor(path: string, clock: Clock, prefix: string, zone: string) {
    if (!/^[A-Z0-9]{1,6}$/.test(prefix)) throw new Error('accession prefix: 1 to 6 upper-case letters or digits');
    this.#path = path;
    this.#clock = clock;
    this.#prefix = prefix;
    this.#zone = zone;
  }

  next(isTaken: (accession: string) => boolean = () => false): Promise<string> {
    const run = this.#chain.then(async () => {
      const day = localDay(this.#clock.now(), this.#zone);
      let state: { day: string; next: number } = { day, next: 1 };
      try {
        const raw = JSON.parse(await readFile(this.#path, 'utf8')) as { day?: unknown; next?: unknown };
        if (raw.day === day && typeof raw.next === 'number' && raw.next >= 1) state = { day, next: raw.next };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      let n = state.next;
      let accession = format(this.#prefix, day, n);
      while (isTaken(accession)) accession = format(this.#prefix, day, ++n);
      await writeFileDurable(this.#path, JSON.stringify({ day, next: n + 1 }));
      return accession;
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }
}

function format(prefix: string, day: string, n: number): string {
  const digits = Math.max(4, String(n).length);
  return `${prefix}${day}${String(n).padStart(digits, '0')}`.slice(0, 16);
}

/** YYMMDD of an instant in a time zone. */
export function localDay(ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: '2-digit', month: '2-digit', day: '2-digit' }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}${get('month')}${get('day')}`;
}

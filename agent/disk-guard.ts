/**
 * Watches free space on the spool's file system and refuses new instances below a reserve
 * (answered A700, "retry later", like Postfix's 452 and Orthanc's MaximumStorageMode=Reject),
 * so that the disk never fills to the point where acknowledged data or logs cannot be written.
 * Contract: `refusal()` is synchronous (it reads the last measurement; dcmjs-dimse asks for the
 * store stream synchronously) and the measurement is refreshed every `intervalMs` and after each
 * stored instance; the low-disk alert follows the refusal state.
 */
import type { Clock, TimerHandle } from '../lib/clock.ts';
import type { AlertBook } from './alerts.ts';
import type { IntakeFailure } from './intake/intake-writer.ts';

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

export interface DiskGuardDeps {
  clock: Clock;
  statfs: () => Promise<DiskSpace>;
  reserveBytes: number;
  intervalMs: number;
  alerts: AlertBook;
}

export class DiskGuard {
  readonly #d: DiskGuardDeps;
  #last: DiskSpace = { freeBytes: Number.MAX_SAFE_INTEGER, totalBytes: 0 };
  #timer: TimerHandle | undefined;
  #refreshing: Promise<DiskSpace> | undefined;
  #stopped = false;

  constructor(deps: DiskGuardDeps) {
    this.#d = deps;
  }

  get last(): DiskSpace {
    return this.#last;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    this.#d.clock.clearTimeout(this.#timer);
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#timer = this.#d.clock.setTimeout(() => {
      void this.refresh().finally(() => this.#tick());
    }, this.#d.intervalMs);
  }

  /** Measures now (coalesced with a measurement in flight). */
  refresh(): Promise<DiskSpace> {
    this.#refreshing ??= this.#d
      .statfs()
      .then((space) => {
        this.#last = space;
        if (this.refusal()) this.#d.alerts.raise('RELAIS_AGENT_DISK_LOW', `${Math.round(space.freeBytes / 1048576)} MiB`);
        else this.#d.alerts.clear('RELAIS_AGENT_DISK_LOW');
        return space;
      })
      .catch(() => this.#last)
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  refusal(): IntakeFailure | undefined {
    if (this.#last.freeBytes >= this.#d.reserveBytes) return undefined;
    return { kind: 'refused', code: 'DISK_RESERVE', message: 'spool disk below reserve' };
  }
}

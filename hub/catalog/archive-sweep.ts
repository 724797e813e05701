/**
 * Moves closed studies out of the live catalog (isClosed: terminal status, quiet for
 * `afterMs`), one study at a time under the study's lock, every `everyMs` on the clock port.
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { KeyedMutex } from '../storage/keyed-mutex.ts';
import type { CatalogStore } from './store.ts';
import { isClosed } from './study-record.ts';

export interface ArchiveSweepDeps {
  clock: Clock;
  logger: Logger;
  catalog: CatalogStore;
  studyLocks: KeyedMutex;
  statuses: readonly string[];
  afterMs: number;
  everyMs: number;
}

export class ArchiveSweep {
  readonly #d: ArchiveSweepDeps;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(deps: ArchiveSweepDeps) {
    this.#d = deps;
  }

  /** Archives every closed study now; returns how many left the live catalog. */
  async sweep(): Promise<number> {
    let n = 0;
    for (const s of await this.#d.catalog.live()) {
      if (!isClosed(s, this.#d.clock.now(), this.#d.statuses, this.#d.afterMs)) continue;
      await this.#d.studyLocks.run(s.studyInstanceUid, async () => {
        const current = await this.#d.catalog.get(s.studyInstanceUid);
        if (current && isClosed(current, this.#d.clock.now(), this.#d.statuses, this.#d.afterMs)) {
          await this.#d.catalog.archive(s.studyInstanceUid);
          n++;
        }
      });
    }
    return n;
  }

  start(): void {
    const tick = () => {
      this.#timer = undefined;
      this.sweep()
        .then((n) => {
          if (n > 0) this.#d.logger.info({ archived: n }, 'closed studies archived');
        })
        .catch((err: Error) => this.#d.logger.error({ err: err.message }, 'archive sweep failed; will retry'))
        .finally(() => {
          if (!this.#stopped) this.#timer = this.#d.clock.setTimeout(tick, this.#d.everyMs);
        });
    };
    this.#timer = this.#d.clock.setTimeout(tick, this.#d.everyMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#d.clock.clearTimeout(this.#timer);
  }
}

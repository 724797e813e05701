/**
 * Opens a hub's dispatch: the engine over its files under DATA/dispatch (rota, live cases,
 * alert deliveries, archive of closed cases), the live web channel plus the channels the
 * caller configured (SMS, e-mail, webhook: built by the composition root), then starts it
 * (recovery pass). The caller owns the result: `engine.stop()` after the app is closed.
 */
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { BackoffPolicy } from '../../lib/backoff.ts';
import type { ChannelAdapter } from '../notify/types.ts';
import { WebChannel } from '../notify/channels/web.ts';
import { DispatchEngine } from './engine.ts';
import { dispatchFiles } from './store/files.ts';

export interface OpenDispatchOptions {
  clock: Clock;
  logger: Logger;
  /** Channels besides the live web one (always present). */
  channels?: readonly ChannelAdapter[];
  /** Zone of the hub's operators (times in their alerts), default Europe/Paris. */
  hubZone?: string;
  random?: () => number;
  retry?: BackoffPolicy;
}

export interface OpenedDispatch {
  engine: DispatchEngine;
  webChannel: WebChannel;
}

export async function openDispatch(dataDir: string, o: OpenDispatchOptions): Promise<OpenedDispatch> {
  const files = dispatchFiles(dataDir);
  const webChannel = new WebChannel();
  const engine = new DispatchEngine({
    clock: o.clock,
    logger: o.logger,
    rotaStore: files.rotaStore,
    caseStore: files.caseStore,
    archive: files.archive,
    notify: {
      channels: [webChannel, ...(o.channels ?? []).filter((c) => c.name !== 'web')],
      store: files.deliveryStore,
      ...(o.random ? { random: o.random } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
    },
    ...(o.hubZone ? { hubZone: o.hubZone } : {}),
  });
  await engine.start();
  return { engine, webChannel };
}

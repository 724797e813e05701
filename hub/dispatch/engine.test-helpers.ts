/** Engine fixtures for unit tests: a small rota, recording channels, memory stores. */
import type { Rota, CaseDocument, ChannelName } from '../../protocol/dispatch.ts';
import type { ChannelAdapter, DeliveryRequest, Outcome } from '../notify/types.ts';
import { memoryDeliveryStore } from '../notify/types.ts';
import { silentLogger } from '../../lib/logger.ts';
import type { Clock } from '../../lib/clock.ts';
import { DispatchEngine } from './engine.ts';
import { MemoryDocument } from './store/json-document.ts';
import { emptyRota, rad, pattern } from './rota/fixtures.test-helpers.ts';

export class RecordingChannel implements ChannelAdapter {
  readonly sent: DeliveryRequest[] = [];
  constructor(readonly name: ChannelName, private readonly answer: () => Outcome = () => ({ status: 'ok' })) {}
  async send(d: DeliveryRequest): Promise<Outcome> {
    this.sent.push(d);
    return this.answer();
  }
}

/** Team "neuro" (Paris): n1 primary 24/7, n2 backup 24/7, lead n3 (not on call). Site "mg" in Guadeloupe. */
export function smallRota(): Rota {
  const r = emptyRota();
  r.radiologists.push({ ...rad('n1', ['neuro']), channels: { sms: '+33600000001' } }, rad('n2', ['neuro']), rad('n3', ['neuro']));
  r.teams.push({ id: 'neuro', name: 'Neuro', zone: 'Europe/Paris', members: ['n1', 'n2', 'n3'], lead: 'n3', backupOrder: ['n2'] });
  r.sites.push({ id: 'mg', name: 'CH Marie-Galante', zone: 'America/Guadeloupe', defaultContact: { name: 'Urgences MG', channels: { sms: '+590690000001' } } });
  r.agreements.push({ id: 'a1', siteId: 'mg', teamId: 'neuro', priority: 1 });
  r.rules.push({ id: 'stroke', specialty: 'neuro', modalities: ['CT', 'MR'], bodyParts: ['HEAD'], urgencies: ['emergency'] });
  r.operators.push({ id: 'op', displayName: 'Opérateur', channels: { sms: '+33600000099' } });
  r.patterns.push(
    pattern('p1', 'neuro', 'n1', 'Europe/Paris', '0 0 * * *', '0 0 * * *'),
    pattern('p2', 'neuro', 'n2', 'Europe/Paris', '0 0 * * *', '0 0 * * *', { role: 'backup' }),
  );
  return r;
}

export function makeEngine(clock: Clock, rota: Rota, stores = { rota: new MemoryDocument<Rota>(), cases: new MemoryDocument<CaseDocument>(), deliveries: memoryDeliveryStore() }) {
  const web = new RecordingChannel('web');
  const sms = new RecordingChannel('sms');
  const engine = new DispatchEngine({ clock, logger: silentLogger(), rotaStore: stores.rota, caseStore: stores.cases, notify: { channels: [web, sms], store: stores.deliveries, random: () => 0.5 }, initialRota: rota });
  return { engine, web, sms, stores };
}

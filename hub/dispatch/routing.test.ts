import { test } from 'node:test';
import assert from 'node:assert/strict';
import { route, Directory, specialtyFor } from './routing.ts';
import { compileRota, onCall } from './rota/rota.ts';
import { emptyRota, rad, pattern } from './rota/fixtures.test-helpers.ts';
import type { Rota } from '../../protocol/dispatch.ts';

function rota(): Rota {
  const r = emptyRota();
  r.radiologists.push(rad('neuro1', ['neuro']), rad('gen1', ['general']), rad('gen2', ['general', 'msk'], 2), rad('ped1', ['paediatrics']));
  r.teams.push(
    { id: 'neuro', name: 'Neuro', zone: 'Europe/Paris', members: ['neuro1'], lead: 'neuro1', backupOrder: [] },
    { id: 'gen', name: 'Général', zone: 'Europe/Paris', members: ['gen1', 'gen2', 'ped1'], lead: 'gen1', backupOrder: ['ped1'] },
  );
  r.sites.push({ id: 'mg', name: 'CH Marie-Galante', zone: 'America/Guadeloupe' }, { id: 'cay', name: 'CH Cayenne', zone: 'America/Cayenne' }, { id: 'lonely', name: 'Nowhere', zone: 'Europe/Paris' });
  r.agreements.push(
    { id: 'a1', siteId: 'mg', teamId: 'gen', priority: 1 },
    { id: 'a2', siteId: 'mg', teamId: 'neuro', priority: 2, urgencies: ['emergency'] },
    { id: 'a3', siteId: 'cay', teamId: 'gen', priority: 1, modalities: ['CT', 'CR'] },
  );
  r.rules.push({ id: 'stroke', specialty: 'neuro', modalities: ['CT', 'MR'], bodyParts: ['HEAD', 'BRAIN'], urgencies: ['emergency'] });
  r.patterns.push(
    pattern('n', 'neuro', 'neuro1', 'Europe/Paris', '0 18 * * *', '0 8 * * *'),
    pattern('g1', 'gen', 'gen1', 'Europe/Paris', '0 8 * * *', '0 8 * * *'),
    pattern('g2', 'gen', 'gen2', 'Europe/Paris', '0 8 * * *', '0 8 * * *'),
    pattern('p', 'gen', 'ped1', 'Europe/Paris', '0 8 * * *', '0 8 * * *', { role: 'backup' }),
  );
  return r;
}

const night = Date.parse('2026-06-02T22:00:00Z');
const day = Date.parse('2026-06-02T10:00:00Z');

function decide(r: Rota, at: number, study: Parameters<typeof route>[0]['study'], loads: Record<string, number> = {}) {
  const c = compileRota(r);
  return route({ dir: new Directory(r), study, at, onCallAt: (t) => onCall(c, t, at), load: (id) => loads[id] ?? 0 });
}

test('a stroke CT goes to neuro when neuro is on call, with the reason in both languages', () => {
  const d = decide(rota(), night, { siteId: 'mg', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD' }, { neuro1: 1 });
  assert.equal(d.kind, 'assign');
  assert.equal(d.kind === 'assign' && d.radiologistId, 'neuro1');
  assert.equal(d.text.fr, "assigné à Dr NEURO1 : d'astreinte neuro (Neuro), 1 dossier ouvert sur 3");
  assert.equal(d.text.en, 'assigned to Dr NEURO1: on call neuro (Neuro), 1 open case of 3');
});

test('by day neuro is off call: the stroke CT goes to the least-loaded general radiologist, and says why', () => {
  const d = decide(rota(), day, { siteId: 'mg', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD' }, { gen1: 2, gen2: 1 });
  assert.equal(d.kind === 'assign' && d.radiologistId, 'gen2');
  assert.match(d.text.fr, /aucun radiologue neuro d'astreinte disponible/);
});

test('fewest open cases wins; nobody at their maximum; back-up only when no primary is free', () => {
  assert.equal(decide(rota(), day, { siteId: 'mg', urgency: 'scheduled', modality: 'CR' }, { gen1: 0, gen2: 1 }).kind === 'assign' && 'gen1', 'gen1');
  const d = decide(rota(), day, { siteId: 'mg', urgency: 'scheduled', modality: 'CR' }, { gen1: 3, gen2: 2 });
  assert.equal(d.kind === 'assign' && d.radiologistId, 'ped1');
  assert.match(d.text.fr, /back-up/);
  const w = decide(rota(), day, { siteId: 'mg', urgency: 'scheduled', modality: 'CR' }, { gen1: 3, gen2: 2, ped1: 3 });
  assert.equal(w.kind, 'wait');
  assert.equal(w.kind === 'wait' && w.reason, 'nobody-available');
});

test('agreements decide the teams: modality restrictions, missing agreement', () => {
  assert.equal(decide(rota(), night, { siteId: 'cay', urgency: 'emergency', modality: 'MR', bodyPart: 'HEAD' }).kind, 'wait');
  const ct = decide(rota(), night, { siteId: 'cay', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD' });
  assert.equal(ct.kind === 'assign' && ct.teamId, 'gen'); // Cayenne has no neuro agreement
  const none = decide(rota(), night, { siteId: 'lonely', urgency: 'emergency', modality: 'CT' });
  assert.equal(none.kind === 'wait' && none.reason, 'no-agreement');
});

test('a shift limited to emergencies does not take scheduled work', () => {
  const r = rota();
  r.patterns = [pattern('g1', 'gen', 'gen1', 'Europe/Paris', '0 18 * * *', '0 8 * * *', { urgencies: ['emergency'] })];
  assert.equal(decide(r, night, { siteId: 'mg', urgency: 'scheduled', modality: 'CR' }).kind, 'wait');
  assert.equal(decide(r, night, { siteId: 'mg', urgency: 'emergency', modality: 'CR' }).kind, 'assign');
});

test('explicit specialty beats the rules', () => {
  assert.equal(specialtyFor({ siteId: 'mg', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD', specialty: 'paediatrics' }, rota().rules), 'paediatrics');
  assert.equal(specialtyFor({ siteId: 'mg', urgency: 'scheduled', modality: 'CT', bodyPart: 'head' }, rota().rules), undefined);
});

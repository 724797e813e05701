/**
 * A signed report is never lost between the signature and the outbox: when the hub stopped
 * after the signed document was durable but before the report was handed over, the next start
 * hands it over (same report id, derived from its SHA-256), and a second start does not send it
 * again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { buildApp } from '../../hub/app.ts';
import { silentLogger } from '../../lib/logger.ts';
import { emptyDocument, sign } from '../../hub/reading/report-document.ts';
import { prepare, upload } from './hub-harness.ts';
import { clinicalHub } from './clinical-fixtures.ts';

test('a signed document without its report is handed over at start, once', { timeout: 60_000 }, async (t) => {
  const h = await clinicalHub();
  t.after(() => h.close());
  const inst = await prepare(listFiles(SHARED_CT)[0]!);
  assert.equal((await upload(h.t, h.t.agentA.credential, inst)).statusCode, 201);
  await h.t.hub.studyCases.idle();
  const at = new Date(h.clock.now()).toISOString();
  const doc = sign(emptyDocument(inst.study, at, 'u'), { title: 'Scanner cérébral', text: 'Normal.', conclusion: '', critical: false }, { userId: 'u', name: 'Dr Anne Neuro', rpps: '10101010101' }, at);
  await mkdir(join(h.t.dir, 'report-documents'), { recursive: true });
  await writeFile(join(h.t.dir, 'report-documents', `${inst.study}.json`), JSON.stringify(doc));
  assert.equal(h.t.hub.clinical!.reports.forStudy(inst.study).length, 0);

  const start = () => buildApp({ clock: h.clock, logger: silentLogger(), ...h.t.stores, dispatch: h.t.dispatch, clinical: { dataDir: h.t.dir } });
  const second = await start();
  const sent = second.clinical!.reports.forStudy(inst.study);
  assert.equal(sent.length, 1, 'handed over at start');
  assert.equal(sent[0]!.reportId, doc.signed!.reportId);
  assert.equal(sent[0]!.sha256, doc.signed!.sha256);
  await second.close();
  const third = await start();
  assert.equal(third.clinical!.reports.forStudy(inst.study).length, 1, 'not sent twice');
  await third.close();
});

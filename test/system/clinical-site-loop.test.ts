/**
 * The clinical loop at the site against peers nobody here wrote: a request typed on the
 * agent's local page reaches the hub through the channel; the radiologist's answer (hub HTTP
 * API) comes back and shows on the page; DCMTK `findscu -W` gets the accepted request from the
 * agent's worklist; `storescu` sends a study carrying its accession number and identity — it is
 * matched to the request at the hub — plus an identity mismatch and an unsolicited study, both
 * held for reconciliation with their original values; a report sent at the hub becomes an
 * Encapsulated PDF and a Basic Text SR that a real Orthanc (the site PACS) stores in the
 * patient's study, and the agent's confirmation marks the study delivered at the hub.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { silentLogger } from '../../lib/logger.ts';
import { insKey, INS_OIDS } from '../../protocol/ins.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { startAgent, type RunningAgent } from '../../agent/main.ts';
import { LocalUsers } from '../../agent/local-ui/local-users.ts';
import { startTestHub, bearer, type TestHub } from '../integration/hub-harness.ts';
import { freePort, storescu, killAll } from './agent-process.ts';

const run = promisify(execFile);
const SLOW = { timeoutMs: 120_000 };
const procs = new Set<ChildProcess>();
after(() => {
  for (const p of procs) p.kill('SIGKILL');
  killAll();
});

function matricule(body13: string): string {
  return `${body13}${String(insKey(body13)).padStart(2, '0')}`;
}

async function startOrthanc(dir: string): Promise<{ http: string; dicomPort: number; stop: () => Promise<void> }> {
  const httpPort = await freePort();
  const dicomPort = await freePort();
  mkdirSync(join(dir, 'db'), { recursive: true });
  const config = join(dir, 'orthanc.json');
  writeFileSync(
    config,
    JSON.stringify({ Name: 'RelaisTestPACS', StorageDirectory: join(dir, 'db'), IndexDirectory: join(dir, 'db'), HttpPort: httpPort, DicomPort: dicomPort, DicomAet: 'SITEPACS', RemoteAccessAllowed: false, AuthenticationEnabled: false, DicomCheckCalledAet: true, Plugins: [], HttpBindAddress: '127.0.0.1' }),
  );
  const child = spawn('Orthanc', [config], { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.add(child);
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const http = `http://127.0.0.1:${httpPort}`;
  await waitFor(async () => (await fetch(`${http}/system`)).ok, `Orthanc up (${log.slice(-300)})`, { timeoutMs: 60_000 });
  return {
    http,
    dicomPort,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      procs.delete(child);
    },
  };
}

/** Copies `n` CT slices and sets the given attributes with dcmodify (new series/instance UIDs). */
async function makeStudy(dir: string, n: number, attrs: Record<string, string>): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files = listFiles(SHARED_CT).slice(0, n).map((f, i) => {
    const to = join(dir, `i${i}.dcm`);
    copyFileSync(f, to);
    return to;
  });
  const args = ['-nb', '-gse', '-gin'];
  for (const [k, v] of Object.entries(attrs)) args.push('-ma', `${k}=${v}`);
  await run('dcmodify', [...args, ...files]);
  return files;
}

test('request on the site page → hub → protocol answer → worklist (findscu) → matched study (storescu) → held ones → report in Orthanc', { timeout: 300_000 }, async (t) => {
  const T0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'relais-clinical-sys-'));
  let hub: TestHub | undefined;
  let agent: RunningAgent | undefined;
  let orthanc: Awaited<ReturnType<typeof startOrthanc>> | undefined;
  try {
    hub = await startTestHub();
    const hubUrl = await hub.hub.app.listen({ host: '127.0.0.1', port: 0 });
    orthanc = await startOrthanc(join(work, 'orthanc'));
    const dataDir = join(work, 'agent');
    await new LocalUsers(dataDir).add('ide', 'Dr Inès Urgentiste', 'clinician', 'correct horse battery', new Date());
    agent = await startAgent(
      loadAgentConfig(
        {
          data: dataDir, hub: hubUrl, credential: hub.agentA.credential, agentId: hub.agentA.id, dicomPort: '0', aeTitle: 'RELAIS', uiPort: '0', lang: 'fr',
          quietSeconds: '1', retryBaseMs: '50', retryMaxMs: '1000', heartbeatSeconds: '5', minFreeMb: '0', channelWaitSeconds: '2',
          pacs: `127.0.0.1:${orthanc.dicomPort}`, pacsAe: 'SITEPACS', stations: 'CT_ROOM',
        },
        {},
      ),
      { log: silentLogger() },
    );
    const ui = agent.clinical.uiUrl!;

    // 1. The clinician signs in and types the request (the page refuses a wrong INS key first).
    const login = await fetch(`${ui}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=ide&password=correct+horse+battery', redirect: 'manual' });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const form = await (await fetch(`${ui}/requests/new`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)![1]!;
    const ins = matricule('2550814168025');
    const fields = {
      _csrf: csrf, insMatricule: ins, insOid: INS_OIDS.nirTest, birthNames: 'Dupont', firstNames: 'Marie Hélène', sex: 'F', birthDate: '1955-08-03', birthPlaceCode: '14168',
      localId: 'IPP-0042', localIssuer: 'CH-MG', context: 'Chute, céphalées, sous anticoagulant.', question: 'Hémorragie intracrânienne ?', urgency: 'emergency', examType: 'ct-head',
      station: 'CT_ROOM', requesterName: 'Dr Inès Urgentiste', phone: '+590690000001',
    };
    const bad = await fetch(`${ui}/requests`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, insMatricule: `${ins.slice(0, 13)}00` }).toString() });
    assert.equal(bad.status, 422);
    assert.match(await bad.text(), /Clé du matricule INS incorrecte/);
    t.diagnostic(`ui ready ${Date.now() - T0} ms`);
    const created = await fetch(`${ui}/requests`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    assert.equal(created.status, 201, await created.clone().text());
    const [record] = agent.clinical.desk.store.list();
    const request = record!.request;
    assert.equal(request.patient.birthNames, 'DUPONT');
    assert.equal(request.patient.firstNames, 'MARIE HELENE', 'traits are upper-cased without accents');

    // 2. It reaches the hub; the radiologist accepts with the stroke protocol.
    await waitFor(() => hub!.hub.clinical!.requests.get(request.requestId), 'the request at the hub', SLOW);
    t.diagnostic(`request at hub ${Date.now() - T0} ms`);
    const answer = await hub.hub.app.inject({ method: 'POST', url: `/api/v1/requests/${request.requestId}/answer`, headers: bearer(hub.tokens.radiologist), payload: { decision: 'accepted', templateId: 'ct-head-stroke', protocolText: 'Hélice sans injection puis angio-TDM du polygone.', rpps: '10101010101' } });
    assert.equal(answer.statusCode, 200, answer.body);
    await waitFor(() => agent!.clinical.desk.store.get(request.requestId)?.status === 'accepted', 'the answer at the site', SLOW);
    const page = await (await fetch(`${ui}/requests/${request.requestId}`, { headers: { cookie } })).text();
    assert.match(page, /data-decision="accepted"/);
    assert.match(page, /angio-TDM du polygone/);

    t.diagnostic(`answer at site ${Date.now() - T0} ms`);
    // 3. DCMTK findscu queries the worklist (station AE and modality keys) and gets the request.
    const find = await run('findscu', ['-W', '-aet', 'CT_ROOM', '-aec', 'RELAIS', '-k', '0008,0005', '-k', 'PatientName', '-k', 'PatientID', '-k', 'PatientBirthDate', '-k', 'PatientSex', '-k', 'AccessionNumber', '-k', 'StudyInstanceUID', '-k', 'RequestedProcedureDescription', '-k', '(0040,0100)[0].Modality=CT', '-k', '(0040,0100)[0].ScheduledStationAETitle=CT_ROOM', '-k', '(0040,0100)[0].ScheduledProcedureStepStartDate', '127.0.0.1', String(agent.dicomPort)], { env: { ...process.env, TCP_NODELAY: '1' } });
    const out = find.stdout + find.stderr;
    assert.match(out, new RegExp(`\\(0008,0050\\) SH \\[${request.accessionNumber}\\]`));
    assert.match(out, /\(0010,0010\) PN \[DUPONT\^MARIE\^HELENE ?\]/);
    assert.match(out, /\(0010,0020\) LO \[IPP-0042\]/);
    assert.match(out, /\(0008,0005\) CS \[ISO_IR 192\]/);
    assert.match(out, new RegExp(`\\(0020,000d\\) UI \\[${request.studyInstanceUid.replace(/\./g, '\\.')}\\]`));
    const none = await run('findscu', ['-W', '-aec', 'RELAIS', '-k', 'AccessionNumber', '-k', '(0040,0100)[0].Modality=MR', '127.0.0.1', String(agent.dicomPort)]);
    assert.doesNotMatch(none.stdout + none.stderr, /\(0008,0050\) SH \[RL/, 'an MR query does not return the CT request');

    // 4. The scanner sends the study (identity from the worklist) plus two that must be held.
    const identity = { PatientName: 'DUPONT^MARIE^HELENE', PatientID: 'IPP-0042', PatientBirthDate: '19550803', PatientSex: 'F', AccessionNumber: request.accessionNumber };
    const matched = await makeStudy(join(work, 'matched'), 3, { ...identity, StudyInstanceUID: request.studyInstanceUid });
    const mismatch = await makeStudy(join(work, 'mismatch'), 2, { ...identity, PatientID: 'IPP-9999', StudyInstanceUID: '2.25.111111111111111111111111111111' });
    const unsolicited = await makeStudy(join(work, 'unsolicited'), 2, { ...identity, AccessionNumber: 'XX0001', StudyInstanceUID: '2.25.222222222222222222222222222222' });
    for (const files of [matched, mismatch, unsolicited]) {
      const sent = await storescu(agent.dicomPort, files);
      assert.equal(sent.acked.length, files.length, sent.output.slice(-1500));
    }
    const catalog = hub.stores.catalog;
    await waitFor(async () => (await catalog.get(request.studyInstanceUid))?.requestId === request.requestId, 'the matched study linked at the hub', SLOW);
    await waitFor(() => hub!.hub.clinical!.requests.get(request.requestId)?.studies.includes(request.studyInstanceUid), 'the request knows its study', SLOW);
    const heldMismatch = await waitFor(async () => (await catalog.get('2.25.111111111111111111111111111111'))?.hold, 'the mismatch held', SLOW);
    assert.equal((await catalog.get('2.25.111111111111111111111111111111'))!.status, 'held');
    assert.deepEqual(heldMismatch.reasons, ['patient-id-differs']);
    assert.equal((await catalog.get('2.25.111111111111111111111111111111'))!.patient.id, 'IPP-9999', 'the original value is kept');
    assert.equal((await catalog.get('2.25.111111111111111111111111111111'))!.requestId, undefined, 'never merged with the request');
    const heldUnsolicited = await waitFor(async () => (await catalog.get('2.25.222222222222222222222222222222'))?.hold, 'the unsolicited study held', SLOW);
    assert.deepEqual(heldUnsolicited.reasons, ['no-request']);
    const recon = await hub.hub.app.inject({ url: '/api/v1/reconciliation', headers: bearer(hub.tokens.operator) });
    assert.equal(recon.json().studies.length, 2);
    assert.equal((await hub.hub.app.inject({ url: '/api/v1/reconciliation', headers: bearer(hub.tokens.radiologist) })).statusCode, 403);

    // 5. The report: hub → agent → Orthanc (PDF + SR in the patient's study) → confirmation.
    const sent = await hub.hub.app.inject({ method: 'POST', url: `/api/v1/studies/${request.studyInstanceUid}/report`, headers: bearer(hub.tokens.radiologist), payload: { text: 'Pas d’hémorragie intracrânienne. Pas d’effet de masse.', conclusion: 'Scanner cérébral normal.', critical: false, rpps: '10101010101', radiologistName: 'Dr Anne Neuro' } });
    assert.equal(sent.statusCode, 202, sent.body);
    const reportId = sent.json().reportId as string;
    await waitFor(() => hub!.hub.clinical!.reports.get(reportId)?.status === 'delivered', 'the delivery confirmation at the hub', SLOW);
    assert.equal((await catalog.get(request.studyInstanceUid))!.status, 'delivered');
    const series = (await (await fetch(`${orthanc.http}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Series', Query: { StudyInstanceUID: request.studyInstanceUid }, Expand: true }) })).json()) as Array<{ MainDicomTags: { Modality: string } }>;
    const modalities = series.map((s) => s.MainDicomTags.Modality).sort();
    assert.deepEqual(modalities, ['DOC', 'SR'], 'Orthanc holds the PDF and the SR in the patient’s study');
    const studies = (await (await fetch(`${orthanc.http}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Study', Query: { StudyInstanceUID: request.studyInstanceUid }, Expand: true }) })).json()) as Array<{ PatientMainDicomTags: Record<string, string>; MainDicomTags: Record<string, string> }>;
    assert.equal(studies[0]!.PatientMainDicomTags.PatientID, 'IPP-0042');
    assert.equal(studies[0]!.MainDicomTags.AccessionNumber, request.accessionNumber);
    const pdf = await fetch(`${ui}/reports/${reportId}.pdf`, { headers: { cookie } });
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
    t.diagnostic(`request ${request.accessionNumber}: answered, worklist, 3 matched + 2 held, report in Orthanc`);
  } finally {
    await agent?.stop();
    await orthanc?.stop();
    await hub?.close();
    rmSync(work, { recursive: true, force: true });
  }
});

/**
 * The channel survives the hub being down: a request made at the site while the hub is
 * unreachable waits durably on the agent, reaches the hub once it listens, and the
 * radiologist's answer comes back to the site (loopback, real hub app, real agent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { once } from 'node:events';
import { silentLogger } from '../../lib/logger.ts';
import { insKey, INS_OIDS } from '../../protocol/ins.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { startAgent } from '../../agent/main.ts';
import { startTestHub, bearer } from './hub-harness.ts';
import { waitFor } from '../fakes/wait.ts';
import { allDayRota } from './clinical-fixtures.ts';

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('a request made while the hub is down reaches it later, and the answer comes back', async () => {
  const hub = await startTestHub({ rota: allDayRota(), siteA: 'ch-mg', radiologistId: 'n1' });
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'relais-clinical-it-'));
  const agent = await startAgent(
    loadAgentConfig({ data: dataDir, hub: `http://127.0.0.1:${port}`, credential: hub.agentA.credential, agentId: hub.agentA.id, dicomPort: '0', retryBaseMs: '20', retryMaxMs: '200', heartbeatSeconds: '60', minFreeMb: '0', channelWaitSeconds: '1' }, {}),
    { log: silentLogger() },
  );
  try {
    const body = '1840275056123';
    const result = await agent.clinical.desk.create(
      {
        urgency: 'emergency',
        patient: { ins: { matricule: `${body}${String(insKey(body)).padStart(2, '0')}`, oid: INS_OIDS.nirTest }, birthNames: 'MARTIN', firstNames: 'PAUL', sex: 'M', birthDate: '1984-02-10', birthPlaceCode: '75056', localId: { value: 'IPP-7', issuer: 'CH' } },
        clinical: { context: 'Traumatisme crânien', question: 'Hématome ?' },
        exam: { examType: 'ct-head', modality: 'CT', bodyPart: 'HEAD', scheduledAt: new Date().toISOString() },
        requester: { name: 'Dr Urgence', phone: '+33600000000' },
      },
      'tester',
    );
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    const requestId = result.record.request.requestId;
    assert.equal(agent.clinical.desk.store.get(requestId)!.status, 'queued', 'stored on the agent while the hub is down');
    assert.equal(agent.clinical.outbox.pending, 1);

    await hub.hub.app.listen({ host: '127.0.0.1', port });
    await waitFor(() => hub.hub.clinical!.requests.get(requestId), 'the request at the hub once it is up');
    await waitFor(() => agent.clinical.desk.store.get(requestId)!.status === 'sent', 'the site knows the hub has it');
    const answered = await hub.hub.app.inject({ method: 'POST', url: `/api/v1/requests/${requestId}/answer`, headers: bearer(hub.tokens.radiologist), payload: { decision: 'needs-information', question: 'Heure de la chute ?' } });
    assert.equal(answered.statusCode, 200, answered.body);
    await waitFor(() => agent.clinical.desk.store.get(requestId)!.status === 'needs-information', 'the answer at the site');
    assert.equal(agent.clinical.desk.store.get(requestId)!.answers[0]!.question, 'Heure de la chute ?');
    await waitFor(async () => (await hub.hub.clinical!.outbox.pendingCount(hub.agentA.id)) === 0, 'the answer acknowledged by the agent');
    assert.equal((await hub.hub.app.inject({ method: 'POST', url: `/api/v1/requests/${requestId}/answer`, headers: bearer(hub.tokens.operator), payload: { decision: 'declined', reason: 'non' } })).statusCode, 403, 'operators do not answer');
  } finally {
    await agent.stop();
    await hub.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * The live fleet view over a real socket (listen on port 0, socket.io-client): the handshake
 * needs a user allowed to see the fleet (bearer token or session cookie); a heartbeat turns an
 * agent online, then the manual clock makes it stale and offline with pushes to the page; an
 * upload pushes the study's progress. Heartbeats are validated and speak only for their agent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import type { AgentView, FleetSnapshot, StudyView } from '../../protocol/fleet.ts';
import type { Heartbeat } from '../../protocol/heartbeat.ts';
import { ManualClock } from '../fakes/manual-clock.ts';
import { SHARED_CT, listFiles } from '../data.ts';
import { startTestHub, prepare, agentHeaders, type TestHub } from './hub-harness.ts';

const clock = new ManualClock('2026-11-23T20:00:00Z');
let t: TestHub;
let url: string;
const sockets: Socket[] = [];

before(async () => {
  t = await startTestHub({ clock, options: { staleAfterMs: 60_000, offlineAfterMs: 300_000 } });
  url = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  for (const s of sockets) s.disconnect();
  await t.close();
});

function connect(opts: { token?: string; cookie?: string }): Socket {
  const s = io(`${url}/fleet`, {
    transports: ['websocket'],
    reconnection: false,
    ...(opts.token ? { auth: { token: opts.token } } : {}),
    ...(opts.cookie ? { extraHeaders: { cookie: opts.cookie } } : {}),
  });
  sockets.push(s);
  return s;
}

function next<T>(s: Socket, event: string, accept: (v: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 10 s`)), 10_000);
    const on = (v: T) => {
      if (!accept(v)) return;
      clearTimeout(timer);
      s.off(event, on);
      resolve(v);
    };
    s.on(event, on);
  });
}

function heartbeat(agentId: string, sentAt: string): Heartbeat {
  return {
    agentId, agentVersion: '0.1.0', protocolVersion: 1, sentAt, uptimeSeconds: 120,
    queue: { studies: 1, instances: 12, bytes: 6_000_000, oldestUnsentAgeSeconds: 42, quarantined: 0 },
    disk: { freeBytes: 50e9, totalBytes: 100e9 }, lastUploadAt: null,
    dicom: { aeTitle: 'RELAIS', port: 11112, activeAssociations: 0 }, alerts: [],
  };
}

test('the fleet socket refuses handshakes without a user allowed to see the fleet', async () => {
  const anon = connect({});
  assert.equal((await next<Error>(anon, 'connect_error')).message, 'RELAIS_AUTH_MISSING');
  const forged = connect({ token: 'rlsu.operator-user.' + 'B'.repeat(43) });
  assert.equal((await next<Error>(forged, 'connect_error')).message, 'RELAIS_AUTH_INVALID');
  const agent = connect({ token: t.agentA.credential });
  assert.equal((await next<Error>(agent, 'connect_error')).message, 'RELAIS_AUTH_INVALID');
  const clinician = connect({ token: t.tokens.clinician });
  assert.equal((await next<Error>(clinician, 'connect_error')).message, 'RELAIS_AUTH_FORBIDDEN');
});

test('heartbeat → online; the manual clock makes it stale then offline, pushed live', async () => {
  const s = connect({ token: t.tokens.operator });
  const snap = await next<FleetSnapshot>(s, 'snapshot');
  assert.deepEqual(snap.agents.map((a) => [a.agentId, a.status]).sort(), [[t.agentA.id, 'never-seen'], [t.agentB.id, 'never-seen']]);

  const online = next<AgentView>(s, 'agent:update', (a) => a.agentId === t.agentA.id && a.status === 'online');
  const sentAt = new Date(clock.now() - 2500).toISOString(); // agent clock 2.5 s behind
  const res = await fetch(`${url}/api/v1/agents/heartbeat`, {
    method: 'POST', headers: { ...agentHeaders(t.agentA.credential), 'content-type': 'application/json' }, body: JSON.stringify(heartbeat(t.agentA.id, sentAt)),
  });
  assert.equal(res.status, 200);
  const ack = (await res.json()) as { clockOffsetMs: number; receivedAt: string };
  assert.equal(ack.clockOffsetMs, 2500);
  assert.equal(ack.receivedAt, new Date(clock.now()).toISOString());
  const view = await online;
  assert.equal(view.heartbeat?.queue.instances, 12);
  assert.equal(view.name, 'Site A scanner');

  const stale = next<AgentView>(s, 'agent:update', (a) => a.agentId === t.agentA.id && a.status === 'stale');
  clock.advance(59_999);
  clock.advance(1);
  await stale;
  const offline = next<AgentView>(s, 'agent:update', (a) => a.agentId === t.agentA.id && a.status === 'offline');
  clock.advance(240_000);
  await offline;
  const fresh = await fetch(`${url}/api/v1/fleet`, { headers: { authorization: `Bearer ${t.tokens.admin}` } });
  const agents = ((await fresh.json()) as FleetSnapshot).agents;
  assert.equal(agents.find((a) => a.agentId === t.agentA.id)?.status, 'offline');
});

test('a heartbeat is validated and may only speak for its own agent', async () => {
  const post = (body: unknown) =>
    fetch(`${url}/api/v1/agents/heartbeat`, { method: 'POST', headers: { ...agentHeaders(t.agentA.credential), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const before = (await t.hub.context.fleet.agents()).find((a) => a.agentId === t.agentB.id);
  const other = await post(heartbeat(t.agentB.id, new Date(clock.now()).toISOString()));
  assert.equal(other.status, 200, 'the claimed agentId is ignored: the credential says who speaks');
  const after = await t.hub.context.fleet.agents();
  assert.deepEqual(after.find((a) => a.agentId === t.agentB.id), before, 'agent B is untouched');
  assert.equal(after.find((a) => a.agentId === t.agentA.id)?.heartbeat?.agentId, t.agentA.id);
  const invalid = await post({ ...heartbeat(t.agentA.id, new Date(clock.now()).toISOString()), queue: { studies: -1 } });
  assert.equal(invalid.status, 400);
  assert.equal(((await invalid.json()) as { error: { code: string } }).error.code, 'RELAIS_PROTOCOL_INVALID_MESSAGE');
});

test('a session cookie opens the socket, an upload pushes the study progress, signing out closes it', async () => {
  const login = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t.tokens.radiologist }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const s = connect({ cookie });
  await next<FleetSnapshot>(s, 'snapshot');
  const inst = await prepare(listFiles(SHARED_CT)[0]!);
  const update = next<StudyView>(s, 'study:update', (v) => v.studyInstanceUid === inst.study);
  const res = await fetch(`${url}/api/v1/instances/${inst.sop}`, {
    method: 'PUT',
    headers: agentHeaders(t.agentA.credential, { 'content-type': 'application/dicom', 'relais-sha256': inst.sha256, 'relais-urgency': 'emergency' }),
    body: new Uint8Array(inst.bytes),
  });
  assert.equal(res.status, 201);
  const v = await update;
  assert.equal(v.instancesReceived, 1);
  assert.equal(v.bytesReceived, inst.bytes.length);
  assert.equal(v.urgency, 'emergency');
  assert.equal(v.status, 'receiving');
  assert.ok(!('patient' in v) && !JSON.stringify(v).includes('PLASTIC'), 'no patient data on the fleet channel');

  // Signing out elsewhere ends the live page at the next credential check.
  const gone = next<string>(s, 'disconnect');
  await fetch(`${url}/api/v1/session`, { method: 'DELETE', headers: { cookie } });
  clock.advance(30_000);
  assert.equal(await gone, 'io server disconnect');
});

/**
 * Identity and access (S1, S3, S5, S9 of the test matrix): every route of the route table
 * refuses requests without valid credentials of the right kind; roles are checked per route;
 * web sign-in gives an httpOnly SameSite=Strict session and is throttled; revocation and
 * rotation take effect at once; agent routes refuse protocol versions they cannot speak;
 * `relais provision` prints usable secrets and stores only hashes, mode 0600.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../data.ts';
import { IdentityStore } from '../../provisioning/identity-store.ts';
import { startTestHub, bearer, agentHeaders, type TestHub } from './hub-harness.ts';
import { ROLES, type Role } from '../../provisioning/identity-schema.ts';

const run = promisify(execFile);
let t: TestHub;

before(async () => {
  t = await startTestHub({ radiologistId: 'n1', clinicianSites: ['site-a'] });
});
after(() => t.close());

function concrete(url: string): string {
  return url.replace(/:sop|:study|:series|:caseId/g, '1.2.3.4').replace(/:name/g, 'fleet.js').replace(/:collection/g, 'overrides').replace(/:id\b/g, 'x');
}

/** Who may use each dispatch route (the role matrix of hub/dispatch/README.md), written out independently of roles.ts. */
const DISPATCH_MATRIX: Record<string, readonly Role[]> = {
  'GET /api/v1/dispatch/rota': ['operator', 'admin'],
  'PUT /api/v1/dispatch/rota': ['admin'],
  'PUT /api/v1/dispatch/rota/:collection/:id': ['operator', 'admin'], // operators: overrides only (below)
  'DELETE /api/v1/dispatch/rota/:collection/:id': ['operator', 'admin'],
  'POST /api/v1/dispatch/rota/swaps': ['operator', 'admin'],
  'GET /api/v1/dispatch/rota/shifts.csv': ['operator', 'radiologist', 'admin'],
  'GET /api/v1/dispatch/rota/shifts.ics': ['operator', 'radiologist', 'admin'],
  'POST /api/v1/dispatch/rota/shifts.csv': ['admin'],
  'POST /api/v1/dispatch/rota/shifts.ics': ['admin'],
  'GET /api/v1/dispatch/on-call': ['operator', 'radiologist', 'admin'],
  'GET /api/v1/dispatch/channels': ['operator', 'admin'],
  'GET /api/v1/dispatch/worklist': ['operator', 'radiologist', 'admin'],
  'GET /api/v1/dispatch/cases': ['operator', 'admin'],
  'GET /api/v1/dispatch/cases/:caseId': ['operator', 'radiologist', 'clinician', 'admin'],
  'GET /api/v1/dispatch/cases/:caseId/timeline': ['operator', 'radiologist', 'clinician', 'admin'],
  'POST /api/v1/dispatch/cases/:caseId/acknowledge': ['radiologist'],
  'POST /api/v1/dispatch/cases/:caseId/reassign': ['operator', 'admin'],
  'GET /api/v1/dispatch/counters': ['operator', 'admin'],
};

test('S1: every non-public route answers 401 without credentials, with bad ones, or with the wrong kind', async () => {
  const publicRoutes = t.hub.routes.filter((r) => r.access.kind === 'public').map((r) => `${r.method} ${r.url}`).sort();
  assert.deepEqual(publicRoutes, ['GET /api/v1/health', 'GET /assets/:name', 'GET /login', 'POST /api/v1/session']);
  const guarded = t.hub.routes.filter((r) => r.access.kind !== 'public');
  assert.ok(guarded.length >= 13, `only ${guarded.length} guarded routes found`);
  const forged = `rlsu.operator-user.${'A'.repeat(43)}`;
  for (const r of guarded) {
    const wrongKind = r.access.kind === 'agent' ? t.tokens.admin : t.agentA.credential;
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nonsense' },
      { authorization: `Bearer ${forged}` },
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      { authorization: `Bearer ${wrongKind}` },
      { cookie: 'relais_session=forged-session-id' },
    ];
    for (const headers of attempts) {
      const res = await t.hub.app.inject({ method: r.method as 'GET', url: concrete(r.url), headers: { ...headers, 'relais-protocol': '1' } });
      assert.equal(res.statusCode, 401, `${r.method} ${r.url} with ${JSON.stringify(headers)} → ${res.statusCode}`);
      assert.doesNotMatch(res.body, /\bat .*\.ts:\d+|stack/i, 'no stack traces');
      // HEAD (tus resume) answers have no body by HTTP's rules: the status says it.
      if (r.method !== 'HEAD' && !String(res.headers['content-type']).startsWith('text/html')) {
        assert.match(res.json().error.code, /^RELAIS_AUTH_(MISSING|INVALID)$/);
      }
    }
  }
  const page = await t.hub.app.inject({ url: '/', headers: { accept: 'text/html' } });
  assert.equal(page.statusCode, 401);
  assert.match(page.body, /login-form/, 'a page answers 401 with the sign-in form');
});

test('S3: roles are checked per route (fleet, patient attributes)', async () => {
  const fleet = await t.hub.app.inject({ url: '/api/v1/fleet', headers: bearer(t.tokens.clinician) });
  assert.equal(fleet.statusCode, 403);
  assert.equal(fleet.json().error.code, 'RELAIS_AUTH_FORBIDDEN');
  for (const role of ['operator', 'radiologist', 'admin'] as const) {
    assert.equal((await t.hub.app.inject({ url: '/api/v1/fleet', headers: bearer(t.tokens[role]) })).statusCode, 200, role);
  }
  const byName = await t.hub.app.inject({ url: '/dicomweb/studies?PatientName=DOE*', headers: bearer(t.tokens.operator) });
  assert.equal(byName.statusCode, 403, 'an operator cannot probe patient names through filters');
  assert.equal((await t.hub.app.inject({ url: '/dicomweb/studies?PatientName=DOE*', headers: bearer(t.tokens.radiologist) })).statusCode, 200);
  const paged = await t.hub.app.inject({ url: '/dicomweb/studies?limit=1000000', headers: bearer(t.tokens.operator) });
  assert.equal(paged.statusCode, 200);
  assert.match(String(paged.headers.warning), /^299 /, 'a capped page says so');
});

test('S3: dispatch routes follow the role matrix (403 outside it, never 401/403 inside), and need a rota link', async () => {
  const dispatchRoutes = t.hub.routes.filter((r) => r.url.startsWith('/api/v1/dispatch/')).map((r) => `${r.method} ${r.url}`).sort();
  assert.deepEqual(dispatchRoutes, Object.keys(DISPATCH_MATRIX).sort(), 'every dispatch route has its row in the matrix');
  for (const [key, allowed] of Object.entries(DISPATCH_MATRIX)) {
    const [method, url] = key.split(' ') as [string, string];
    for (const role of ROLES) {
      const res = await t.hub.app.inject({ method: method as 'GET', url: concrete(url), headers: bearer(t.tokens[role]) });
      if (allowed.includes(role)) assert.ok(![401, 403].includes(res.statusCode), `${key} as ${role} → ${res.statusCode} ${res.body}`);
      else {
        assert.equal(res.statusCode, 403, `${key} as ${role} → ${res.statusCode}`);
        assert.equal(res.json().error.code, 'RELAIS_AUTH_FORBIDDEN');
      }
    }
  }
  // The pages follow the same matrix (403: an "access refused" page).
  const pages: Record<string, readonly Role[]> = { '/rota': ['operator', 'admin'], '/cases': ['operator', 'admin'], '/my-cases': ['radiologist'] };
  for (const [path, allowed] of Object.entries(pages)) {
    for (const role of ROLES) {
      const res = await t.hub.app.inject({ url: path, headers: bearer(t.tokens[role]) });
      assert.equal(res.statusCode, allowed.includes(role) ? 200 : 403, `${path} as ${role}`);
      assert.match(String(res.headers['content-type']), /^text\/html/);
    }
  }
  // Their navigation offers the clinical pages each role may open, and only those.
  const navOf = async (role: Role, path: string) => [...(await t.hub.app.inject({ url: path, headers: bearer(t.tokens[role]) })).body.matchAll(/<a [^>]*href="(\/[a-z-]*)"/g)].map((m) => m[1]);
  const opNav = await navOf('operator', '/cases');
  for (const href of ['/requests', '/reconciliation', '/acts']) assert.ok(opNav.includes(href), `operator nav has ${href}: ${opNav.join(' ')}`);
  const radNav = await navOf('radiologist', '/my-cases');
  assert.ok(radNav.includes('/requests'), `radiologist nav has /requests: ${radNav.join(' ')}`);
  for (const href of ['/reconciliation', '/acts']) assert.ok(!radNav.includes(href), `radiologist nav has no ${href}`);
  // Operators may put someone else on call (overrides), not edit the rest of the rota.
  const team = await t.hub.app.inject({ method: 'PUT', url: '/api/v1/dispatch/rota/teams/x', headers: bearer(t.tokens.operator), payload: {} });
  assert.equal(team.statusCode, 403);
  // A radiologist account not linked to the rota is told so.
  const unlinked = (await t.stores.identities.issueUser('dr-unlinked', 'radiologist')).token;
  const wl = await t.hub.app.inject({ url: '/api/v1/dispatch/worklist', headers: bearer(unlinked) });
  assert.equal(wl.statusCode, 403);
  assert.match(wl.json().error.message, /not linked to a radiologist of the rota/);
});

test('agent routes refuse unknown protocol versions with 426 and a clear message', async () => {
  for (const v of [undefined, '0', String(PROTOCOL_VERSION + 1), 'abc']) {
    const headers = agentHeaders(t.agentA.credential);
    if (v === undefined) delete headers['relais-protocol'];
    else headers['relais-protocol'] = v;
    const res = await t.hub.app.inject({ method: 'POST', url: '/api/v1/agents/heartbeat', headers, payload: {} });
    assert.equal(res.statusCode, 426, `version ${v}`);
    const e = res.json().error;
    assert.equal(e.code, 'RELAIS_PROTOCOL_UNSUPPORTED');
    assert.equal(e.retryable, false);
    assert.match(e.message, /update the agent/);
  }
});

test('web sign-in: token → httpOnly SameSite=Strict session; sign-out, rotation and revocation end it', async () => {
  const login = await t.hub.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: t.tokens.radiologist } });
  assert.equal(login.statusCode, 200);
  const setCookie = String(login.headers['set-cookie']);
  assert.match(setCookie, /relais_session=/);
  assert.match(setCookie, /HttpOnly/i);
  assert.match(setCookie, /SameSite=Strict/i);
  const cookie = setCookie.split(';')[0]!;
  const me = await t.hub.app.inject({ url: '/api/v1/me', headers: { cookie } });
  assert.equal(me.statusCode, 200);
  assert.equal(me.json().role, 'radiologist');
  assert.equal((await t.hub.app.inject({ url: '/', headers: { cookie } })).statusCode, 200);
  await t.hub.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
  assert.equal((await t.hub.app.inject({ url: '/api/v1/me', headers: { cookie } })).statusCode, 401);

  const again = await t.hub.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: t.tokens.admin } });
  const cookie2 = String(again.headers['set-cookie']).split(';')[0]!;
  const rotated = await t.stores.identities.issueUser('admin-user', 'admin');
  assert.equal((await t.hub.app.inject({ url: '/api/v1/me', headers: { cookie: cookie2 } })).statusCode, 401, 'rotation ends sessions');
  assert.equal((await t.hub.app.inject({ url: '/api/v1/me', headers: bearer(t.tokens.admin) })).statusCode, 401, 'old token refused');
  assert.equal((await t.hub.app.inject({ url: '/api/v1/me', headers: bearer(rotated.token) })).statusCode, 200);
  t.tokens.admin = rotated.token;

  await t.stores.identities.revoke('agent', t.agentB.id);
  const hb = await t.hub.app.inject({ method: 'POST', url: '/api/v1/agents/heartbeat', headers: agentHeaders(t.agentB.credential), payload: {} });
  assert.equal(hb.statusCode, 401, 'a revoked agent is refused at once');
});

test('S5: sign-in is throttled after 5 failures per minute from one address', async () => {
  const headers = { 'x-forwarded-for': '10.9.9.9' }; // ignored: trustProxy is off, the socket address counts
  for (let i = 0; i < 5; i++) {
    const bad = await t.hub.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: `wrong-${i}` }, remoteAddress: '192.0.2.7', headers });
    assert.equal(bad.statusCode, 401);
  }
  const blocked = await t.hub.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: t.tokens.operator }, remoteAddress: '192.0.2.7' });
  assert.equal(blocked.statusCode, 429);
  assert.equal(blocked.json().error.code, 'RELAIS_AUTH_THROTTLED');
  assert.ok(Number(blocked.headers['retry-after']) > 0);
  const other = await t.hub.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: t.tokens.operator }, remoteAddress: '192.0.2.8' });
  assert.equal(other.statusCode, 200, 'other addresses are not affected');
});

test('relais provision agent|user: last stdout line is the secret; only its hash is stored, files 0600', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-provision-'));
  try {
    const cli = join(REPO_ROOT, 'bin', 'relais.js');
    const agentOut = await run(process.execPath, [cli, 'provision', 'agent', '--data', dir, '--name', 'CH Marie-Galante CT']);
    const credential = agentOut.stdout.trim().split('\n').pop()!;
    const userOut = await run(process.execPath, [cli, 'provision', 'user', '--data', dir, '--name', 'dr.martin', '--role', 'radiologist']);
    const token = userOut.stdout.trim().split('\n').pop()!;
    const store = new IdentityStore(dir);
    assert.equal((await store.verifyAgentCredential(credential))?.name, 'CH Marie-Galante CT');
    assert.equal((await store.verifyUserToken(token))?.role, 'radiologist');
    for (const kind of ['agents', 'users']) {
      for (const f of await readdir(join(dir, 'identities', kind))) {
        const p = join(dir, 'identities', kind, f);
        assert.equal((await stat(p)).mode & 0o777, 0o600, p);
        const text = await readFile(p, 'utf8');
        assert.ok(!text.includes(credential.split('.')[2]!) && !text.includes(token.split('.')[2]!), 'no secret on disk');
      }
    }
    await assert.rejects(run(process.execPath, [cli, 'provision', 'user', '--data', dir, '--name', 'x', '--role', 'superuser']));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

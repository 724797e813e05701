/**
 * DICOMweb for an external viewer (OHIF, Weasis web) on another origin, over real HTTP: the
 * preflight of an allowed origin is answered, others are refused; cross-origin reads work with
 * a bearer token only (the session cookie is ignored cross-origin, even same-site), carry
 * Access-Control-Allow-Origin and never Allow-Credentials; same-origin use is unchanged; the
 * flag's parser refuses anything but exact origins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHARED_CT, listFiles } from '../data.ts';
import { startTestHub, prepare, upload } from './hub-harness.ts';
import { parseCorsOrigins } from '../../hub/dicomweb/cors.ts';

const VIEWER = 'http://viewer.test:3000';

test('CORS on DICOMweb: preflight, bearer only cross-origin, same-origin unchanged', { timeout: 60_000 }, async (t) => {
  const h = await startTestHub({ options: { dicomwebCorsOrigins: [VIEWER] } });
  t.after(() => h.close());
  const inst = await prepare(listFiles(SHARED_CT)[0]!);
  assert.equal((await upload(h, h.agentA.credential, inst)).statusCode, 201);
  const url = await h.hub.app.listen({ port: 0, host: '127.0.0.1' });
  const token = h.tokens.radiologist;

  const pre = await fetch(`${url}/dicomweb/studies`, { method: 'OPTIONS', headers: { origin: VIEWER, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,accept' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), VIEWER);
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
  assert.match(pre.headers.get('access-control-allow-methods') ?? '', /GET/);
  assert.equal(pre.headers.get('access-control-allow-credentials'), null);
  const evilPre = await fetch(`${url}/dicomweb/studies`, { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'GET' } });
  assert.equal(evilPre.status, 403);
  assert.equal(evilPre.headers.get('access-control-allow-origin'), null);
  assert.equal((await fetch(`${url}/dicomweb/studies`, { method: 'OPTIONS', headers: { origin: VIEWER, 'access-control-request-method': 'DELETE' } })).status, 403, 'read-only');

  const qido = await fetch(`${url}/dicomweb/studies`, { headers: { origin: VIEWER, authorization: `Bearer ${token}`, accept: 'application/dicom+json' } });
  assert.equal(qido.status, 200);
  assert.equal(qido.headers.get('access-control-allow-origin'), VIEWER);
  assert.match(qido.headers.get('vary') ?? '', /Origin/);
  assert.match(qido.headers.get('access-control-expose-headers') ?? '', /Content-Type/);
  const studies = (await qido.json()) as Array<Record<string, { Value?: string[] }>>;
  assert.equal(studies[0]!['0020000D']!.Value![0], inst.study);
  const wado = await fetch(`${url}/dicomweb/studies/${inst.study}/series/${inst.series}/instances/${inst.sop}`, { headers: { origin: VIEWER, authorization: `Bearer ${token}`, accept: 'application/dicom' } });
  assert.equal(wado.status, 200);
  assert.equal(wado.headers.get('access-control-allow-origin'), VIEWER);
  assert.equal(Buffer.from(await wado.arrayBuffer()).length, inst.bytes.length);

  // The session cookie works same-origin, never cross-origin.
  const signIn = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
  assert.match(cookie, /^relais_session=/);
  assert.equal((await fetch(`${url}/dicomweb/studies`, { headers: { cookie } })).status, 200, 'same origin: cookie ok');
  const viaCookie = await fetch(`${url}/dicomweb/studies`, { headers: { cookie, origin: VIEWER } });
  assert.equal(viaCookie.status, 401, 'cross-origin: the cookie is not a credential');
  assert.equal(viaCookie.headers.get('access-control-allow-origin'), VIEWER, 'the viewer can read why');
  const evil = await fetch(`${url}/dicomweb/studies`, { headers: { origin: 'http://evil.test', authorization: `Bearer ${token}` } });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  // Pages and other APIs get no CORS.
  const api = await fetch(`${url}/api/v1/fleet`, { headers: { origin: VIEWER, authorization: `Bearer ${token}` } });
  assert.equal(api.headers.get('access-control-allow-origin'), null);
});

test('the CORS flag takes exact origins or *', () => {
  assert.deepEqual(parseCorsOrigins('https://ohif.example.org, http://localhost:3000'), ['https://ohif.example.org', 'http://localhost:3000']);
  assert.deepEqual(parseCorsOrigins('*'), ['*']);
  assert.deepEqual(parseCorsOrigins(undefined), []);
  assert.throws(() => parseCorsOrigins('https://ohif.example.org/viewer'));
  assert.throws(() => parseCorsOrigins('ftp://x'));
  assert.throws(() => parseCorsOrigins('not a url'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from '../../provisioning/enrolment/hub-identity.ts';
import { pinOfPem, formatPin, pinsMatch } from '../../lib/cert-pin.ts';
import { pinnedRequest, PinMismatchError } from './pinned-https.ts';

const hubCert = selfSignedCertificate(['127.0.0.1']);
const otherCert = selfSignedCertificate(['127.0.0.1']);

async function server(cert: { keyPem: string; certPem: string }) {
  const seen: string[] = [];
  const s = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''} ${body}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return { url: `https://127.0.0.1:${(s.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => s.close(() => r())) };
}

test('the pin is the SHA-256 of the certificate, as openssl prints it', () => {
  const pin = pinOfPem(hubCert.certPem);
  assert.match(pin, /^[0-9a-f]{64}$/);
  assert.match(formatPin(pin), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.ok(pinsMatch(pin, formatPin(pin)), 'colons and case do not matter');
  assert.ok(!pinsMatch(pin, pinOfPem(otherCert.certPem)));
  assert.ok(!pinsMatch('', ''), 'an empty pin never matches');
});

test('a request goes only to the server whose certificate matches the pin', async (t) => {
  const hub = await server(hubCert);
  const impostor = await server(otherCert);
  t.after(async () => {
    await hub.close();
    await impostor.close();
  });
  const pin = pinOfPem(hubCert.certPem);
  const ok = await pinnedRequest({ baseUrl: hub.url, pin, method: 'POST', path: '/enrol/v1', body: { token: 'secret-token' }, headers: { authorization: 'Bearer x' } });
  assert.deepEqual(ok, { status: 200, body: { ok: true } });
  assert.deepEqual(hub.seen, ['POST /enrol/v1 Bearer x {"token":"secret-token"}']);

  // Same address, another certificate (a machine in the middle): refused before any byte is sent.
  await assert.rejects(pinnedRequest({ baseUrl: impostor.url, pin, method: 'POST', path: '/enrol/v1', body: { token: 'secret-token' } }), PinMismatchError);
  assert.deepEqual(impostor.seen, [], 'the impostor never received the token');
  await assert.rejects(pinnedRequest({ baseUrl: hub.url.replace('https', 'http'), pin, method: 'GET', path: '/' }), TypeError);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig, configuredChannels, HubConfigError } from './config.ts';

async function tempFile(t: { after: (fn: () => Promise<void>) => void }, content: unknown, mode: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relais-hub-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const f = join(dir, 'hub.json');
  await writeFile(f, typeof content === 'string' ? content : JSON.stringify(content));
  await chmod(f, mode);
  return f;
}

test('default: live web alerts only, Paris time', async () => {
  const c = await loadHubConfig({}, { env: {} });
  assert.deepEqual(configuredChannels(c), ['web']);
  assert.equal(c.zone, 'Europe/Paris');
});

test('a config file holding secrets must be private (0600); then SMS, SMTP and webhook secrets come from it', async (t) => {
  const content = {
    zone: 'America/Martinique',
    sms: { url: 'https://sms.example/messages', token: 'gw-secret-token', sender: 'SAMU' },
    email: { smtpUrl: 'smtps://relais:p4ss@smtp.example:465', from: 'Relais <relais@hub.example>' },
    webhookSecrets: { 'ch-mg': 'whsec-0123456789abcdef' },
  };
  const open = await tempFile(t, content, 0o644);
  await assert.rejects(loadHubConfig({ config: open }, { env: {}, lang: 'en' }), (e: Error) => e instanceof HubConfigError && /holds secrets but its mode is 0644: run "chmod 600/.test(e.message));
  const f = await tempFile(t, content, 0o600);
  const c = await loadHubConfig({ config: f }, { env: {} });
  assert.deepEqual(configuredChannels(c), ['web', 'sms', 'email', 'webhook']);
  assert.equal(c.zone, 'America/Martinique');
  assert.deepEqual(c.notify.sms, { url: 'https://sms.example/messages', token: 'gw-secret-token', sender: 'SAMU' });
  assert.equal(c.notify.email?.domain, 'hub.example');
  assert.equal(c.notify.webhookSecrets['ch-mg'], 'whsec-0123456789abcdef');
});

test('a config file without secrets may be readable; secrets then from the environment; flags win', async (t) => {
  const f = await tempFile(t, { sms: { url: 'https://sms.example/messages' }, email: { smtpUrl: 'smtp://smtp.example:25', from: 'relais@hub.example' } }, 0o644);
  const env = { RELAIS_SMS_TOKEN: 'from-env', RELAIS_WEBHOOK_SECRET_CH_MG: 'whsec-from-env-0123456789' };
  const c = await loadHubConfig({ config: f, smsUrl: 'http://127.0.0.1:8025/messages', smsSender: 'RELAIS' }, { env });
  assert.deepEqual(c.notify.sms, { url: 'http://127.0.0.1:8025/messages', token: 'from-env', sender: 'RELAIS' });
  assert.equal(c.notify.email?.smtpUrl, 'smtp://smtp.example:25');
  assert.equal(c.notify.webhookSecrets['ch-mg'], 'whsec-from-env-0123456789');
});

test('clear refusals: credentials on argv, a gateway without token, unknown zone, unknown keys', async (t) => {
  await assert.rejects(loadHubConfig({ smtpUrl: 'smtp://user:pw@smtp.example', mailFrom: 'a@b.c' }, { env: {} }), /ne doit pas contenir d'identifiants/);
  await assert.rejects(loadHubConfig({ smsUrl: 'http://127.0.0.1:1/messages' }, { env: {} }), /passerelle SMS est donnée mais pas son jeton/);
  await assert.rejects(loadHubConfig({ zone: 'Mars/Olympus' }, { env: {} }), /fuseau horaire inconnu « Mars\/Olympus »/);
  await assert.rejects(loadHubConfig({ smtpUrl: 'smtp://smtp.example' }, { env: {} }), /adresse d'expéditeur/);
  const f = await tempFile(t, { smss: {} }, 0o600);
  await assert.rejects(loadHubConfig({ config: f }, { env: {}, lang: 'en' }), /invalid config file/);
});

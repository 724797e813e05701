import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAgentConfig, ConfigError, agentIdFromHostname } from './config.ts';

test('the stable flags give a complete configuration; the environment fills the credential', () => {
  const c = loadAgentConfig({ data: '/var/lib/relais', hub: 'http://10.77.0.1:8080', dicomPort: '104', aeTitle: 'RELAIS_CT' }, { RELAIS_CREDENTIAL: 'abc.def' });
  assert.equal(c.credential, 'abc.def');
  assert.equal(c.dicom.port, 104);
  assert.equal(c.dicom.aeTitle, 'RELAIS_CT');
  assert.equal(c.quietMs, 30_000);
  assert.equal(c.urgency.default, 'scheduled');
  assert.equal(c.lang, 'fr');
});

test('bad settings are refused with a message for the operator, in French by default', () => {
  assert.throws(() => loadAgentConfig({ data: '/x', hub: 'http://h' }, {}), (e: unknown) => e instanceof ConfigError && /requis/.test(e.message));
  assert.throws(() => loadAgentConfig({ data: '/x', hub: 'http://h', lang: 'en' }, {}), /required/);
  assert.throws(() => loadAgentConfig({ data: '/x', aeTitle: 'WAY_TOO_LONG_AE_TITLE' }, {}), /AE/);
  assert.throws(() => loadAgentConfig({ data: '/x', dicomPort: 'abc' }, {}), /--dicom-port/);
  assert.throws(() => loadAgentConfig({ data: '/x', hub: 'ftp://h', credential: 'c' }, {}), /--hub/);
  assert.throws(() => loadAgentConfig({ data: '/x', credential: 'with space' }, {}), ConfigError);
  assert.equal(agentIdFromHostname('CT-Room_2.hospital.fr'), 'ct-room-2-hospital-fr');
});

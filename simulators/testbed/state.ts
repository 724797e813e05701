/**
 * The on-disk record of a running test bed (`<stateRoot>/<name>/state.json`), so that
 * `relais sim testbed down|exec|stats|cut --name X` work from another process.
 * Contract: written durably, validated when read; holds public keys only (private keys are
 * handed to `wg` on stdin and kept nowhere, except the site's rendered wg-quick file, mode 0600).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { assertValid } from '../../protocol/validate.ts';
import { writeFileDurable } from '../../lib/durable-fs.ts';

export const DEFAULT_STATE_ROOT = '/run/relais-testbed';

export const SiteState = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  ns: Type.String(),
  wg: Type.String(),
  vethSite: Type.String(),
  vethHub: Type.String(),
  underlaySite: Type.String(),
  underlayHub: Type.String(),
  tunnelIpv4: Type.String(),
  tunnelIpv6: Type.String(),
  publicKey: Type.String(),
});
export type SiteState = Static<typeof SiteState>;

export const TestbedState = Type.Object({
  version: Type.Literal(1),
  name: Type.String(),
  stateDir: Type.String(),
  createdAt: Type.String(),
  profile: Type.String(),
  seed: Type.Integer({ minimum: 0 }),
  mtu: Type.Integer(),
  congestionControl: Type.Union([Type.String(), Type.Null()]),
  relay: Type.Object({
    pid: Type.Integer(),
    port: Type.Integer(),
    control: Type.String(),
    log: Type.String(),
  }),
  hub: Type.Object({
    ns: Type.String(),
    wg: Type.String(),
    tunnelIpv4: Type.String(),
    tunnelIpv6: Type.String(),
    publicKey: Type.String(),
    listenPort: Type.Integer(),
  }),
  sites: Type.Array(SiteState),
});
export type TestbedState = Static<typeof TestbedState>;

export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export async function writeState(state: TestbedState): Promise<void> {
  await writeFileDurable(stateFile(state.stateDir), `${JSON.stringify(state, null, 2)}\n`);
}

export async function readState(stateDir: string): Promise<TestbedState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return assertValid(TestbedState, JSON.parse(text));
}

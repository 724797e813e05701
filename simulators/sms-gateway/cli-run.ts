/** `relais sim sms-gateway`: runs the SMS gateway simulator until interrupted. */
import { readFile } from 'node:fs/promises';
import { startSmsGateway } from './server.ts';

export async function runSmsGatewayFromCli(opts: { port: string; host: string; tokenFile: string; record?: string }): Promise<void> {
  const token = (await readFile(opts.tokenFile, 'utf8')).trim();
  const gw = await startSmsGateway({ port: Number(opts.port), host: opts.host, token, ...(opts.record ? { recordFile: opts.record } : {}) });
  process.stdout.write(`SMS gateway simulator listening: POST ${gw.url}\n`);
  const stop = () => void gw.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

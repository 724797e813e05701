/**
 * C-ECHO SCU (verification) on dcmjs-dimse, with TCP_NODELAY. Resolves with the DIMSE status
 * (0x0000 = success), or undefined when the association was rejected or failed; never rejects.
 */
import dimse from 'dcmjs-dimse';
import type { StoreTarget } from './raw-scu.ts';
import { silenceDimseLog, withNoDelayConnect } from './raw-scu.ts';

export function echoScu(target: StoreTarget, timeoutMs = 10_000): Promise<number | undefined> {
  silenceDimseLog();
  return new Promise((resolve) => {
    const client = new dimse.Client();
    const request = new dimse.requests.CEchoRequest();
    let status: number | undefined;
    let settled = false;
    const finish = () => {
      if (!settled) {
        settled = true;
        resolve(status);
      }
    };
    request.on('response', (rsp: InstanceType<typeof dimse.responses.CEchoResponse>) => {
      status = rsp.getStatus();
    });
    client.addRequest(request);
    client.on('networkError', finish);
    client.on('closed', finish);
    try {
      withNoDelayConnect(
        () => client.send(target.host, target.port, target.callingAeTitle, target.calledAeTitle, { connectTimeout: timeoutMs, associationTimeout: timeoutMs, pduTimeout: timeoutMs }),
        (s) => s.once('close', () => setImmediate(finish)),
      );
    } catch {
      finish();
    }
  });
}

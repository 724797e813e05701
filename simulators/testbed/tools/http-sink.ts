/**
 * Plain HTTP sink for the single-stream anchor, run in the hub namespace:
 *   http-sink.ts --host H --port P
 * prints {"event":"listening","port":N}; each PUT/POST body is counted and discarded; the answer
 * is 200 {"bytes":N}; each request also prints {"event":"request","bytes":N,"seconds":S}.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { host: { type: 'string', default: '0.0.0.0' }, port: { type: 'string', default: '0' } } });
const line = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

const server = createServer((req, res) => {
  const t0 = performance.now();
  let bytes = 0;
  req.on('data', (c: Buffer) => { bytes += c.length; });
  req.on('end', () => {
    line({ event: 'request', method: req.method, bytes, seconds: (performance.now() - t0) / 1000 });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ bytes }));
  });
  req.on('error', () => line({ event: 'request', method: req.method, bytes, aborted: true }));
});
server.requestTimeout = 0;
server.listen(Number(values.port), values.host, () => {
  const a = server.address();
  line({ event: 'listening', port: typeof a === 'object' && a ? a.port : null });
});
process.on('SIGTERM', () => process.exit(0));

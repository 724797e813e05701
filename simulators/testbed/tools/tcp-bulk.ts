/**
 * Bulk TCP source and sink, run inside test-bed namespaces (one process each):
 *   tcp-bulk.ts sink --host H --port P
 *     prints {"event":"listening","port":N}; for each connection, once the peer has finished
 *     sending, prints {"event":"received","bytes":N,"seconds":S,"complete":true} and answers
 *     "<bytes>\n"; a connection reset prints complete:false with the bytes that arrived.
 *   tcp-bulk.ts source --host H --port P --bytes N [--cap-ms M]
 *     sends N bytes (incompressible), waits for the sink's answer, prints
 *     {"event":"sent","bytes":N,"seconds":S,"complete":true}; past the cap it resets the
 *     connection (no lingering data) and prints complete:false.
 * Seconds run from connect() to the sink's answer (what an application would wait).
 */
import { createServer, connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: 'string', default: '0.0.0.0' },
    port: { type: 'string', default: '0' },
    bytes: { type: 'string', default: '0' },
    'cap-ms': { type: 'string' },
  },
});

const line = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const mode = positionals[0];

if (mode === 'sink') {
  const server = createServer((sock: Socket) => {
    const t0 = performance.now();
    let bytes = 0;
    let ended = false;
    sock.on('data', (c: Buffer) => { bytes += c.length; });
    sock.on('end', () => {
      ended = true;
      line({ event: 'received', bytes, seconds: (performance.now() - t0) / 1000, complete: true });
      sock.end(`${bytes}\n`);
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (!ended) line({ event: 'received', bytes, seconds: (performance.now() - t0) / 1000, complete: false });
    });
  });
  server.listen(Number(values.port), values.host, () => {
    const a = server.address();
    line({ event: 'listening', port: typeof a === 'object' && a ? a.port : null });
  });
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'source') {
  const total = Number(values.bytes);
  const capMs = values['cap-ms'] ? Number(values['cap-ms']) : Infinity;
  const chunk = randomBytes(1 << 20);
  const t0 = performance.now();
  const sock = connect({ host: values.host!, port: Number(values.port) });
  let done = false;
  const finish = (complete: boolean) => {
    if (done) return;
    done = true;
    line({ event: 'sent', bytes: total, seconds: (performance.now() - t0) / 1000, complete });
    if (!complete) sock.resetAndDestroy();
    else sock.destroy();
    process.exit(0);
  };
  const cap = Number.isFinite(capMs) ? setTimeout(() => finish(false), capMs) : undefined;
  let answer = '';
  sock.on('data', (d: Buffer) => {
    answer += d.toString();
    if (answer.endsWith('\n')) {
      if (cap) clearTimeout(cap);
      finish(Number(answer.trim()) === total);
    }
  });
  sock.on('error', (err) => {
    line({ event: 'error', message: err.message });
    process.exit(1);
  });
  sock.on('connect', async () => {
    let sent = 0;
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      const ok = sock.write(n === chunk.length ? chunk : chunk.subarray(0, n));
      sent += n;
      if (!ok) await new Promise((r) => sock.once('drain', r));
    }
    sock.end();
  });
} else {
  process.stderr.write('usage: tcp-bulk.ts sink|source [--host H] [--port P] [--bytes N] [--cap-ms M]\n');
  process.exit(2);
}

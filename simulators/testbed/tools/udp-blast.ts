/**
 * Paced UDP sender for measuring the link relay's rate through the tunnel, run in a site namespace:
 *   udp-blast.ts --host H --port P --bits-per-second R --seconds D [--size B]
 * sends B-byte datagrams at R bit/s (paced per millisecond) for D seconds, then prints
 * {"event":"done","datagrams":N,"bytes":M,"seconds":S}.
 */
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string', default: '9' },
    'bits-per-second': { type: 'string' },
    seconds: { type: 'string', default: '5' },
    size: { type: 'string', default: '1372' },
  },
});
const size = Number(values.size);
const rate = Number(values['bits-per-second']) / 8; // bytes per second
const durationMs = Number(values.seconds) * 1000;
const sock = createSocket('udp4');
const payload = Buffer.alloc(size, 0x5a);
const t0 = performance.now();
let sent = 0;
let datagrams = 0;
const tick = () => {
  const elapsed = performance.now() - t0;
  const due = Math.min(elapsed, durationMs) * (rate / 1000);
  while (sent + size <= due) {
    sock.send(payload, Number(values.port), values.host);
    sent += size;
    datagrams++;
  }
  if (elapsed < durationMs) setTimeout(tick, 1);
  else {
    process.stdout.write(`${JSON.stringify({ event: 'done', datagrams, bytes: sent, seconds: elapsed / 1000 })}\n`);
    sock.close();
  }
};
tick();

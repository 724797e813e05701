/**
 * The agent's DICOM listener: a plain `net` server (dcmjs-dimse's Server has no bind address,
 * no TCP_NODELAY, no connection cap and no association timeout for accepted sockets), one
 * RelaisScp per connection.
 *
 * Contract:
 * - binds `host:port` (port 0 = any; `listen` resolves with the bound port);
 * - TCP_NODELAY on every socket; a PDU guard drops connections that announce a PDU above
 *   `maxPduLength` or send unknown PDU types before dcmjs-dimse buffers them;
 * - at most `maxAssociations` accepted associations (the SCP rejects beyond, transient) and at
 *   most twice that many open sockets (extra sockets are closed at once);
 * - a connection idle for `idleTimeoutMs`, or without A-ASSOCIATE-RQ for
 *   `associationTimeoutMs`, is closed;
 * - `close()` stops listening, waits (bounded) for admissions in flight so that nothing
 *   acknowledged is cut short, then closes every connection.
 */
import net from 'node:net';
import { silenceDimseLog } from '../../lib/dicom/raw-scu.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Clock } from '../../lib/clock.ts';
import { sleep } from '../../lib/clock.ts';
import { PduGuard } from './pdu-guard.ts';
import { RelaisScp, type ScpDeps, type AssociationSlots } from './scp.ts';

export interface DicomServerOptions {
  port: number;
  host?: string;
  maxAssociations: number;
  idleTimeoutMs: number;
  associationTimeoutMs: number;
  /** Largest PDU accepted from a peer (bytes after the 6-byte PDU header). */
  maxPduLength: number;
}

export type DicomServerDeps = Omit<ScpDeps, 'slots' | 'track'> & { clock: Clock; log: Logger };

export class DicomServer {
  readonly #opts: DicomServerOptions;
  readonly #deps: DicomServerDeps;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #associations = 0;
  #port = 0;

  constructor(opts: DicomServerOptions, deps: DicomServerDeps) {
    this.#opts = opts;
    this.#deps = deps;
    silenceDimseLog(); // our own logs carry what matters, without patient data
    this.#server = net.createServer({ noDelay: true }, (socket) => this.#onConnection(socket));
  }

  get port(): number {
    return this.#port;
  }

  get activeAssociations(): number {
    return this.#associations;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ port: this.#opts.port, ...(this.#opts.host ? { host: this.#opts.host } : {}) }, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => this.#deps.log.error({ err: err.message }, 'dicom: server error'));
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address ? address.port : this.#opts.port;
        resolve(this.#port);
      });
    });
  }

  #onConnection(socket: net.Socket): void {
    const log = this.#deps.log;
    if (this.#sockets.size >= this.#opts.maxAssociations * 2) {
      log.warn({ remote: socket.remoteAddress }, 'dicom: too many open connections, closing a new one');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    const guard = new PduGuard(this.#opts.maxPduLength);
    socket.prependListener('data', (chunk: Buffer) => {
      const violation = guard.feed(chunk);
      if (violation && !socket.destroyed) {
        log.warn({ remote: socket.remoteAddress, violation }, 'dicom: protocol violation, closing connection');
        socket.destroy();
      }
    });
    const slots: AssociationSlots = {
      tryAcquire: () => {
        if (this.#associations >= this.#opts.maxAssociations) return false;
        this.#associations++;
        return true;
      },
      release: () => {
        this.#associations = Math.max(0, this.#associations - 1);
      },
    };
    const scp = new RelaisScp(
      socket,
      {
        connectTimeout: this.#opts.idleTimeoutMs,
        associationTimeout: this.#opts.associationTimeoutMs,
        pduTimeout: this.#opts.idleTimeoutMs,
      },
      { ...this.#deps, slots, track: (p) => this.#track(p) },
    );
    // The socket is connected already: start dcmjs-dimse's association timer now.
    const network = scp as unknown as { connected: boolean; connectedTime: number };
    network.connected = true;
    network.connectedTime = Date.now();
    scp.on('networkError', (err: Error) => {
      log.warn({ remote: socket.remoteAddress, err: err.message }, 'dicom: connection error');
      socket.destroy();
    });
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch(() => {}).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  /** Stops listening, lets admissions in flight finish (up to `graceMs`), closes connections. */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (this.#inFlight.size > 0) {
      const timeout = new AbortController();
      await Promise.race([
        Promise.allSettled([...this.#inFlight]),
        sleep(this.#deps.clock, graceMs, timeout.signal).catch(() => {}),
      ]);
      timeout.abort();
    }
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    // Cleanups started by the closing sockets (intake folders of cut instances).
    await Promise.allSettled([...this.#inFlight]);
  }
}

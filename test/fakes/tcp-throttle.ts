/**
 * A TCP proxy on loopback that slows the client → server direction to `bytesPerSecond` and
 * counts the bytes it forwarded that way (what a sender put on the link). The target may be
 * changed (a restarted server on another port); `cut()` resets every connection, as a dropped
 * link or a killed peer would.
 */
import net from 'node:net';

export class TcpThrottle {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #target: { host: string; port: number };
  #bytesPerSecond: number;
  #forwarded = 0;
  port = 0;

  constructor(target: { host: string; port: number }, bytesPerSecond: number) {
    this.#target = target;
    this.#bytesPerSecond = bytesPerSecond;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  get forwardedBytes(): number {
    return this.#forwarded;
  }

  retarget(target: { host: string; port: number }): void {
    this.#target = target;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as net.AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  cut(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    const upstream = net.connect(this.#target);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.pipe(client);
    // Client → server: one slice at a time, each followed by the time it takes at the rate.
    const slice = Math.max(1024, Math.floor(this.#bytesPerSecond / 50));
    client.on('data', (data: Buffer) => {
      client.pause();
      let offset = 0;
      const step = () => {
        if (upstream.destroyed) return;
        if (offset >= data.length) return void client.resume();
        const part = data.subarray(offset, offset + slice);
        offset += part.length;
        this.#forwarded += part.length;
        upstream.write(part);
        setTimeout(step, (part.length / this.#bytesPerSecond) * 1000);
      };
      step();
    });
  }
}

/**
 * Client of the relay's control endpoint (simulators/link/control.ts) over a Unix socket or
 * loopback HTTP. Used by the test bed, tests, benches and the CLI.
 * Contract: each call resolves with the parsed JSON answer or rejects with the HTTP status and body.
 */
import { request } from 'node:http';
import type { LinkProfile, LinkProfileSpec } from './profiles.ts';
import type { OutageStatus, RelayStats } from './relay.ts';
import type { ControlAddress } from './control.ts';

export class RelayControl {
  readonly address: ControlAddress;

  constructor(address: ControlAddress) {
    this.address = address;
  }

  stats(): Promise<RelayStats> {
    return this.#call('GET', '/stats');
  }

  profile(): Promise<LinkProfile> {
    return this.#call('GET', '/profile');
  }

  /** Switches the link to a named profile or a full spec, live. */
  setProfile(profile: string | LinkProfileSpec): Promise<LinkProfile> {
    return this.#call('PUT', '/profile', typeof profile === 'string' ? { name: profile } : profile);
  }

  /** Cuts the link now for `durationMs` (omitted: until `restore`). */
  cut(durationMs?: number): Promise<OutageStatus> {
    return this.#call('POST', '/outage', durationMs === undefined ? {} : { durationMs });
  }

  restore(): Promise<OutageStatus> {
    return this.#call('DELETE', '/outage');
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const target = 'path' in this.address ? { socketPath: this.address.path } : { host: this.address.host, port: this.address.port };
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          ...target,
          method,
          path,
          headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300) return reject(new Error(`relay control ${method} ${path}: ${res.statusCode} ${text}`));
            try {
              resolve(JSON.parse(text) as T);
            } catch (err) {
              reject(err);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/**
 * An in-memory stand-in for the programs behind provisioning/wireguard's CommandRunner port
 * (`ip`, `wireguard-go`, `wg`, `nft`), for tests that run without root: interfaces and their
 * peers live in a map; `wg show <if> dump` renders them in wg(8)'s format; secrets arrive as the
 * binding sends them (a file path, read at once). Every call is recorded. Handshakes happen only
 * when a test says so (`handshake`).
 */
import { readFileSync } from 'node:fs';
import type { CommandRunner, CommandResult } from '../../provisioning/wireguard/command-runner.ts';
import { CommandError } from '../../provisioning/wireguard/command-runner.ts';

interface FakePeer {
  publicKey: string;
  presharedKey: string | null;
  endpoint: string | null;
  allowedIps: string[];
  keepalive: number | null;
  handshakeS: number;
  rx: number;
  tx: number;
}

interface FakeInterface {
  privateKey: string | null;
  listenPort: number;
  peers: Map<string, FakePeer>;
}

export class FakeWireGuard {
  readonly interfaces = new Map<string, FakeInterface>();
  readonly calls: string[][] = [];
  readonly nftScripts: string[] = [];

  readonly runner: CommandRunner = {
    run: async (file, args, opts) => {
      this.calls.push([file, ...args]);
      return this.#run(file, [...args], opts?.stdin);
    },
  };

  handshake(iface: string, publicKey: string, atMs: number): void {
    const p = this.interfaces.get(iface)?.peers.get(publicKey);
    if (!p) throw new Error(`no peer ${publicKey} on ${iface}`);
    p.handshakeS = Math.floor(atMs / 1000);
  }

  peers(iface: string): FakePeer[] {
    return [...(this.interfaces.get(iface)?.peers.values() ?? [])];
  }

  #fail(file: string, args: string[], stderr: string): never {
    throw new CommandError(file, args, 1, stderr);
  }

  #run(file: string, args: string[], stdin: string | Uint8Array | undefined): CommandResult {
    const ok = { stdout: '', stderr: '' };
    if (file === 'nft') {
      this.nftScripts.push(String(stdin ?? ''));
      return ok;
    }
    if (file === 'wireguard-go') {
      this.interfaces.set(args[0]!, { privateKey: null, listenPort: 0, peers: new Map() });
      return ok;
    }
    if (file === 'ip') {
      if (args[0] === 'link' && args[1] === 'show') {
        if (!this.interfaces.has(args[3]!)) this.#fail(file, args, `Device "${args[3]}" does not exist.`);
        return ok;
      }
      if (args[0] === 'link' && args[1] === 'add') this.#fail(file, args, 'Error: Unknown device type.');
      if (args[0] === 'link' && args[1] === 'del') {
        this.interfaces.delete(args[3]!);
        return ok;
      }
      return ok;
    }
    if (file === 'wg') {
      const iface = this.interfaces.get(args[1]!);
      if (!iface) this.#fail(file, args, `Unable to access interface: No such device`);
      if (args[0] === 'show') return { stdout: this.#dump(iface), stderr: '' };
      if (args[2] === 'private-key') {
        iface.privateKey = readFileSync(args[3]!, 'utf8').trim();
        return ok;
      }
      if (args[2] === 'listen-port') {
        iface.listenPort = Number(args[3]);
        return ok;
      }
      if (args[2] === 'peer') {
        const key = args[3]!;
        if (args[4] === 'remove') {
          iface.peers.delete(key);
          return ok;
        }
        const p: FakePeer = iface.peers.get(key) ?? { publicKey: key, presharedKey: null, endpoint: null, allowedIps: [], keepalive: null, handshakeS: 0, rx: 0, tx: 0 };
        for (let i = 4; i < args.length; i += 2) {
          const v = args[i + 1]!;
          if (args[i] === 'preshared-key') p.presharedKey = readFileSync(v, 'utf8').trim();
          else if (args[i] === 'endpoint') p.endpoint = v;
          else if (args[i] === 'persistent-keepalive') p.keepalive = v === 'off' ? null : Number(v);
          else if (args[i] === 'allowed-ips') {
            p.allowedIps = v.split(',').filter(Boolean);
            // An allowed IP belongs to one peer: taking it removes it from the others (as WireGuard does).
            for (const other of iface.peers.values()) if (other !== p) other.allowedIps = other.allowedIps.filter((a) => !p.allowedIps.includes(a));
          }
        }
        iface.peers.set(key, p);
        return ok;
      }
    }
    return this.#fail(file, args, `fake: unsupported command ${file} ${args.join(' ')}`);
  }

  #dump(i: FakeInterface): string {
    const head = [i.privateKey ?? '(none)', '(none)', String(i.listenPort), 'off'].join('\t');
    const peers = [...i.peers.values()].map((p) =>
      [p.publicKey, p.presharedKey ?? '(none)', p.endpoint ?? '(none)', p.allowedIps.join(',') || '(none)', String(p.handshakeS), String(p.rx), String(p.tx), p.keepalive === null ? 'off' : String(p.keepalive)].join('\t'));
    return `${[head, ...peers].join('\n')}\n`;
  }
}

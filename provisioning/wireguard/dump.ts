/**
 * Parser of `wg show <interface> dump` (wg(8)): one tab-separated line for the interface, then
 * one per peer. Contract: the interface's private key (first field) is discarded, never
 * returned; "(none)", "off" and 0 become null; handshake times are epoch milliseconds.
 */
export interface WgInterfaceStatus {
  publicKey: string | null;
  listenPort: number;
  fwmark: number | null;
}

export interface WgPeerStatus {
  publicKey: string;
  hasPresharedKey: boolean;
  /** host:port the peer was last seen at (or configured), null if none. */
  endpoint: string | null;
  allowedIps: string[];
  /** Epoch ms of the latest handshake, null if never. */
  latestHandshakeMs: number | null;
  rxBytes: number;
  txBytes: number;
  persistentKeepaliveSeconds: number | null;
}

export interface WgStatus {
  interface: WgInterfaceStatus;
  peers: WgPeerStatus[];
}

const none = (s: string | undefined): string | null => (s === undefined || s === '(none)' || s === 'off' || s === '' ? null : s);

export function parseWgDump(text: string): WgStatus {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const head = lines.shift();
  if (!head) throw new Error('wg dump: empty output');
  const h = head.split('\t');
  if (h.length !== 4) throw new Error(`wg dump: interface line has ${h.length} fields, expected 4`);
  const iface: WgInterfaceStatus = {
    publicKey: none(h[1]),
    listenPort: Number(h[2]),
    fwmark: none(h[3]) === null ? null : Number(h[3]),
  };
  const peers = lines.map((line, i): WgPeerStatus => {
    const f = line.split('\t');
    if (f.length !== 8) throw new Error(`wg dump: peer line ${i + 1} has ${f.length} fields, expected 8`);
    const handshake = Number(f[4]);
    const keepalive = none(f[7]);
    const allowed = none(f[3]);
    return {
      publicKey: f[0]!,
      hasPresharedKey: none(f[1]) !== null,
      endpoint: none(f[2]),
      allowedIps: allowed ? allowed.split(',') : [],
      latestHandshakeMs: handshake > 0 ? handshake * 1000 : null,
      rxBytes: Number(f[5]),
      txBytes: Number(f[6]),
      persistentKeepaliveSeconds: keepalive === null ? null : Number(keepalive),
    };
  });
  return { interface: iface, peers };
}

/**
 * nftables rules on the hub's WireGuard interface (pure: returns an `nft -f` script).
 * From tunnel peers (sites and reading workstations) the hub accepts only its HTTP port (the
 * agent API and the reading services: DICOMweb, worklist, pages), ping, and replies to its own
 * connections; everything else arriving on the interface — SSH, the enrolment listener, any
 * other port — is dropped and counted. Nothing is forwarded from or to the interface, so peers
 * never reach one another through the hub (their AllowedIPs are their own /32 and /128 too).
 * The table is the hub's own (`inet relais_hub_<interface>`), replaced whole on each start; it
 * accepts nothing by itself that another table drops.
 */
export interface HubFirewall {
  interfaceName: string;
  apiPort: number;
}

export function hubTableName(interfaceName: string): string {
  return `relais_hub_${interfaceName.replace(/[^A-Za-z0-9]/g, '_')}`;
}

export function hubRuleset(f: HubFirewall): string {
  if (!/^[A-Za-z0-9_=+.-]{1,15}$/.test(f.interfaceName)) throw new TypeError(`invalid interface name "${f.interfaceName}"`);
  if (!(Number.isInteger(f.apiPort) && f.apiPort > 0 && f.apiPort < 65536)) throw new TypeError('invalid API port');
  const t = hubTableName(f.interfaceName);
  const i = `iifname "${f.interfaceName}"`;
  return [
    `table inet ${t}`,
    `delete table inet ${t}`,
    `table inet ${t} {`,
    '  chain input {',
    '    type filter hook input priority filter - 1; policy accept;',
    `    ${i} ct state established,related accept`,
    `    ${i} tcp dport ${f.apiPort} counter accept comment "hub API and reading services"`,
    `    ${i} icmp type echo-request accept`,
    `    ${i} icmpv6 type echo-request accept`,
    `    ${i} counter drop comment "anything else from the tunnel"`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter - 1; policy accept;',
    `    ${i} counter drop comment "no forwarding from tunnel peers"`,
    `    oifname "${f.interfaceName}" counter drop comment "no forwarding into the tunnel"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Removes the hub's table (no error if absent). */
export function hubRulesetRemoval(interfaceName: string): string {
  const t = hubTableName(interfaceName);
  return `table inet ${t}\ndelete table inet ${t}\n`;
}

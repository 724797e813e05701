/**
 * nftables rules that make the test bed honest: the underlay (veth) carries only WireGuard, and
 * only through the relay. In the hub namespace, the relay's port is the only thing reachable from
 * a site's veth (the hub's WireGuard port is dropped, and counted, if a site tries it directly);
 * nothing is forwarded between sites. In a site namespace, only the relay's datagrams come in.
 * Contract (pure): returns an `nft -f` script that (re)creates one table, `inet relais_testbed`.
 */
export interface HubRules {
  table: string;
  /** Interface name pattern of the hub's veths, e.g. "rb1-vh*". */
  vethPattern: string;
  relayPort: number;
  wireguardPort: number;
}

/** An `nft -f` script replacing table `inet <table>` with an input chain and a dropping forward chain. */
function table(name: string, inputRules: string[]): string {
  return [
    `table inet ${name}`,
    `delete table inet ${name}`,
    `table inet ${name} {`,
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    ...inputRules.map((r) => `    ${r}`),
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    '  }',
    '}',
    '',
  ].join('\n');
}

export function hubRuleset(r: HubRules): string {
  return table(r.table, [
    'iifname "lo" accept',
    `iifname "${r.vethPattern}" udp dport ${r.relayPort} counter accept comment "to the relay"`,
    `iifname "${r.vethPattern}" udp dport ${r.wireguardPort} counter drop comment "wireguard bypassing the relay"`,
    `iifname "${r.vethPattern}" counter drop comment "non-wireguard underlay traffic"`,
  ]);
}

export interface SiteRules {
  table: string;
  vethPattern: string;
  relayPort: number;
}

export function siteRuleset(r: SiteRules): string {
  return table(r.table, [
    `iifname "${r.vethPattern}" udp sport ${r.relayPort} counter accept comment "from the relay"`,
    `iifname "${r.vethPattern}" counter drop comment "anything else on the underlay"`,
  ]);
}
export interface RuleCounter {
  comment: string;
  packets: number;
  bytes: number;
}

/** Reads the counters of commented rules from `nft -j list table inet <table>` output. */
export function parseRuleCounters(json: string): RuleCounter[] {
  const doc = JSON.parse(json) as { nftables?: Array<{ rule?: { comment?: string; expr?: Array<{ counter?: { packets: number; bytes: number } }> } }> };
  const out: RuleCounter[] = [];
  for (const item of doc.nftables ?? []) {
    const rule = item.rule;
    if (!rule?.comment) continue;
    const counter = rule.expr?.find((e) => e.counter)?.counter;
    if (counter) out.push({ comment: rule.comment, packets: counter.packets, bytes: counter.bytes });
  }
  return out;
}

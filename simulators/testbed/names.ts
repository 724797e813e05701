/**
 * Names and underlay addresses of a test bed, derived from its short name so that parallel test
 * beds never clash and `down` can find everything from the name alone.
 * Contract (pure): for name N (1–9 of [a-z0-9], starting with a letter) and site index i:
 * namespaces `N-hub`, `N-site<i>`; veth `N-vh<i>` (hub side) / `N-vs<i>` (site side);
 * WireGuard `N-wh` (hub) / `N-ws<i>` (site) — distinct machine-wide, as wireguard-go needs.
 * Site i's underlay is 192.0.2.(4i+1)/30, the hub's side of it 192.0.2.(4i+2)/30 (TEST-NET-1;
 * the same in every test bed, which is fine since each lives in its own namespaces).
 */
export const NAME_RE = /^[a-z][a-z0-9]{0,8}$/;
export const MAX_SITES = 60;

export function assertTestbedName(name: string): void {
  if (!NAME_RE.test(name)) throw new TypeError(`test bed name "${name}" must be 1–9 characters [a-z0-9], starting with a letter`);
}

export interface SiteNames {
  index: number;
  ns: string;
  wg: string;
  vethSite: string;
  vethHub: string;
  underlaySite: string;
  underlayHub: string;
}

export interface TestbedNames {
  name: string;
  hubNs: string;
  hubWg: string;
  /** nftables table made in each namespace. */
  nftTable: string;
  site(index: number): SiteNames;
  /** Whether a namespace name belongs to this test bed. */
  ownsNamespace(ns: string): boolean;
}

export function testbedNames(name: string): TestbedNames {
  assertTestbedName(name);
  return {
    name,
    hubNs: `${name}-hub`,
    hubWg: `${name}-wh`,
    nftTable: 'relais_testbed',
    site(index) {
      if (!(Number.isInteger(index) && index >= 0 && index < MAX_SITES)) throw new RangeError(`site index must be 0..${MAX_SITES - 1}`);
      return {
        index,
        ns: `${name}-site${index}`,
        wg: `${name}-ws${index}`,
        vethSite: `${name}-vs${index}`,
        vethHub: `${name}-vh${index}`,
        underlaySite: `192.0.2.${4 * index + 1}`,
        underlayHub: `192.0.2.${4 * index + 2}`,
      };
    },
    ownsNamespace(ns) {
      return ns === `${name}-hub` || new RegExp(`^${name}-site\\d{1,2}$`).test(ns);
    },
  };
}

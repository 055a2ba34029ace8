/**
 * IPv4 arithmetic: subnets, ranges and overlaps are checked before libvirt or Docker sees a network, so a
 * person gets "overlaps virbr0 (192.168.122.0/24)" instead of a dnsmasq failure or a host cut off its LAN.
 * Addresses are unsigned 32-bit integers; text is strict (no leading zeros, no spaces).
 */

export interface Ipv4Subnet {
  /** The network address as an unsigned 32-bit integer. */
  network: number;
  prefix: number;
}

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** Dotted quad to integer; null for anything else (leading zeros, spaces, IPv6…). */
export function parseIpv4(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = IPV4.exec(value);
  if (!m) return null;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** "10.0.0.0/24" (or a bare address, as /32) to its subnet, the host bits masked off; null for anything else. */
export function parseCidr(value: string): Ipv4Subnet | null {
  const slash = value.indexOf('/');
  const address = parseIpv4(slash < 0 ? value : value.slice(0, slash));
  const prefixText = slash < 0 ? '32' : value.slice(slash + 1);
  if (address === null || !/^(3[0-2]|[12]?\d)$/.test(prefixText)) return null;
  return subnetOf(address, Number(prefixText));
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** 255.255.255.0 → 24; null when the mask is not contiguous. */
export function prefixOfNetmask(netmask: string): number | null {
  const n = parseIpv4(netmask);
  if (n === null) return null;
  for (let p = 0; p <= 32; p++) if (maskOf(p) === n) return p;
  return null;
}

export function subnetOf(address: number, prefix: number): Ipv4Subnet {
  return { network: (address & maskOf(prefix)) >>> 0, prefix };
}

export function broadcastOf(s: Ipv4Subnet): number {
  return (s.network | (~maskOf(s.prefix) >>> 0)) >>> 0;
}

export function subnetContains(s: Ipv4Subnet, address: number): boolean {
  return (address & maskOf(s.prefix)) >>> 0 === s.network;
}

export function subnetsOverlap(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.network & maskOf(p)) >>> 0 === (b.network & maskOf(p)) >>> 0;
}

export function formatSubnet(s: Ipv4Subnet): string {
  return `${formatIpv4(s.network)}/${s.prefix}`;
}

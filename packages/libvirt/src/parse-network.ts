/**
 * What `virsh net-dumpxml` and `virsh net-dhcp-leases` say about a libvirt network, for the
 * networks page (parse-misc.ts keeps the short form the VM create dialog needs).
 */
import { prefixOfNetmask } from '@mirador/net';
import { attr, child, children, makeParser, parseXmlRoot, text, toInt } from './xml.js';

export interface NetworkDhcpHost {
  mac: string | null;
  ip: string;
  name: string | null;
}

export interface NetworkAddress {
  family: 'ipv4' | 'ipv6';
  address: string | null;
  prefix: number | null;
  dhcpRanges: Array<{ start: string; end: string }>;
  hosts: NetworkDhcpHost[];
}

export interface NetworkDetail {
  name: string;
  uuid: string | null;
  /** nat | route | open | bridge | isolated (no <forward>) | another libvirt mode (passthrough, vepa…). */
  forwardMode: string;
  /** The bridge device (virbrN, or the host bridge of a bridged network). */
  bridge: string | null;
  ips: NetworkAddress[];
}

const parser = makeParser(['network.ip', 'network.ip.dhcp.range', 'network.ip.dhcp.host']);

export function parseNetworkDetail(xml: string): NetworkDetail {
  const net = parseXmlRoot(parser, xml, 'network');
  const name = text(net, 'name');
  if (!name) throw new Error('Network XML has no <name>');
  const forward = child(net, 'forward');
  return {
    name,
    uuid: text(net, 'uuid') || null,
    // <forward/> without a mode means NAT; no <forward> at all is an isolated network.
    forwardMode: forward ? (attr(forward, 'mode') ?? 'nat') : 'isolated',
    bridge: attr(child(net, 'bridge'), 'name') ?? null,
    ips: children(net, 'ip').map((ip) => {
      const family = attr(ip, 'family') === 'ipv6' ? 'ipv6' : 'ipv4';
      const netmask = attr(ip, 'netmask');
      const dhcp = child(ip, 'dhcp');
      return {
        family,
        address: attr(ip, 'address') ?? null,
        prefix: toInt(attr(ip, 'prefix')) ?? (netmask ? prefixOfNetmask(netmask) : null),
        dhcpRanges: children(dhcp, 'range')
          .map((r) => ({ start: attr(r, 'start') ?? '', end: attr(r, 'end') ?? '' }))
          .filter((r) => r.start !== '' && r.end !== ''),
        hosts: children(dhcp, 'host')
          .map((h) => ({ mac: attr(h, 'mac') ?? null, ip: attr(h, 'ip') ?? '', name: attr(h, 'name') ?? null }))
          .filter((h) => h.ip !== ''),
      };
    }),
  };
}

export interface DhcpLease {
  /** As virsh prints it: the host's local time, "YYYY-MM-DD HH:MM:SS". */
  expiry: string;
  mac: string;
  protocol: 'ipv4' | 'ipv6';
  ip: string;
  prefix: number | null;
  hostname: string | null;
  clientId: string | null;
}

// "2026-12-06 07:17:55   52:54:00:00:d0:7f   ipv4   192.168.122.202/24   -   01:52:54:00:00:d0:7f"
const LEASE_ROW = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(\S+)\s+(ipv4|ipv6)\s+(\S+?)(?:\/(\d+))?\s+(\S+)(?:\s+(\S+))?\s*$/;

/** The leases table; header, rule and anything unexpected are skipped rather than guessed at. */
export function parseDhcpLeases(output: string): DhcpLease[] {
  const out: DhcpLease[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = LEASE_ROW.exec(line.trim());
    if (!m) continue;
    out.push({
      expiry: m[1]!,
      mac: m[2]!.toLowerCase(),
      protocol: m[3] as 'ipv4' | 'ipv6',
      ip: m[4]!,
      prefix: m[5] ? Number(m[5]) : null,
      hostname: m[6] === '-' ? null : m[6]!,
      clientId: m[7] && m[7] !== '-' ? m[7] : null,
    });
  }
  return out;
}

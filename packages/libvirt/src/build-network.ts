/**
 * The XML of a libvirt network built from a form. Every value is validated (the error names the
 * field) and goes into the document through the XML builder, never by string concatenation.
 */
import { LibvirtValidationError, assertNetworkName } from './names.js';
import { broadcastOf, formatSubnet, parseIpv4, subnetContains, subnetOf, type Ipv4Subnet } from '@mirador/net';
import { makeBuilder, type XmlNode } from './xml.js';

export type NetworkKind = 'nat' | 'route' | 'isolated' | 'bridge';

export interface NetworkIpv4Spec {
  /** The network address (host bits zero), e.g. 10.231.5.0. */
  subnet: string;
  prefix: number;
  /** The host's own address on the network's bridge. */
  gateway: string;
  dhcp?: { start: string; end: string };
  hosts?: Array<{ mac: string; ip: string; name?: string }>;
}

export interface NetworkSpec {
  name: string;
  kind: NetworkKind;
  /** nat / route / isolated: the bridge libvirt creates (virbrN when left out). */
  bridgeName?: string;
  ipv4?: NetworkIpv4Spec;
  /** bridge: an existing host bridge the guests join. */
  hostBridge?: string;
}

/** Linux interface names: at most 15 bytes; kept to characters that are safe everywhere. */
export const INTERFACE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
/** Unicast MAC (lowest bit of the first octet clear), colon-separated. */
const MAC_PATTERN = /^[0-9A-Fa-f][02468AaCcEe](?::[0-9A-Fa-f]{2}){5}$/;
const DHCP_HOSTNAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const NETWORK_KINDS: readonly NetworkKind[] = ['nat', 'route', 'isolated', 'bridge'];

const fail = (field: string, message: string): never => {
  throw new LibvirtValidationError('invalid-value', field, message);
};

export function assertInterfaceName(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || !INTERFACE_NAME_PATTERN.test(name)) {
    fail(field, `Interface name ${JSON.stringify(name)} must be 1–15 letters, digits, "_", "." or "-", starting with a letter or digit.`);
  }
}

function ipv4Of(value: unknown, field: string): number {
  const n = parseIpv4(value);
  return n ?? fail(field, `${JSON.stringify(value)} is not an IPv4 address (like 10.231.5.1).`);
}

/** Checks the IPv4 part of a form; returns the subnet it describes. */
export function validateIpv4Spec(ip: NetworkIpv4Spec): Ipv4Subnet {
  const net = ipv4Of(ip.subnet, 'ipv4.subnet');
  if (typeof ip.prefix !== 'number' || !Number.isInteger(ip.prefix) || ip.prefix < 8 || ip.prefix > 30) {
    fail('ipv4.prefix', 'The prefix length must be a whole number from 8 to 30.');
  }
  const subnet = subnetOf(net, ip.prefix);
  if (subnet.network !== net) {
    fail('ipv4.subnet', `${ip.subnet} has host bits set for /${ip.prefix}; the subnet is ${formatSubnet(subnet)}.`);
  }
  const bcast = broadcastOf(subnet);
  const usable = (n: number) => subnetContains(subnet, n) && n !== subnet.network && n !== bcast;
  const where = formatSubnet(subnet);
  const gateway = ipv4Of(ip.gateway, 'ipv4.gateway');
  if (!usable(gateway)) fail('ipv4.gateway', `The gateway ${ip.gateway} must be a host address inside ${where}.`);
  if (ip.dhcp) {
    const start = ipv4Of(ip.dhcp.start, 'ipv4.dhcp.start');
    const end = ipv4Of(ip.dhcp.end, 'ipv4.dhcp.end');
    if (!usable(start)) fail('ipv4.dhcp.start', `The DHCP range must start at a host address inside ${where}.`);
    if (!usable(end)) fail('ipv4.dhcp.end', `The DHCP range must end at a host address inside ${where}.`);
    if (start > end) fail('ipv4.dhcp.end', `The DHCP range ends (${ip.dhcp.end}) before it starts (${ip.dhcp.start}).`);
    if (gateway >= start && gateway <= end) {
      fail('ipv4.dhcp', `The DHCP range ${ip.dhcp.start}–${ip.dhcp.end} contains the gateway ${ip.gateway}; leave the gateway out.`);
    }
  }
  const macs = new Set<string>();
  const ips = new Set<number>();
  (ip.hosts ?? []).forEach((h, i) => {
    const f = `ipv4.hosts.${i}`;
    if (typeof h.mac !== 'string' || !MAC_PATTERN.test(h.mac)) {
      fail(`${f}.mac`, `${JSON.stringify(h.mac)} is not a unicast MAC address (like 52:54:00:12:34:56).`);
    }
    const a = ipv4Of(h.ip, `${f}.ip`);
    if (!usable(a) || a === gateway) fail(`${f}.ip`, `${h.ip} must be a host address inside ${where} other than the gateway.`);
    if (h.name !== undefined && (typeof h.name !== 'string' || !DHCP_HOSTNAME_PATTERN.test(h.name))) {
      fail(`${f}.name`, `Host name ${JSON.stringify(h.name)} must be letters, digits and "-" (at most 63).`);
    }
    if (macs.has(h.mac.toLowerCase())) fail(`${f}.mac`, `${h.mac} is listed twice.`);
    if (ips.has(a)) fail(`${f}.ip`, `${h.ip} is given to two hosts.`);
    macs.add(h.mac.toLowerCase());
    ips.add(a);
  });
  return subnet;
}

/** Validates the whole form; returns the IPv4 subnet it would use (null for none). */
export function validateNetworkSpec(spec: NetworkSpec): Ipv4Subnet | null {
  assertNetworkName(spec.name, 'name');
  if (!NETWORK_KINDS.includes(spec.kind)) fail('kind', `Network kind must be one of ${NETWORK_KINDS.join(', ')}.`);
  if (spec.kind === 'bridge') {
    assertInterfaceName(spec.hostBridge, 'hostBridge');
    if (spec.ipv4) fail('ipv4', 'A bridged network takes its addresses from the LAN of the host bridge; leave the IPv4 settings out.');
    if (spec.bridgeName !== undefined) fail('bridgeName', 'A bridged network uses the host bridge; give it as hostBridge.');
    return null;
  }
  if (spec.hostBridge !== undefined) fail('hostBridge', 'Only a bridged network joins a host bridge.');
  if (spec.bridgeName !== undefined) assertInterfaceName(spec.bridgeName, 'bridgeName');
  if (!spec.ipv4) {
    if (spec.kind === 'isolated') return null;
    return fail('ipv4', `A ${spec.kind === 'nat' ? 'NAT' : 'routed'} network needs an IPv4 subnet and gateway.`);
  }
  return validateIpv4Spec(spec.ipv4);
}

/** The <network> document for a validated form (validated again here, so no caller can skip it). */
export function buildNetworkXml(spec: NetworkSpec): string {
  validateNetworkSpec(spec);
  const network: XmlNode = { name: spec.name };
  if (spec.kind === 'bridge') {
    network.forward = { '@_mode': 'bridge' };
    network.bridge = { '@_name': spec.hostBridge };
  } else {
    if (spec.kind !== 'isolated') network.forward = { '@_mode': spec.kind };
    if (spec.bridgeName) network.bridge = { '@_name': spec.bridgeName, '@_stp': 'on', '@_delay': '0' };
    const ip = spec.ipv4;
    if (ip) {
      const dhcp: XmlNode = {};
      if (ip.dhcp) dhcp.range = { '@_start': ip.dhcp.start, '@_end': ip.dhcp.end };
      if (ip.hosts?.length) {
        dhcp.host = ip.hosts.map((h) => ({ '@_mac': h.mac.toLowerCase(), ...(h.name ? { '@_name': h.name } : {}), '@_ip': h.ip }));
      }
      network.ip = {
        '@_address': ip.gateway,
        '@_prefix': String(ip.prefix),
        ...(dhcp.range || dhcp.host ? { dhcp } : {}),
      };
    }
  }
  return String(makeBuilder().build({ network }));
}

import { parseCidr, subnetsOverlap, type Ipv4Subnet } from '@mirador/net';
import type { CommandRunner } from '@mirador/ssh';

/**
 * The IPv4 networks a Docker host itself uses (its LAN, libvirt's NAT bridges, host routes), so a
 * non-admin's network cannot claim one of them: a bridge with the LAN's subnet makes the host route
 * that LAN into the bridge and cuts itself off. Docker already refuses overlaps among its own networks
 * (their routes are left out here), but not with the host's.
 */
export interface Ipv4Net extends Ipv4Subnet {
  /** As read or typed, for messages ("overlaps 192.168.122.0/24"). */
  text: string;
}

/** "172.30.0.0/24" (or a bare address, as /32); null for anything else. */
export function parseIpv4Net(text: string): Ipv4Net | null {
  const subnet = parseCidr(text);
  return subnet && { ...subnet, text };
}

export const overlaps = subnetsOverlap;

/** Interfaces Docker made for its own networks: overlaps with those are the engine's to refuse. */
const DOCKER_DEVICE = /^(docker\d+|br-[0-9a-f]{12}|docker_gwbridge)$/;

/** Routes (all tables) and interface addresses, from `ip -j`, minus the default route and Docker's own. */
export function hostNetworksFrom(routesJson: string, addrsJson: string): Ipv4Net[] {
  const out: Ipv4Net[] = [];
  const add = (text: string | undefined) => {
    const n = text ? parseIpv4Net(text) : null;
    if (n && n.prefix > 0 && !out.some((o) => o.network === n.network && o.prefix === n.prefix)) out.push(n);
  };
  for (const r of safeJson<Array<{ dst?: string; dev?: string; type?: string }>>(routesJson)) {
    if (r.dst === 'default' || (r.dev && DOCKER_DEVICE.test(r.dev)) || r.type === 'broadcast') continue;
    add(r.dst);
  }
  for (const i of safeJson<Array<{ ifname?: string; addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }> }>>(
    addrsJson,
  )) {
    if (i.ifname && DOCKER_DEVICE.test(i.ifname)) continue;
    for (const a of i.addr_info ?? []) if (a.family !== 'inet6' && a.local) add(`${a.local}/${a.prefixlen ?? 32}`);
  }
  return out;
}

function safeJson<T>(text: string): T {
  try {
    const v = JSON.parse(text) as unknown;
    return (Array.isArray(v) ? v : []) as T;
  } catch {
    return [] as T;
  }
}

/** Read on the engine's machine (locally, or over the host's SSH connection). Null: could not tell. */
export async function readHostNetworks(runner: CommandRunner): Promise<Ipv4Net[] | null> {
  const [routes, addrs] = await Promise.all([
    runner.exec(['ip', '-j', '-4', 'route', 'show', 'table', 'all'], { timeoutMs: 10_000 }).catch(() => null),
    runner.exec(['ip', '-j', '-4', 'addr', 'show'], { timeoutMs: 10_000 }).catch(() => null),
  ]);
  if (!routes || routes.code !== 0 || !addrs || addrs.code !== 0) return null;
  return hostNetworksFrom(routes.stdout, addrs.stdout);
}

import type { CommandRunner } from '@mirador/ssh';

/**
 * The IPv4 networks a Docker host itself uses (its LAN, libvirt's NAT bridges, host routes), so a
 * non-admin's network cannot claim one of them: a bridge with the LAN's subnet makes the host route
 * that LAN into the bridge and cuts itself off. Docker already refuses overlaps among its own networks
 * (their routes are left out here), but not with the host's.
 */
export interface Ipv4Net {
  base: number;
  bits: number;
  text: string;
}

export function parseIpv4Net(text: string): Ipv4Net | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return null;
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return { base: (addr & mask(bits)) >>> 0, bits, text };
}

const mask = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);

export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  const bits = Math.min(a.bits, b.bits);
  return (a.base & mask(bits)) >>> 0 === (b.base & mask(bits)) >>> 0;
}

/** Interfaces Docker made for its own networks: overlaps with those are the engine's to refuse. */
const DOCKER_DEVICE = /^(docker\d+|br-[0-9a-f]{12}|docker_gwbridge)$/;

/** Routes (all tables) and interface addresses, from `ip -j`, minus the default route and Docker's own. */
export function hostNetworksFrom(routesJson: string, addrsJson: string): Ipv4Net[] {
  const out: Ipv4Net[] = [];
  const add = (text: string | undefined) => {
    const n = text ? parseIpv4Net(text) : null;
    if (n && n.bits > 0 && !out.some((o) => o.base === n.base && o.bits === n.bits)) out.push(n);
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

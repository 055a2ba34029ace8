import type { HostVirtResources } from '@mirador/contract';
import type { CommandRunner } from '@mirador/ssh';
import { parseCapabilities, parseNameList, parseNetworkXml, parseOsinfoQuery, parsePoolXml, withCLocale } from '@mirador/libvirt';
import { virshBatch } from './virsh.js';

/**
 * Pools, networks and OS variants for the create dialog, in three round trips whatever their
 * number. osinfo-query is optional on a host: without it the list is just empty.
 */
export async function readVirtResources(runner: CommandRunner, uri: string): Promise<HostVirtResources> {
  const [pools, activePools, nets, activeNets, caps] = await virshBatch(runner, uri, [
    ['pool-list', '--all', '--name'],
    ['pool-list', '--name'],
    ['net-list', '--all', '--name'],
    ['net-list', '--name'],
    ['capabilities'],
  ]);
  const poolNames = parseNameList(pools!);
  const netNames = parseNameList(nets!);
  const activeP = new Set(parseNameList(activePools!));
  const activeN = new Set(parseNameList(activeNets!));
  const details =
    poolNames.length + netNames.length
      ? await virshBatch(runner, uri, [...poolNames.map((p) => ['pool-dumpxml', p]), ...netNames.map((n) => ['net-dumpxml', n])])
      : [];
  const osinfo = await runner
    .exec(withCLocale(['osinfo-query', 'os', '--fields=short-id,name,version,id']), { timeoutMs: 20_000 })
    .catch(() => null);
  return {
    pools: poolNames.map((name, i) => {
      const p = safe(() => parsePoolXml(details[i] ?? ''));
      return {
        name,
        type: p?.type ?? 'unknown',
        active: activeP.has(name),
        capacityBytes: p?.capacityBytes ?? null,
        availableBytes: p?.availableBytes ?? null,
        targetPath: p?.targetPath ?? null,
      };
    }),
    networks: netNames.map((name, i) => {
      const n = safe(() => parseNetworkXml(details[poolNames.length + i] ?? ''));
      return { name, active: activeN.has(name), bridge: n?.bridge ?? null, forwardMode: n?.forwardMode ?? null };
    }),
    osVariants:
      osinfo && osinfo.code === 0
        ? parseOsinfoQuery(osinfo.stdout).map((o) => ({ shortId: o.shortId, name: o.name, id: o.id ?? null }))
        : [],
    kvm: safe(() => parseCapabilities(caps!))?.kvmAvailable ?? false,
  };
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

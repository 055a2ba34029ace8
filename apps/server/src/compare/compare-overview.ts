import type {
  CompareContainerSide,
  CompareHost,
  CompareMemory,
  CompareOverview,
  CompareVm,
  CompareVmSide,
  FleetStatsEntry,
  VmList,
} from '@mirador/contract';
import { commandLineOf, parseDomstatsRaw } from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import type { EngineInfoAnswer } from '../docker/docker-info.js';
import type { DockerServices } from '../docker/docker.plugin.js';
import type { VmsService } from '../vms/vms.service.js';
import { virshBatch } from '../vms/virsh.js';
import {
  DEFAULT_VM_BYTES,
  density,
  engineMemory,
  layerFootprint,
  parseNodeMemStats,
  vmFootprint,
  type DfImage,
} from './compare-figures.js';

type Log = { warn(obj: unknown, msg: string): void };

/** `GET /system/df` as far as it is read here (`docker system df -v`). */
interface DfAnswer {
  LayersSize?: number;
  Images?: DfImage[] | null;
}

interface HostRef {
  id: string;
  name: string;
  libvirtUri: string | null;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The kind the host's guests mostly run as: `kvm` (hardware) or `qemu` (TCG emulation). */
function hypervisorOf(types: readonly string[]): string | null {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/**
 * The inventory's figures per host, read now: libvirt over the host's SSH connection (one virsh
 * session: `nodememstats` and `domstats`), engines through their API (`system/df`, `info`, and the
 * fleet's stats for RSS). A part that cannot be read becomes a problem line; the rest still shows.
 */
export function createCompareOverview(deps: {
  hosts: () => Promise<HostRef[]>;
  vms: Pick<VmsService, 'list'>;
  runner: (hostId: string) => Promise<CommandRunner>;
  docker: Pick<DockerServices, 'inventory' | 'engines' | 'stats'>;
  log: Log;
}) {
  async function libvirtSide(
    host: HostRef & { libvirtUri: string },
    list: VmList,
  ): Promise<{ side: CompareVmSide | null; memory: CompareMemory | null; commands: string[]; problems: string[] }> {
    const commands = [
      commandLineOf(['virsh', '-c', host.libvirtUri, 'nodememstats']),
      commandLineOf(['virsh', '-c', host.libvirtUri, 'domstats', '--raw']),
    ];
    const status = list.hosts.find((h) => h.hostId === host.id);
    if (status && !status.ok) return { side: null, memory: null, commands, problems: [status.error ?? 'libvirt is still loading'] };
    try {
      const [mem, stats] = await virshBatch(await deps.runner(host.id), host.libvirtUri, [['nodememstats'], ['domstats', '--raw']], 30_000);
      const byName = parseDomstatsRaw(stats ?? '');
      const vms = list.items.filter((v) => v.hostId === host.id);
      const items: CompareVm[] = vms.map((v) => ({
        name: v.name,
        state: v.state,
        memoryBytes: v.memoryMiB * 1024 * 1024,
        ...vmFootprint(byName.get(v.name)),
      }));
      const sum = (f: (v: CompareVm) => number) => items.reduce((a, v) => a + f(v), 0);
      return {
        side: {
          items,
          memoryBytes: sum((v) => v.memoryBytes),
          memoryUsedBytes: sum((v) => v.memoryUsedBytes ?? 0),
          diskCapacityBytes: sum((v) => v.diskCapacityBytes),
          diskAllocationBytes: sum((v) => v.diskAllocationBytes),
          hypervisor: hypervisorOf(vms.map((v) => v.domainType)),
        },
        memory: parseNodeMemStats(mem ?? ''),
        commands,
        problems: [],
      };
    } catch (err) {
      return { side: null, memory: null, commands, problems: [`libvirt: ${errorText(err)}`] };
    }
  }

  async function engineSide(
    hostId: string,
    rss: Map<string, number>,
  ): Promise<{ side: CompareContainerSide | null; memTotal: number | undefined; problems: string[] }> {
    try {
      const view = await deps.docker.inventory.viewOf(hostId);
      if (view.state === 'error')
        return { side: null, memTotal: undefined, problems: [`Docker: ${view.message ?? 'the engine does not answer'}`] };
      const { docker } = await deps.docker.engines.engine(hostId);
      const [df, info] = await Promise.all([docker.df() as Promise<DfAnswer>, docker.info() as Promise<EngineInfoAnswer>]);
      const items = deps.docker.inventory.containers(view).map((c) => ({
        id: c.id,
        name: c.name,
        image: c.image,
        imageId: c.imageId,
        state: c.state,
        rssBytes: c.state === 'running' ? (rss.get(c.id) ?? null) : null,
      }));
      const layers = layerFootprint(df.Images ?? [], df.LayersSize);
      return {
        side: {
          items,
          rssBytes: items.reduce((a, c) => a + (c.rssBytes ?? 0), 0),
          images: layers.images,
          imagesListedBytes: layers.listedBytes,
          imagesOnDiskBytes: layers.onDiskBytes,
          imagesSavedBytes: layers.savedBytes,
          kernel: info.KernelVersion ?? null,
          runtime: info.DefaultRuntime ?? null,
          securityOptions: info.SecurityOptions ?? [],
        },
        memTotal: info.MemTotal,
        problems: [],
      };
    } catch (err) {
      return { side: null, memTotal: undefined, problems: [`Docker: ${errorText(err)}`] };
    }
  }

  return {
    async read(): Promise<CompareOverview> {
      const [hosts, engineHosts] = await Promise.all([deps.hosts(), deps.docker.engines.hosts()]);
      const engineIds = new Set(engineHosts.map((e) => e.id));
      const wanted = hosts.filter((h) => h.libvirtUri || engineIds.has(h.id));
      const [list, fleet] = await Promise.all([
        wanted.some((h) => h.libvirtUri) ? deps.vms.list({}) : Promise.resolve<VmList>({ items: [], hosts: [] }),
        engineIds.size
          ? deps.docker.stats.fleetSnapshot().catch((err: unknown) => {
              deps.log.warn({ err }, 'compare: container stats unavailable');
              return { items: [] as FleetStatsEntry[] };
            })
          : Promise.resolve({ items: [] as FleetStatsEntry[] }),
      ]);
      const rss = new Map(fleet.items.map((e) => [e.id, e.point.memoryBytes]));
      const out = await Promise.all(
        wanted.map(async (h): Promise<CompareHost> => {
          const [virt, engine] = await Promise.all([
            h.libvirtUri ? libvirtSide({ ...h, libvirtUri: h.libvirtUri }, list) : null,
            engineIds.has(h.id) ? engineSide(h.id, rss) : null,
          ]);
          const memory = virt?.memory ?? (engine?.side ? engineMemory(engine.memTotal, engine.side.rssBytes) : null);
          const free = memory?.freeBytes ?? null;
          const runningVms = (virt?.side?.items ?? []).filter((v) => v.state === 'running').map((v) => v.memoryBytes);
          const runningRss = (engine?.side?.items ?? []).map((c) => c.rssBytes ?? 0);
          return {
            hostId: h.id,
            hostName: h.name,
            memory,
            vms: virt?.side ?? null,
            containers: engine?.side ?? null,
            density: {
              vm: density(free, runningVms, h.libvirtUri ? DEFAULT_VM_BYTES : null),
              container: density(free, runningRss, null),
            },
            commands: [
              ...(virt?.commands ?? []),
              ...(engine ? [commandLineOf(['docker', 'system', 'df', '-v']), commandLineOf(['docker', 'stats', '--no-stream'])] : []),
            ],
            problems: [...(virt?.problems ?? []), ...(engine?.problems ?? [])],
          };
        }),
      );
      return { at: new Date().toISOString(), hosts: out };
    },
  };
}

export type CompareOverviewReader = ReturnType<typeof createCompareOverview>;

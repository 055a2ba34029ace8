/**
 * Live VM stats of a set of hosts for the list's sparklines: the latest point of every running VM
 * (GET /hosts/:id/vm-stats for the first paint) then pushes on `vm-stats:<hostId>`.
 */
import type { VmStatsPoint } from '@mirador/contract';
import { topics } from '@mirador/contract';
import { api } from '$lib/api';
import { realtime } from '$lib/realtime.svelte';

interface LatestStats {
  hostId: string;
  stats: { name: string; point: VmStatsPoint }[];
}

export class LiveStats {
  /** `hostId/name` → recent CPU % values, oldest first. */
  cpu = $state<Record<string, number[]>>({});
  /** `hostId/name` → newest point. */
  latest = $state<Record<string, VmStatsPoint>>({});

  readonly capacity: number;

  constructor(capacity = 30) {
    this.capacity = capacity;
  }

  /** Subscribe to the hosts' stats topics; returns the cleanup. */
  track(hostIds: string[]): () => void {
    const offs = hostIds.map((hostId) => {
      const off = realtime.subscribe(
        topics.vmStats(hostId),
        (msg) => {
          if (msg.type === 'vm.stats' && msg.hostId === hostId) this.#apply(hostId, msg.stats, true);
        },
        () => void this.#prime(hostId),
      );
      void this.#prime(hostId);
      return off;
    });
    return () => offs.forEach((off) => off());
  }

  async #prime(hostId: string) {
    try {
      const res = await api.get<LatestStats>(`/hosts/${encodeURIComponent(hostId)}/vm-stats`);
      this.#apply(hostId, res.stats, false);
    } catch {
      /* sparklines are decoration: the live topic fills them anyway */
    }
  }

  /** `complete`: the message lists every running VM of the host, so the others have stopped. */
  #apply(hostId: string, stats: LatestStats['stats'], complete: boolean) {
    const prefix = `${hostId}/`;
    const seen = new Set<string>();
    const cpu = { ...this.cpu };
    const latest = { ...this.latest };
    for (const { name, point } of stats) {
      const key = prefix + name;
      seen.add(key);
      const prev = latest[key];
      if (prev && prev.at >= point.at) continue;
      latest[key] = point;
      cpu[key] = [...(cpu[key] ?? []), point.cpuPercent].slice(-this.capacity);
    }
    if (complete) {
      for (const key of Object.keys(latest)) {
        if (key.startsWith(prefix) && !seen.has(key)) {
          delete latest[key];
          delete cpu[key];
        }
      }
    }
    this.cpu = cpu;
    this.latest = latest;
  }
}

/**
 * Live VM stats of a set of hosts for the list's sparklines: the latest point of every running VM
 * (GET /hosts/:id/vm-stats for the first paint) then pushes on `vm-stats:<hostId>`.
 */
import type { VmStatsPoint } from '@mirador/contract';
import { topics } from '@mirador/contract';
import { api } from '$lib/api';
import { LiveResource } from '$lib/live/liveResource.svelte';
import { realtime } from '$lib/realtime.svelte';

export interface StatsSeries {
  /** `hostId/name` → recent CPU % values, oldest first. */
  cpu: Record<string, number[]>;
  /** `hostId/name` → newest point. */
  latest: Record<string, VmStatsPoint>;
}

const EMPTY: StatsSeries = { cpu: {}, latest: {} };

/**
 * The series after one host's points. `complete`: the points list every running VM of the host
 * (a push), so the VMs missing from it have stopped.
 */
export function applyStats(
  series: StatsSeries,
  hostId: string,
  stats: readonly { name: string; point: VmStatsPoint }[],
  complete: boolean,
  capacity: number,
): StatsSeries {
  const prefix = `${hostId}/`;
  const seen = new Set<string>();
  const cpu = { ...series.cpu };
  const latest = { ...series.latest };
  for (const { name, point } of stats) {
    const key = prefix + name;
    seen.add(key);
    const prev = latest[key];
    if (prev && prev.at >= point.at) continue;
    latest[key] = point;
    cpu[key] = [...(cpu[key] ?? []), point.cpuPercent].slice(-capacity);
  }
  if (complete) {
    for (const key of Object.keys(latest)) {
      if (key.startsWith(prefix) && !seen.has(key)) {
        delete latest[key];
        delete cpu[key];
      }
    }
  }
  return { cpu, latest };
}

export class LiveStats {
  readonly capacity: number;
  readonly #series: LiveResource<StatsSeries, string[]>;

  /** `hostIds`: the hosts on screen (their topics are followed while they stay in the set). */
  constructor(hostIds: () => string[], capacity = 30) {
    this.capacity = capacity;
    this.#series = new LiveResource<StatsSeries, string[]>({
      key: hostIds,
      // The sparklines keep their history while the set of hosts changes.
      keepPrevious: true,
      load: async (ids, signal) => {
        const answers = await Promise.allSettled(
          ids.map((hostId) => api.GET('/api/hosts/{hostId}/vm-stats', { params: { path: { hostId } }, signal })),
        );
        // Sparklines are decoration: a host that does not answer is filled by its live topic anyway.
        let series = this.#series.data ?? EMPTY;
        answers.forEach((answer, i) => {
          const hostId = ids[i];
          if (answer.status === 'fulfilled' && hostId !== undefined)
            series = applyStats(series, hostId, answer.value.stats, false, capacity);
        });
        return series;
      },
      follow: (ids, ctx) => {
        const offs = ids.map((hostId) =>
          realtime.subscribe(
            topics.vmStats(hostId),
            (msg) => {
              if (msg.type === 'vm.stats' && msg.hostId === hostId)
                ctx.patch((series) => applyStats(series, hostId, msg.stats, true, capacity));
            },
            () => ctx.reread(),
          ),
        );
        return () => offs.forEach((off) => off());
      },
    });
  }

  /** `hostId/name` → recent CPU % values, oldest first. */
  get cpu(): Record<string, number[]> {
    return this.#series.data?.cpu ?? EMPTY.cpu;
  }

  /** `hostId/name` → newest point. */
  get latest(): Record<string, VmStatsPoint> {
    return this.#series.data?.latest ?? EMPTY.latest;
  }
}

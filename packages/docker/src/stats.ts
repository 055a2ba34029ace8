import type { ContainerStatsPoint } from '@mirador/contract';

/* eslint-disable @typescript-eslint/no-explicit-any -- the stats JSON is read defensively. */

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Memory in use minus the reclaimable page cache, exactly as the docker CLI computes it. */
function memoryUsage(mem: any): number {
  const usage = num(mem?.usage);
  const stats = mem?.stats ?? {};
  // cgroup v1 reports total_inactive_file; cgroup v2 inactive_file.
  if (typeof stats.total_inactive_file === 'number' && stats.total_inactive_file < usage) return usage - stats.total_inactive_file;
  if (typeof stats.inactive_file === 'number' && stats.inactive_file < usage) return usage - stats.inactive_file;
  return usage;
}

/**
 * One point of `docker stats` from one sample of `GET /containers/{id}/stats` (stream or
 * `one-shot=false`, which carries `precpu_stats`): CPU % over the interval between the two
 * readings (100% = one CPU), memory without page cache, cumulative network and block I/O bytes.
 * `at` defaults to the sample's `read` time.
 */
export function computeStatsPoint(raw: any, at?: string): ContainerStatsPoint {
  const cpu = raw?.cpu_stats ?? {};
  const pre = raw?.precpu_stats ?? {};
  const cpuDelta = num(cpu.cpu_usage?.total_usage) - num(pre.cpu_usage?.total_usage);
  const systemDelta = num(cpu.system_cpu_usage) - num(pre.system_cpu_usage);
  const percpu = Array.isArray(cpu.cpu_usage?.percpu_usage) ? cpu.cpu_usage.percpu_usage.length : 0;
  const onlineCpus = num(cpu.online_cpus) || percpu || 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * onlineCpus * 100 : 0;

  const memoryBytes = memoryUsage(raw?.memory_stats);
  const memoryLimitBytes = num(raw?.memory_stats?.limit);
  const memoryPercent = memoryLimitBytes > 0 ? (memoryBytes / memoryLimitBytes) * 100 : 0;

  let netRxBytes = 0;
  let netTxBytes = 0;
  for (const n of Object.values((raw?.networks ?? {}) as Record<string, any>)) {
    netRxBytes += num(n?.rx_bytes);
    netTxBytes += num(n?.tx_bytes);
  }

  let blockReadBytes = 0;
  let blockWriteBytes = 0;
  const io = raw?.blkio_stats?.io_service_bytes_recursive;
  for (const e of Array.isArray(io) ? io : []) {
    const op = typeof e?.op === 'string' ? e.op.toLowerCase() : '';
    if (op === 'read') blockReadBytes += num(e.value);
    else if (op === 'write') blockWriteBytes += num(e.value);
  }

  const read = typeof raw?.read === 'string' && !raw.read.startsWith('0001-') ? raw.read : new Date().toISOString();
  return {
    at: at ?? read,
    cpuPercent,
    onlineCpus,
    memoryBytes,
    memoryLimitBytes,
    memoryPercent,
    netRxBytes,
    netTxBytes,
    blockReadBytes,
    blockWriteBytes,
    pids: Math.trunc(num(raw?.pids_stats?.current)),
  };
}

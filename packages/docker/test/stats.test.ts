import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeStatsPoint } from '../src/index.js';

const fixture = (name: string): any => JSON.parse(readFileSync(resolve(import.meta.dirname, 'fixtures', name), 'utf8'));

describe('computeStatsPoint', () => {
  it('computes a cgroup v1 sample like the docker CLI', () => {
    expect(computeStatsPoint(fixture('stats-cgroup-v1.json'))).toEqual({
      at: '2024-05-01T12:00:01.000000000Z',
      // (500M - 300M) / (20G - 16G) * 4 CPUs * 100
      cpuPercent: 20,
      onlineCpus: 4,
      // 100 MiB usage - 20 MiB total_inactive_file
      memoryBytes: 83886080,
      memoryLimitBytes: 2147483648,
      memoryPercent: 3.90625,
      netRxBytes: 1500,
      netTxBytes: 2250,
      // "Read"/"Write" entries of both devices; Sync/Async/Total ignored
      blockReadBytes: 1052672,
      blockWriteBytes: 2097152,
      pids: 7,
    });
  });

  it('computes a cgroup v2 sample like the docker CLI', () => {
    expect(computeStatsPoint(fixture('stats-cgroup-v2.json'), '2024-05-01T12:00:03Z')).toEqual({
      at: '2024-05-01T12:00:03Z',
      // (1.5G - 1G) / (9G - 7G) * 2 CPUs * 100
      cpuPercent: 50,
      onlineCpus: 2,
      // 50 MiB usage - 10 MiB inactive_file
      memoryBytes: 41943040,
      memoryLimitBytes: 536870912,
      memoryPercent: 7.8125,
      netRxBytes: 123456,
      netTxBytes: 654321,
      blockReadBytes: 8192,
      blockWriteBytes: 16384,
      pids: 3,
    });
  });

  it('falls back to the per-CPU list, then to one CPU', () => {
    const raw = fixture('stats-cgroup-v1.json');
    delete raw.cpu_stats.online_cpus;
    expect(computeStatsPoint(raw).onlineCpus).toBe(4);
    delete raw.cpu_stats.cpu_usage.percpu_usage;
    const p = computeStatsPoint(raw);
    expect(p.onlineCpus).toBe(1);
    expect(p.cpuPercent).toBe(5);
  });

  it('reports zeros for a stopped container (no previous reading, no networks, blkio null)', () => {
    const raw = {
      read: '0001-01-01T00:00:00Z',
      pids_stats: {},
      blkio_stats: { io_service_bytes_recursive: null },
      cpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} },
      precpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} },
      memory_stats: {},
    };
    const p = computeStatsPoint(raw);
    expect(p).toMatchObject({
      cpuPercent: 0,
      onlineCpus: 1,
      memoryBytes: 0,
      memoryLimitBytes: 0,
      memoryPercent: 0,
      netRxBytes: 0,
      blockReadBytes: 0,
      pids: 0,
    });
    expect(Number.isNaN(Date.parse(p.at))).toBe(false);
    expect(p.at.startsWith('0001')).toBe(false);
  });

  it('keeps usage when the cache figure is not smaller', () => {
    const raw = fixture('stats-cgroup-v2.json');
    raw.memory_stats.stats.inactive_file = raw.memory_stats.usage;
    expect(computeStatsPoint(raw).memoryBytes).toBe(52428800);
  });
});

import type { VmStatsPoint } from '@mirador/contract';
import { describe, expect, test } from 'vitest';
import { applyStats, type StatsSeries } from './liveStats.svelte';

function point(at: string, cpuPercent: number): VmStatsPoint {
  return {
    at,
    cpuPercent,
    memoryUsedKiB: 0,
    memoryTotalKiB: 0,
    diskReadBps: 0,
    diskWriteBps: 0,
    netRxBps: 0,
    netTxBps: 0,
  };
}

describe('sparkline series', () => {
  const empty: StatsSeries = { cpu: {}, latest: {} };

  test('adds newer points per VM, keeps only the last ones, skips what it already has', () => {
    let s = applyStats(empty, 'h1', [{ name: 'a', point: point('2024-01-01T00:00:01Z', 10) }], false, 2);
    s = applyStats(s, 'h1', [{ name: 'a', point: point('2024-01-01T00:00:02Z', 20) }], false, 2);
    s = applyStats(s, 'h1', [{ name: 'a', point: point('2024-01-01T00:00:02Z', 99) }], false, 2);
    s = applyStats(s, 'h1', [{ name: 'a', point: point('2024-01-01T00:00:03Z', 30) }], false, 2);
    expect(s.cpu['h1/a']).toEqual([20, 30]);
    expect(s.latest['h1/a']?.cpuPercent).toBe(30);
  });

  test('a complete push drops the VMs of that host it no longer lists, and only those', () => {
    let s = applyStats(empty, 'h1', [{ name: 'a', point: point('2024-01-01T00:00:01Z', 1) }], false, 5);
    s = applyStats(s, 'h2', [{ name: 'a', point: point('2024-01-01T00:00:01Z', 2) }], false, 5);
    s = applyStats(s, 'h1', [{ name: 'b', point: point('2024-01-01T00:00:02Z', 3) }], true, 5);
    expect(Object.keys(s.cpu).sort()).toEqual(['h1/b', 'h2/a']);
  });
});

/**
 * The shared findings store: however many badges watch it, the findings are read once; it stops some time
 * after the last watcher leaves, and a watcher arriving within that time reuses what was read.
 */
import type { SecurityFindingList } from '@mirador/contract';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { securityApi } from './api';
import { securityFindings } from './findingsStore.svelte';

// The store is what is tested here, not the HTTP client: its one read is counted at the API module.
vi.mock('./api', () => ({ securityApi: { findings: vi.fn() } }));

const answer: SecurityFindingList = {
  items: [
    {
      id: 'a'.repeat(16),
      ruleId: 'docker.container.privileged',
      reference: 'OWASP Docker D3',
      severity: 'critical',
      hostId: 'h1',
      hostName: 'lab',
      target: { kind: 'container', id: 'web', name: 'web' },
      title: 'Container runs privileged',
      evidence: 'Privileged: true',
      why: 'why',
      fix: 'fix',
      params: {},
      fixAction: null,
      acknowledged: null,
      detectedAt: '2026-01-01T00:00:00.000Z',
    },
  ],
  fleet: { score: 80, open: { critical: 1, high: 0, medium: 0, low: 0, info: 0 }, acknowledged: 0 },
  hosts: [],
  rules: [],
  computedAt: '2026-01-01T00:00:00.000Z',
};

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('securityFindings', () => {
  test('many watchers, one read; stops after the grace period', async () => {
    const fetch = vi.mocked(securityApi.findings).mockResolvedValue(answer);
    // The realtime client is never started here; it only checks whether a socket is open.
    vi.stubGlobal('WebSocket', { OPEN: 1 });
    vi.useFakeTimers();

    const stops: (() => void)[] = [];
    const root = $effect.root(() => {
      for (let i = 0; i < 50; i++) $effect(() => securityFindings.watch());
    });
    flushSync();
    stops.push(root);
    await vi.waitFor(() => expect(securityFindings.data).not.toBe(null));
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0]?.[0]).toEqual({});
    expect(securityFindings.summary('container', 'h1', 'web')).toMatchObject({ total: 1, worst: 'critical' });
    expect(securityFindings.summary('container', 'h2', 'web')).toBe(null);

    // Everyone leaves; someone comes back within the grace period: nothing is read again.
    root();
    await vi.advanceTimersByTimeAsync(5_000);
    const again = $effect.root(() => {
      $effect(() => securityFindings.watch());
    });
    flushSync();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(securityFindings.data?.fleet.score).toBe(80);

    // Gone for longer than the grace period: stopped and forgotten.
    again();
    await vi.advanceTimersByTimeAsync(31_000);
    expect(securityFindings.resource).toBe(null);
    expect(securityFindings.data).toBe(null);
  });
});

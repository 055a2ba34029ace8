import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { computeVmRates, parseDomstatsRaw } from '@mirador/libvirt';
import type { CommandRunner, ExecResult } from '@mirador/ssh';
import { SshError } from '@mirador/ssh';
import type { PrismaClient } from '../../src/db/client.js';
import { createEventBus, type TopicMessage } from '../../src/plugins/bus.js';
import {
  Averager,
  PointRing,
  STATS_FIELDS,
  averagePoints,
  createStatsCollector,
  type RawPoint,
  type StatsCollectorDeps,
} from '../../src/vms/stats-collector.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../packages/libvirt/test/fixtures');
const fixture = (name: string) => readFileSync(resolve(FIXTURES, name), 'utf8');
const capture = JSON.parse(fixture('qemu-capture.json')) as {
  vmName: string;
  richName: string;
  vmSampleElapsedMs: number;
  richSampleElapsedMs: number;
};
const URI = 'qemu:///system';
const DOMSTATS_ARGV = ['env', 'LC_ALL=C', 'virsh', '-c', URI, 'domstats', '--raw', '--list-active'];

/** A real capture of the plain VM with its cumulative CPU time replaced. */
const vmAt = (cpuTimeNs: number) => fixture('qemu-vm-domstats-1.txt').replace(/cpu\.time=\d+/, `cpu.time=${cpuTimeNs}`);

const ok = (stdout: string): ExecResult => ({ code: 0, signal: null, stdout, stderr: '', timedOut: false });

/** A runner that answers domstats with the next scripted output (an Error rejects, an ExecResult is returned as is). */
function fakeRunner(script: Array<string | Error | ExecResult | (() => Promise<ExecResult>)>) {
  const calls: string[][] = [];
  let last: (typeof script)[number] = '';
  const runner = {
    exec: vi.fn(async (argv: readonly string[], _opts?: { timeoutMs?: number }) => {
      calls.push([...argv]);
      const next = script.length ? script.shift()! : last;
      last = next;
      if (next instanceof Error) throw next;
      if (typeof next === 'function') return next();
      return typeof next === 'string' ? ok(next) : next;
    }),
  };
  return { runner: runner as unknown as CommandRunner, calls, exec: runner.exec };
}

type Row = { seq: number; hostId: string; vmName: string; at: Date } & Record<(typeof STATS_FIELDS)[number], number>;

/** Just enough of `db.vmStat` for the collector, in memory. */
function fakeDb() {
  const rows: Row[] = [];
  let seq = 0;
  const vmStat = {
    createMany: vi.fn(async ({ data }: { data: Omit<Row, 'seq'>[] }) => {
      for (const d of data) rows.push({ seq: ++seq, ...d });
      return { count: data.length };
    }),
    findMany: vi.fn(
      async ({
        where,
        orderBy,
        take,
      }: {
        where: { hostId: string; vmName: string; at: { gte?: Date; lt?: Date } };
        orderBy: { at: 'asc' | 'desc' };
        take?: number;
      }) =>
        rows
          .filter(
            (r) =>
              r.hostId === where.hostId &&
              r.vmName === where.vmName &&
              (!where.at.gte || r.at >= where.at.gte) &&
              (!where.at.lt || r.at < where.at.lt),
          )
          .sort((a, b) => (a.at.getTime() - b.at.getTime()) * (orderBy.at === 'desc' ? -1 : 1))
          .slice(0, take ?? Infinity),
    ),
    deleteMany: vi.fn(async ({ where }: { where: { at: { lt: Date } } }) => {
      const before = rows.length;
      for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.at < where.at.lt) rows.splice(i, 1);
      return { count: before - rows.length };
    }),
  };
  return { rows, vmStat, db: { vmStat } as unknown as PrismaClient };
}

const quietLog = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn() });

function setup(
  opts: {
    script?: Parameters<typeof fakeRunner>[0];
    deps?: Partial<StatsCollectorDeps>;
    hosts?: Array<{ id: string; libvirtUri: string }>;
  } = {},
) {
  const clock = { t: Date.UTC(2026, 10, 29, 12, 0, 0) };
  const r = fakeRunner(opts.script ?? []);
  const d = fakeDb();
  const bus = createEventBus();
  const log = quietLog();
  const hostList = opts.hosts ?? [{ id: 'h1', libvirtUri: URI }];
  const c = createStatsCollector({
    db: d.db,
    bus,
    log,
    runnerFor: async () => r.runner,
    hosts: async () => hostList,
    now: () => clock.t,
    ...opts.deps,
  });
  return { c, clock, bus, log, hostList, ...r, ...d };
}

const pt = (at: number, cpuPercent: number, extra: Partial<RawPoint> = {}): RawPoint => ({
  at,
  cpuPercent,
  memoryUsedKiB: 1000,
  memoryTotalKiB: 2000,
  diskReadBps: 0,
  diskWriteBps: 0,
  netRxBps: 0,
  netTxBps: 0,
  ...extra,
});

describe('PointRing', () => {
  it('keeps points oldest first and overwrites the oldest once full', () => {
    const ring = new PointRing(3);
    expect(ring.oldestAt()).toBeUndefined();
    for (let i = 1; i <= 5; i++) ring.push(pt(i * 1000, i));
    expect(ring.size).toBe(3);
    expect(ring.since().map((p) => p.cpuPercent)).toEqual([3, 4, 5]);
    expect(ring.oldestAt()).toBe(3000);
    expect(ring.newest()).toEqual(pt(5000, 5));
    expect(ring.since(4000).map((p) => p.at)).toEqual([4000, 5000]);
  });

  it('drops points older than a cutoff, across the wrap-around', () => {
    const ring = new PointRing(4);
    for (let i = 1; i <= 6; i++) ring.push(pt(i * 1000, i)); // holds 3..6, wrapped
    ring.dropBefore(4500);
    expect(ring.since().map((p) => p.at)).toEqual([5000, 6000]);
    ring.push(pt(7000, 7));
    ring.push(pt(8000, 8));
    ring.push(pt(9000, 9)); // full again: 6..9
    expect(ring.since().map((p) => p.cpuPercent)).toEqual([6, 7, 8, 9]);
    ring.dropBefore(Infinity);
    expect(ring.size).toBe(0);
    expect(ring.newest()).toBeUndefined();
  });

  it('stores every field exactly', () => {
    const ring = new PointRing(2);
    const p = {
      at: 1_764_417_600_123,
      cpuPercent: 12.5,
      memoryUsedKiB: 131072,
      memoryTotalKiB: 262144,
      diskReadBps: 1.5e9,
      diskWriteBps: 3,
      netRxBps: 0.25,
      netTxBps: 7,
    };
    ring.push(p);
    expect(ring.at(0)).toEqual(p);
    expect(() => ring.at(1)).toThrow(RangeError);
  });
});

describe('averaging', () => {
  it('averages every field and the time, then starts over', () => {
    const a = new Averager();
    a.add(pt(1000, 10, { diskReadBps: 100, memoryUsedKiB: 1000 }));
    a.add(pt(2000, 20, { diskReadBps: 300, memoryUsedKiB: 2000 }));
    a.add(pt(6000, 60, { diskReadBps: 200, memoryUsedKiB: 3000 }));
    expect(a.take()).toEqual({
      at: 3000,
      cpuPercent: 30,
      memoryUsedKiB: 2000,
      memoryTotalKiB: 2000,
      diskReadBps: 200,
      diskWriteBps: 0,
      netRxBps: 0,
      netTxBps: 0,
    });
    expect(a.count).toBe(0);
    expect(a.take()).toBeNull();
    expect(averagePoints([])).toBeNull();
    expect(averagePoints([pt(5, 1)])).toEqual(pt(5, 1));
  });
});

describe('stats collector (fake runner, fake clock, in-memory DB)', () => {
  it('runs ONE domstats per host per tick for every VM, and the first sample of a VM gives no point', async () => {
    const both1 = fixture('qemu-vm-domstats-1.txt') + fixture('qemu-rich-domstats-1.txt');
    const both2 = fixture('qemu-vm-domstats-2.txt') + fixture('qemu-rich-domstats-2.txt');
    const s = setup({ script: [both1, both2] });
    expect(await s.c.sampleNow('h1')).toEqual([]);
    expect(s.calls).toEqual([DOMSTATS_ARGV]);
    expect(s.c.latest('h1').size).toBe(0);

    s.clock.t += capture.vmSampleElapsedMs;
    const stats = await s.c.sampleNow('h1');
    expect(s.calls).toHaveLength(2);
    expect(s.exec.mock.calls[1]![1]).toMatchObject({ timeoutMs: expect.any(Number) });
    expect(stats.map((x) => x.name)).toEqual([capture.vmName, capture.richName]);

    const expectFor = (name: string, f1: string, f2: string) =>
      computeVmRates(parseDomstatsRaw(fixture(f1)).get(name), parseDomstatsRaw(fixture(f2)).get(name)!, capture.vmSampleElapsedMs);
    const vm = expectFor(capture.vmName, 'qemu-vm-domstats-1.txt', 'qemu-vm-domstats-2.txt');
    const rich = expectFor(capture.richName, 'qemu-rich-domstats-1.txt', 'qemu-rich-domstats-2.txt');
    const [a, b] = stats;
    expect(a!.point).toEqual({
      at: new Date(s.clock.t).toISOString(),
      cpuPercent: vm.cpuPercent,
      memoryUsedKiB: vm.memoryUsedKiB,
      memoryTotalKiB: 131072,
      diskReadBps: 0,
      diskWriteBps: 0,
      netRxBps: 0,
      netTxBps: 0,
    });
    expect(a!.point.cpuPercent).toBeGreaterThan(0);
    expect(a!.point.cpuPercent).toBeLessThanOrEqual(100);
    expect(b!.point).toMatchObject({
      cpuPercent: rich.cpuPercent,
      diskReadBps: rich.diskReadBps,
      netRxBps: rich.netRxBps,
      netTxBps: rich.netTxBps,
    });
    expect([...s.c.latest('h1').keys()]).toEqual([capture.vmName, capture.richName]);
  });

  it('publishes vm.stats on vm-stats:<hostId> only when someone listens', async () => {
    const s = setup({ script: [vmAt(0), vmAt(1e9), vmAt(2e9)] });
    const publish = vi.spyOn(s.bus, 'publish');
    await s.c.sampleNow('h1');
    s.clock.t += 2000;
    await s.c.sampleNow('h1');
    expect(publish).not.toHaveBeenCalled();

    const got: TopicMessage[] = [];
    const off = s.bus.subscribe('vm-stats:h1', (m) => got.push(m));
    s.clock.t += 2000;
    await s.c.sampleNow('h1');
    off();
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual({
      type: 'vm.stats',
      topic: 'vm-stats:h1',
      hostId: 'h1',
      stats: [
        {
          name: capture.vmName,
          memorySource: 'rss',
          point: expect.objectContaining({ at: new Date(s.clock.t).toISOString(), cpuPercent: 50, memoryTotalKiB: 131072 }),
        },
      ],
    });
  });

  it('writes ONE averaged row per VM per persist, and nothing when nothing is new', async () => {
    // CPU time grows 0.5 s, 1 s, 0.25 s per 2 s: 25 %, 50 %, 12.5 % of the single vCPU.
    const s = setup({ script: [vmAt(0), vmAt(0.5e9), vmAt(1.5e9), vmAt(1.75e9)] });
    const start = s.clock.t;
    for (let i = 0; i < 4; i++) {
      await s.c.sampleNow('h1');
      s.clock.t += 2000;
    }
    expect(await s.c.persist()).toBe(1);
    expect(s.vmStat.createMany).toHaveBeenCalledTimes(1);
    expect(s.rows).toHaveLength(1);
    expect(s.rows[0]).toMatchObject({ hostId: 'h1', vmName: capture.vmName, memoryTotalKiB: 131072, diskReadBps: 0, netTxBps: 0 });
    expect(s.rows[0]!.cpuPercent).toBeCloseTo((25 + 50 + 12.5) / 3, 9);
    // The row's time is the mean of the points' times (2, 4 and 6 s after the first sample).
    expect(s.rows[0]!.at.getTime()).toBe(start + 4000);

    expect(await s.c.persist()).toBe(0);
    expect(s.vmStat.createMany).toHaveBeenCalledTimes(1);
  });

  it('answers history with stored minute rows older than the ring, then the ring points, in time order', async () => {
    const ringMs = 60_000;
    const s = setup({ script: [vmAt(0)], deps: { ringMs, intervalMs: 5000, fastIntervalMs: 2000 } });
    const t0 = s.clock.t;
    // Stored minute averages for the last 30 minutes (written before a restart, say) plus one that the ring also covers.
    for (let m = 30; m >= 1; m--)
      s.rows.push({
        seq: s.rows.length + 1,
        ...pt(t0 - m * 60_000, m),
        hostId: 'h1',
        vmName: capture.vmName,
        at: new Date(t0 - m * 60_000),
      });
    s.rows.push({ seq: 99, ...pt(t0 + 30_000, 999), hostId: 'h1', vmName: capture.vmName, at: new Date(t0 + 30_000) });
    s.rows.push({ seq: 100, ...pt(t0 - 60_000, 777), hostId: 'h1', vmName: 'other-vm', at: new Date(t0 - 60_000) });

    let cpu = 0;
    const samples = 11;
    s.exec.mockImplementation(async () => ok(vmAt((cpu += 0.2e9))));
    for (let i = 0; i < samples; i++) {
      await s.c.sampleNow('h1');
      s.clock.t += 5000;
    }
    // 11 samples 5 s apart give 10 points, all within the last minute.
    const h = await s.c.history('h1', capture.vmName, 10);
    const times = h.map((p) => Date.parse(p.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const fromDb = h.filter((p) => Date.parse(p.at) < t0);
    const fromRing = h.filter((p) => Date.parse(p.at) >= t0);
    // The last 10 minutes: stored rows 10..1 minutes ago (the window starts 55 s after the 10-minute row, so 9 of them).
    expect(fromDb.map((p) => p.cpuPercent)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(fromRing).toHaveLength(samples - 1);
    expect(fromRing.every((p) => p.cpuPercent === 4)).toBe(true); // 0.2 s of CPU per 5 s
    expect(h.some((p) => p.cpuPercent === 999 || p.cpuPercent === 777)).toBe(false); // covered by the ring / another VM

    expect(await s.c.history('h1', capture.vmName, 1)).toHaveLength(samples - 1); // only ring points in the last minute
    expect((await s.c.history('h1', capture.vmName, 10_000)).length).toBe(30 + samples - 1); // clamped to a day
    expect(s.vmStat.findMany.mock.calls.at(-1)![0].take).toBeGreaterThanOrEqual(1440);
    expect(await s.c.history('h1', 'never-seen', 60)).toEqual([]);
  });

  it('caps the stored rows it reads at about one per persist period, keeping the newest', async () => {
    const s = setup({ deps: { persistEveryMs: 60_000 } });
    const t0 = s.clock.t;
    // Twice as many rows as a 10-minute window should hold (a faster persist period before a restart, say).
    for (let i = 1; i <= 200; i++)
      s.rows.push({ seq: i, ...pt(t0 - i * 3000, i), hostId: 'h1', vmName: 'vm', at: new Date(t0 - i * 3000) });
    const h = await s.c.history('h1', 'vm', 10);
    expect(h).toHaveLength(10 + 60);
    expect(h.at(-1)!.cpuPercent).toBe(1); // the newest row is kept
    expect(h.map((p) => Date.parse(p.at))).toEqual(Array.from({ length: 70 }, (_, i) => t0 - (70 - i) * 3000));
  });

  it('bounds the ring by time (at persist) and by capacity', async () => {
    const s = setup({ deps: { ringMs: 10_000, fastIntervalMs: 1000, intervalMs: 1000 } });
    const t0 = s.clock.t;
    let cpu = 0;
    s.exec.mockImplementation(async () => ok(vmAt((cpu += 1e8))));
    for (let i = 0; i < 100; i++) {
      await s.c.sampleNow('h1');
      s.clock.t += 100; // far faster than the interval the ring was sized for
    }
    // 99 points 100 ms apart, but the ring holds only 10 s / 1 s + 16 of them: the newest 26.
    const capacity = Math.ceil(10_000 / 1000) + 16;
    const full = await s.c.history('h1', capture.vmName, 60);
    expect(full.map((p) => Date.parse(p.at))).toEqual(Array.from({ length: capacity }, (_, i) => t0 + (100 - capacity + i) * 100));
    expect(await s.c.persist()).toBe(1); // the average of all 99 points, at their mean time
    s.clock.t += 8_000;
    expect(await s.c.persist()).toBe(0); // nothing new; drops ring points older than 10 s
    const left = await s.c.history('h1', capture.vmName, 60);
    expect(left.map((p) => Date.parse(p.at))).toEqual([t0 + 5000, ...Array.from({ length: 20 }, (_, i) => t0 + (80 + i) * 100)]);
  });

  it('skips a host that fails, logging once per change of state, and picks up again', async () => {
    const s = setup({
      script: [
        vmAt(0),
        new SshError('unreachable', 'connect ECONNREFUSED'),
        {
          code: 1,
          signal: null,
          stdout: '',
          stderr: 'error: failed to connect to the hypervisor\nerror: Cannot recv data: Connection reset by peer',
          timedOut: false,
        },
        vmAt(3e9),
      ],
    });
    await s.c.sampleNow('h1');
    s.clock.t += 2000;
    expect(await s.c.sampleNow('h1')).toEqual([]);
    s.clock.t += 2000;
    expect(await s.c.sampleNow('h1')).toEqual([]);
    expect(s.log.warn).toHaveBeenCalledTimes(1);
    expect(s.log.debug).toHaveBeenCalledTimes(1);
    expect(s.c.latest('h1').size).toBe(0);
    s.clock.t += 2000;
    const back = await s.c.sampleNow('h1');
    expect(s.log.info).toHaveBeenCalledTimes(1);
    // The rate is taken against the last good sample, 6 s earlier: 3 s of CPU in 6 s.
    expect(back[0]!.point.cpuPercent).toBe(50);
  });

  it('treats a sample too old to compare with as a first sample', async () => {
    const s = setup({ script: [vmAt(0), vmAt(1e9), vmAt(2e9)], deps: { intervalMs: 5000 } });
    await s.c.sampleNow('h1');
    s.clock.t += 10 * 60_000; // the host was away for ten minutes
    expect(await s.c.sampleNow('h1')).toEqual([]);
    s.clock.t += 5000;
    expect((await s.c.sampleNow('h1'))[0]!.point.cpuPercent).toBe(20);
  });

  it('deletes rows older than the retention period', async () => {
    const s = setup({ deps: { retentionHours: 2 } });
    const at = (hoursAgo: number) => new Date(s.clock.t - hoursAgo * 3_600_000);
    for (const h of [5, 2.01, 1.99, 0]) s.rows.push({ seq: s.rows.length + 1, ...pt(0, h), hostId: 'gone-host', vmName: 'x', at: at(h) });
    expect(await s.c.prune()).toBe(2);
    expect(s.rows.map((r) => r.cpuPercent)).toEqual([1.99, 0]);
    expect(s.vmStat.deleteMany).toHaveBeenCalledWith({ where: { at: { lt: at(2) } } });
  });
});

describe('stats collector scheduling (fake timers)', () => {
  afterEach(() => vi.useRealTimers());

  it('samples every interval, faster while someone subscribes, follows the host list, and stop() leaves no timer', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 29, 12) });
    const r1 = fakeRunner([]);
    const r2 = fakeRunner([]);
    let cpu = 0;
    for (const r of [r1, r2]) r.exec.mockImplementation(async () => ok(vmAt((cpu += 1e8))));
    const hostList = [{ id: 'h1', libvirtUri: URI }];
    const bus = createEventBus();
    const d = fakeDb();
    const c = createStatsCollector({
      db: d.db,
      bus,
      log: quietLog(),
      runnerFor: async (id) => (id === 'h1' ? r1.runner : r2.runner),
      hosts: async () => [...hostList],
      intervalMs: 5000,
      fastIntervalMs: 2000,
      persistEveryMs: 60_000,
      retentionHours: 24,
    });
    c.start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(r1.exec.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(r1.exec.mock.calls.length).toBeLessThanOrEqual(5);
    expect(d.vmStat.deleteMany).toHaveBeenCalledTimes(1); // retention at start

    const off = bus.subscribe('vm-stats:h1', () => {});
    const before = r1.exec.mock.calls.length;
    await vi.advanceTimersByTimeAsync(20_000);
    const fast = r1.exec.mock.calls.length - before;
    expect(fast).toBeGreaterThanOrEqual(9);
    expect(fast).toBeLessThanOrEqual(11);
    off();

    hostList.push({ id: 'h2', libvirtUri: URI });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r2.exec).toHaveBeenCalled();
    hostList.splice(0, 1); // h1 removed
    await vi.advanceTimersByTimeAsync(3000);
    const h1Calls = r1.exec.mock.calls.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(r1.exec.mock.calls.length).toBe(h1Calls);
    expect(c.latest('h1').size).toBe(0);

    await vi.advanceTimersByTimeAsync(60_000); // a persist period
    expect(d.vmStat.createMany).toHaveBeenCalled();
    await c.stop();
    expect(vi.getTimerCount()).toBe(0);
    const stopped = r2.exec.mock.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r2.exec.mock.calls.length).toBe(stopped);
  });

  it('never overlaps two samples of one host, even when a round trip outlasts the interval', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 29, 12) });
    let release!: () => void;
    let inFlight = 0;
    let maxInFlight = 0;
    const r = fakeRunner([]);
    r.exec.mockImplementation(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (r.exec.mock.calls.length === 1) await new Promise<void>((res) => (release = res)); // the first one hangs
      inFlight--;
      return ok(vmAt(r.exec.mock.calls.length * 1e8));
    });
    const c = createStatsCollector({
      db: fakeDb().db,
      bus: createEventBus(),
      log: quietLog(),
      runnerFor: async () => r.runner,
      hosts: async () => [{ id: 'h1', libvirtUri: URI }],
      intervalMs: 1000,
      fastIntervalMs: 1000,
    });
    c.start();
    await vi.advanceTimersByTimeAsync(8000);
    expect(r.exec).toHaveBeenCalledTimes(1);
    const manual = c.sampleNow('h1'); // queued behind the one in flight
    await vi.advanceTimersByTimeAsync(100);
    expect(r.exec).toHaveBeenCalledTimes(1);
    release();
    await manual;
    expect(r.exec).toHaveBeenCalledTimes(2); // no backlog of ticks queued up behind the slow one
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.exec.mock.calls.length).toBeGreaterThanOrEqual(5);
    expect(maxInFlight).toBe(1);
    await c.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('discards a sample that comes back after stop()', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 29, 12) });
    let release!: () => void;
    const r = fakeRunner([vmAt(0), () => new Promise<ExecResult>((res) => (release = () => res(ok(vmAt(1e9)))))]);
    const publish = vi.fn();
    const bus = createEventBus();
    const off = bus.subscribe('vm-stats:h1', publish);
    const c = createStatsCollector({
      db: fakeDb().db,
      bus,
      log: quietLog(),
      runnerFor: async () => r.runner,
      hosts: async () => [{ id: 'h1', libvirtUri: URI }],
      intervalMs: 1000,
      fastIntervalMs: 1000,
    });
    await c.sampleNow('h1');
    c.start();
    await vi.advanceTimersByTimeAsync(1500);
    expect(r.exec).toHaveBeenCalledTimes(2); // hanging
    await c.stop();
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.latest('h1').size).toBe(0);
    expect(await c.persist()).toBe(0);
    expect(publish.mock.calls.every(([m]) => m.stats.length === 0)).toBe(true);
    off();
  });
});

import type { MemorySource, VmStatsPoint } from '@mirador/contract';
import type { CommandRunner } from '@mirador/ssh';
import { computeVmRates, domstatsArgv, parseDomstatsRaw, withCLocale, type DomainStats } from '@mirador/libvirt';
import type { PrismaClient } from '../db/client.js';
import type { EventBus } from '../plugins/bus.js';
import { runVirsh } from './virsh.js';
import { topics } from '@mirador/contract';

declare module 'fastify' {
  interface FastifyInstance {
    vmStats: StatsCollector;
  }
}

/** The numeric series of a stats point, in storage order (the ring and the averager rely on it). */
export const STATS_FIELDS = [
  'cpuPercent',
  'memoryUsedKiB',
  'memoryTotalKiB',
  'diskReadBps',
  'diskWriteBps',
  'netRxBps',
  'netTxBps',
] as const;
export type StatsField = (typeof STATS_FIELDS)[number];
/** A stats point with its time as epoch milliseconds (VmStatsPoint carries an ISO string). */
export type RawPoint = { at: number } & Record<StatsField, number>;

export const HISTORY_MAX_MINUTES = 1440;
const WIDTH = 1 + STATS_FIELDS.length;

export function toPoint(p: RawPoint): VmStatsPoint {
  const out = { at: new Date(p.at).toISOString() } as VmStatsPoint;
  for (const f of STATS_FIELDS) out[f] = p[f];
  return out;
}

/**
 * Fixed-capacity ring of points in one Float64Array (8 numbers a point, no objects), oldest first.
 * When full, a push overwrites the oldest point, so memory per VM is bounded whatever happens.
 */
export class PointRing {
  private readonly buf: Float64Array;
  private head = 0; // slot of the oldest point
  size = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('PointRing capacity must be at least 1');
    this.buf = new Float64Array(capacity * WIDTH);
  }

  push(p: RawPoint): void {
    let slot: number;
    if (this.size < this.capacity) {
      slot = (this.head + this.size) % this.capacity;
      this.size++;
    } else {
      slot = this.head;
      this.head = (this.head + 1) % this.capacity;
    }
    const o = slot * WIDTH;
    this.buf[o] = p.at;
    STATS_FIELDS.forEach((f, i) => (this.buf[o + 1 + i] = p[f]));
  }

  /** The i-th point, 0 being the oldest. */
  at(i: number): RawPoint {
    if (i < 0 || i >= this.size) throw new RangeError(`no point ${i} in a ring of ${this.size}`);
    const o = ((this.head + i) % this.capacity) * WIDTH;
    const p = { at: this.buf[o]! } as RawPoint;
    STATS_FIELDS.forEach((f, j) => (p[f] = this.buf[o + 1 + j]!));
    return p;
  }

  oldestAt(): number | undefined {
    return this.size ? this.buf[this.head * WIDTH] : undefined;
  }

  newest(): RawPoint | undefined {
    return this.size ? this.at(this.size - 1) : undefined;
  }

  /** Forgets points older than `cutoff` (epoch ms). */
  dropBefore(cutoff: number): void {
    while (this.size > 0 && this.buf[this.head * WIDTH]! < cutoff) {
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
  }

  /** Points at or after `from` (epoch ms), oldest first. */
  since(from = -Infinity): RawPoint[] {
    const out: RawPoint[] = [];
    for (let i = 0; i < this.size; i++) {
      const o = ((this.head + i) % this.capacity) * WIDTH;
      if (this.buf[o]! >= from) out.push(this.at(i));
    }
    return out;
  }
}

/** Running sums of the points since the last persisted row: `take()` gives their average and starts over. */
export class Averager {
  count = 0;
  private atSum = 0;
  private readonly sums = new Float64Array(STATS_FIELDS.length);

  add(p: RawPoint): void {
    this.count++;
    this.atSum += p.at;
    STATS_FIELDS.forEach((f, i) => (this.sums[i]! += p[f]));
  }

  /** The mean point (its time is the mean of the points' times), or null when nothing was added. */
  take(): RawPoint | null {
    if (this.count === 0) return null;
    const p = { at: Math.round(this.atSum / this.count) } as RawPoint;
    STATS_FIELDS.forEach((f, i) => (p[f] = this.sums[i]! / this.count));
    this.count = 0;
    this.atSum = 0;
    this.sums.fill(0);
    return p;
  }
}

export function averagePoints(points: readonly RawPoint[]): RawPoint | null {
  const a = new Averager();
  for (const p of points) a.add(p);
  return a.take();
}

export interface StatsLog {
  debug?(obj: unknown, msg: string): void;
  info(obj: unknown, msg: string): void;
  warn(obj: unknown, msg: string): void;
}

export interface StatsCollectorDeps {
  db: PrismaClient;
  bus: EventBus;
  runnerFor: (hostId: string) => Promise<CommandRunner>;
  /** The hosts to sample (those with a libvirt URI); re-read every tick, so added and removed hosts follow. */
  hosts: () => Promise<Array<{ id: string; libvirtUri: string }>>;
  log: StatsLog;
  /** Sampling period of a host nobody is watching. Default 5000. */
  intervalMs?: number;
  /** Sampling period while someone subscribes to `vm-stats:<hostId>`. Default 2000. */
  fastIntervalMs?: number;
  /** One averaged row per VM is written this often. Default 60000. */
  persistEveryMs?: number;
  /** Rows older than this are deleted (at start, then hourly). Default 24. */
  retentionHours?: number;
  /** How much full-resolution history stays in memory per VM. Default 600000 (10 minutes). */
  ringMs?: number;
  /** Clock (epoch ms); tests pass a fake one. */
  now?: () => number;
}

interface VmSeries {
  ring: PointRing;
  pending: Averager;
  memorySource?: MemorySource;
}

interface HostState {
  id: string;
  uri: string;
  prev: Map<string, { stats: DomainStats; at: number }>;
  series: Map<string, VmSeries>;
  latest: Map<string, RawPoint>;
  inflight: Promise<VmStatsEntry[]> | null;
  lastStart: number;
  /** null until the first answer; drives "log once per state change". */
  ok: boolean | null;
}

export type VmStatsEntry = { name: string; point: VmStatsPoint; memorySource?: MemorySource };

const PRUNE_EVERY_MS = 3_600_000;
const MIN_WAIT_MS = 20;
/** Timers may fire a hair early; a host this close to due counts as due. */
const DUE_SLACK_MS = 10;

/**
 * Live VM stats: ONE `virsh domstats --raw --list-active` per host per interval covers every
 * running VM. Two consecutive samples give rates; each tick is pushed on `vm-stats:<hostId>`,
 * kept at full resolution in memory for the last minutes, and averaged into one SQLite row per VM
 * per minute for the longer history (bounded by a retention period).
 */
export function createStatsCollector(deps: StatsCollectorDeps) {
  const { db, bus, runnerFor, hosts, log } = deps;
  const intervalMs = deps.intervalMs ?? 5000;
  const fastIntervalMs = Math.min(deps.fastIntervalMs ?? 2000, intervalMs);
  const persistEveryMs = deps.persistEveryMs ?? 60_000;
  const retentionMs = (deps.retentionHours ?? 24) * 3_600_000;
  const ringMs = deps.ringMs ?? 600_000;
  const now = deps.now ?? Date.now;
  const ringCapacity = Math.ceil(ringMs / Math.max(50, fastIntervalMs)) + 16;
  const execTimeoutMs = Math.max(10_000, 2 * intervalMs);
  /** A previous sample older than this is too stale to turn into a rate (host was away): start over. */
  const maxGapMs = Math.max(60_000, 10 * intervalMs);

  const states = new Map<string, HostState>();
  let running = false;
  /** Bumped by stop(): a sample that started before is discarded when it comes back. */
  let epoch = 0;
  let loopTimer: NodeJS.Timeout | null = null;
  let loopAt = Infinity;
  let loopBusy = false;
  let persistTimer: NodeJS.Timeout | null = null;
  let pruneTimer: NodeJS.Timeout | null = null;
  let persisting: Promise<number> | null = null;

  const topicOf = topics.vmStats;
  const periodOf = (h: HostState) => (bus.listenerCount(topicOf(h.id)) > 0 ? fastIntervalMs : intervalMs);
  const debug = (obj: unknown, msg: string) => log.debug?.(obj, msg);

  function syncHosts(list: Array<{ id: string; libvirtUri: string }>) {
    const seen = new Set<string>();
    for (const { id, libvirtUri } of list) {
      if (!libvirtUri) continue;
      seen.add(id);
      const h = states.get(id);
      if (!h) {
        states.set(id, {
          id,
          uri: libvirtUri,
          prev: new Map(),
          series: new Map(),
          latest: new Map(),
          inflight: null,
          lastStart: -Infinity,
          ok: null,
        });
      } else if (h.uri !== libvirtUri) {
        // Another libvirt behind the same host: its counters have nothing to do with the old ones.
        h.uri = libvirtUri;
        h.prev.clear();
        h.latest.clear();
      }
    }
    for (const id of [...states.keys()]) if (!seen.has(id)) states.delete(id);
  }

  function seriesOf(h: HostState, name: string): VmSeries {
    let s = h.series.get(name);
    if (!s) h.series.set(name, (s = { ring: new PointRing(ringCapacity), pending: new Averager() }));
    return s;
  }

  /** One domstats round trip for a host; never throws (an unreachable host gives no points). */
  async function sample(h: HostState): Promise<VmStatsEntry[]> {
    const startedIn = epoch;
    const current = () => states.get(h.id) === h && epoch === startedIn;
    const t0 = now();
    let text: string;
    try {
      const runner = await runnerFor(h.id);
      text = await runVirsh(runner, withCLocale(domstatsArgv(h.uri, { activeOnly: true })), { timeoutMs: execTimeoutMs });
    } catch (err) {
      if (!current()) return [];
      h.latest.clear();
      const message = (err as Error)?.message ?? String(err);
      if (h.ok !== false) log.warn({ hostId: h.id, err: message }, 'VM stats: the host does not answer; skipping it until it does');
      else debug({ hostId: h.id, err: message }, 'VM stats: host still not answering');
      h.ok = false;
      return [];
    }
    if (!current()) return [];
    if (h.ok === false) log.info({ hostId: h.id }, 'VM stats: the host answers again');
    h.ok = true;
    // The moment the counters were read lies somewhere in the round trip; its middle is the best guess.
    const at = Math.round((t0 + now()) / 2);
    const domains = parseDomstatsRaw(text);
    const out: VmStatsEntry[] = [];
    const latest = new Map<string, RawPoint>();
    for (const [name, stats] of domains) {
      const prev = h.prev.get(name);
      h.prev.set(name, { stats, at });
      const elapsed = prev ? at - prev.at : 0;
      if (!prev || elapsed <= 0 || elapsed > maxGapMs) continue; // first sample of this VM: nothing to compare with
      const r = computeVmRates(prev.stats, stats, elapsed);
      const p: RawPoint = {
        at,
        cpuPercent: r.cpuPercent,
        memoryUsedKiB: r.memoryUsedKiB ?? 0,
        memoryTotalKiB: r.memoryTotalKiB ?? 0,
        diskReadBps: r.diskReadBps,
        diskWriteBps: r.diskWriteBps,
        netRxBps: r.netRxBps,
        netTxBps: r.netTxBps,
      };
      const s = seriesOf(h, name);
      s.ring.push(p);
      s.pending.add(p);
      s.memorySource = r.memorySource;
      latest.set(name, p);
      out.push({ name, point: toPoint(p), memorySource: r.memorySource });
    }
    for (const name of [...h.prev.keys()]) if (!domains.has(name)) h.prev.delete(name);
    h.latest = latest;
    const topic = topicOf(h.id);
    if (bus.listenerCount(topic) > 0) bus.publish({ type: 'vm.stats', topic, hostId: h.id, stats: out });
    return out;
  }

  /** Runs a sample after any one in flight: samples of one host never overlap. */
  function runTick(h: HostState): Promise<VmStatsEntry[]> {
    const before = h.inflight;
    const p: Promise<VmStatsEntry[]> = (before ? before.catch(() => []) : Promise.resolve([]))
      .then(() => sample(h))
      .catch((err) => {
        log.warn({ err, hostId: h.id }, 'VM stats: sampling failed');
        return [];
      })
      .finally(() => {
        if (h.inflight === p) h.inflight = null;
        // Overdue because the round trip was slow: go again without waiting for the next wake-up.
        if (running && states.get(h.id) === h) wake(h.lastStart + periodOf(h));
      });
    h.inflight = p;
    return p;
  }

  function wake(at: number) {
    if (!running || at >= loopAt) return;
    if (loopTimer) clearTimeout(loopTimer);
    loopAt = at;
    loopTimer = setTimeout(() => void loop(), Math.max(MIN_WAIT_MS, at - now()));
    loopTimer.unref();
  }

  async function loop() {
    loopTimer = null;
    loopAt = Infinity;
    if (!running || loopBusy) return;
    loopBusy = true;
    try {
      try {
        syncHosts(await hosts());
      } catch (err) {
        debug({ err }, 'VM stats: could not read the host list; using the last one');
      }
      if (!running) return;
      const t = now();
      // Wake at least every fast interval, so a new subscriber switches its host to the fast pace promptly.
      let next = t + fastIntervalMs;
      for (const h of states.values()) {
        if (h.inflight) continue; // its completion wakes the loop when due
        const period = periodOf(h);
        if (h.lastStart + period <= t + DUE_SLACK_MS) {
          h.lastStart = t;
          void runTick(h);
          next = Math.min(next, t + period);
        } else {
          next = Math.min(next, h.lastStart + period);
        }
      }
      loopBusy = false;
      wake(next);
    } finally {
      loopBusy = false;
    }
  }

  /** Writes one averaged row per VM for everything sampled since the last call; returns how many. */
  function persist(): Promise<number> {
    if (persisting) return persisting;
    persisting = (async () => {
      const rows: Array<{ hostId: string; vmName: string; at: Date } & Record<StatsField, number>> = [];
      const cutoff = now() - ringMs;
      for (const h of states.values()) {
        for (const [name, s] of h.series) {
          const avg = s.pending.take();
          if (avg) {
            const row = { hostId: h.id, vmName: name, at: new Date(avg.at) } as (typeof rows)[number];
            for (const f of STATS_FIELDS) row[f] = avg[f];
            rows.push(row);
          }
          s.ring.dropBefore(cutoff);
          if (s.ring.size === 0 && s.pending.count === 0) h.series.delete(name); // a VM that stopped long ago
        }
      }
      if (rows.length === 0) return 0;
      try {
        await db.vmStat.createMany({ data: rows });
      } catch (err) {
        log.warn({ err, rows: rows.length }, 'VM stats: could not store the averaged rows');
        return 0;
      }
      return rows.length;
    })().finally(() => (persisting = null));
    return persisting;
  }

  /** Deletes rows older than the retention period; returns how many. */
  async function prune(): Promise<number> {
    try {
      const { count } = await db.vmStat.deleteMany({ where: { at: { lt: new Date(now() - retentionMs) } } });
      if (count) debug({ count }, 'VM stats: pruned old rows');
      return count;
    } catch (err) {
      log.warn({ err }, 'VM stats: could not prune old rows');
      return 0;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      void prune();
      persistTimer = setInterval(() => void persist(), persistEveryMs);
      persistTimer.unref();
      pruneTimer = setInterval(() => void prune(), PRUNE_EVERY_MS);
      pruneTimer.unref();
      wake(now());
    },

    /** Stops every timer at once (a sample still in flight is discarded), then stores what is pending. */
    async stop(opts: { flush?: boolean } = {}) {
      if (!running) return;
      running = false;
      epoch++;
      if (loopTimer) clearTimeout(loopTimer);
      if (persistTimer) clearInterval(persistTimer);
      if (pruneTimer) clearInterval(pruneTimer);
      loopTimer = persistTimer = pruneTimer = null;
      loopAt = Infinity;
      if (opts.flush ?? true) await persist();
    },

    /** History of one VM over the last `minutes` (1..1440): stored minute averages, then the in-memory full-resolution points. */
    async history(hostId: string, name: string, minutes = 60): Promise<VmStatsPoint[]> {
      const m = Math.min(HISTORY_MAX_MINUTES, Math.max(1, Math.floor(Number(minutes) || 60)));
      const since = now() - m * 60_000;
      const ring = states.get(hostId)?.series.get(name)?.ring;
      const ringStart = ring?.oldestAt();
      // Newest first with a cap (about one row per persist period), so a cut never leaves a gap before the ring.
      const rows = await db.vmStat.findMany({
        where: { hostId, vmName: name, at: { gte: new Date(since), ...(ringStart !== undefined ? { lt: new Date(ringStart) } : {}) } },
        orderBy: { at: 'desc' },
        take: Math.min(100_000, Math.ceil((m * 60_000) / persistEveryMs) + 60),
      });
      const points: RawPoint[] = rows.reverse().map((r) => {
        const p = { at: r.at.getTime() } as RawPoint;
        for (const f of STATS_FIELDS) p[f] = r[f];
        return p;
      });
      if (ring) points.push(...ring.since(since));
      return points.sort((a, b) => a.at - b.at).map(toPoint);
    },

    /** The latest point of every VM that was running at the last successful sample of this host. */
    /** How the VM's "memory used" is measured, as of its latest sample. */
    memorySource(hostId: string, name: string): MemorySource | undefined {
      return states.get(hostId)?.series.get(name)?.memorySource;
    },

    latest(hostId: string): Map<string, VmStatsPoint> {
      const out = new Map<string, VmStatsPoint>();
      for (const [name, p] of states.get(hostId)?.latest ?? []) out.set(name, toPoint(p));
      return out;
    },

    /** Samples one host now (after any sample in flight) and returns its points; mainly for tests. */
    async sampleNow(hostId: string): Promise<VmStatsEntry[]> {
      if (!states.has(hostId)) syncHosts(await hosts());
      const h = states.get(hostId);
      if (!h) return [];
      h.lastStart = now();
      return runTick(h);
    },

    persist,
    prune,
  };
}

export type StatsCollector = ReturnType<typeof createStatsCollector>;

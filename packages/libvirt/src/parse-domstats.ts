/**
 * `virsh domstats --raw` is the one cheap call that returns counters for every domain at once; the
 * dashboard polls it and turns two samples into rates.
 */

export type DomainStats = Record<string, number | string>;

const DOMAIN_HEADER = /^Domain: '(.*)'\s*$/;
const STAT_LINE = /^\s+([A-Za-z0-9_.-]+)=(.*)$/;
// Only plain integers/decimals become numbers: names and paths like "vda" or "1e3" stay strings.
const NUMERIC = /^-?\d+(?:\.\d+)?$/;

/**
 * Counters are cumulative unsigned 64-bit values; they become JS numbers, which stay exact up to
 * 2^53 (≈104 days of CPU time in ns, 9 PB of I/O) and lose only nanoseconds/bytes beyond that.
 */
export function parseDomstatsRaw(text: string): Map<string, DomainStats> {
  const result = new Map<string, DomainStats>();
  let current: DomainStats | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = DOMAIN_HEADER.exec(line);
    if (header) {
      current = {};
      result.set(header[1]!, current); // group 1 is not optional
      continue;
    }
    if (line.trim() === '') continue;
    const stat = STAT_LINE.exec(line);
    if (stat && current) {
      // Both groups are required by STAT_LINE, so a successful match has them.
      const value = stat[2]!;
      current[stat[1]!] = NUMERIC.test(value) ? Number(value) : value;
    }
  }
  return result;
}

export interface VmRates {
  /** Guest CPU use as a share of its own vCPUs: 100 means every vCPU busy. Clamped to 0..100. */
  cpuPercent: number;
  /** Same delta as a share of one host CPU (like `top`): may exceed 100 for multi-vCPU guests. */
  cpuPercentHost: number;
  memoryUsedKiB?: number;
  memoryTotalKiB?: number;
  /** 'guest': from the balloon driver's free-memory report; 'rss': QEMU's resident size, which includes its own overhead. */
  memorySource: 'guest' | 'rss' | 'none';
  diskReadBps: number;
  diskWriteBps: number;
  netRxBps: number;
  netTxBps: number;
}

function num(stats: DomainStats | undefined, key: string): number | undefined {
  const v = stats?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Sums an indexed family (block.0.rd.bytes, block.1.rd.bytes, …) using the reported count. */
function sumIndexed(stats: DomainStats | undefined, family: 'block' | 'net', suffix: string): number | undefined {
  const count = num(stats, `${family}.count`);
  if (count === undefined) return undefined;
  let total = 0;
  let seen = false;
  for (let i = 0; i < count; i++) {
    const v = num(stats, `${family}.${i}.${suffix}`);
    if (v !== undefined) {
      total += v;
      seen = true;
    }
  }
  return seen ? total : count === 0 ? 0 : undefined;
}

/** Per-second rate of a cumulative counter; a drop means the VM restarted (counters reset), so report 0. */
function ratePerSecond(prev: number | undefined, curr: number | undefined, elapsedMs: number): number {
  if (prev === undefined || curr === undefined || elapsedMs <= 0) return 0;
  const delta = curr - prev;
  return delta > 0 ? (delta * 1000) / elapsedMs : 0;
}

function memory(curr: DomainStats): Pick<VmRates, 'memoryUsedKiB' | 'memoryTotalKiB' | 'memorySource'> {
  const total = num(curr, 'balloon.current') ?? num(curr, 'balloon.maximum');
  const unused = num(curr, 'balloon.unused');
  if (total !== undefined && unused !== undefined) {
    return { memoryTotalKiB: total, memoryUsedKiB: Math.max(0, total - unused), memorySource: 'guest' };
  }
  const rss = num(curr, 'balloon.rss');
  if (rss !== undefined) {
    // RSS counts QEMU itself and is routinely above the guest's RAM under TCG; cap it for a sane gauge.
    return { memoryTotalKiB: total, memoryUsedKiB: total === undefined ? rss : Math.min(rss, total), memorySource: 'rss' };
  }
  return { memoryTotalKiB: total, memorySource: 'none' };
}

/** Rates between two domstats samples of the same domain taken `elapsedMs` apart (wall clock). */
export function computeVmRates(prev: DomainStats | undefined, curr: DomainStats, elapsedMs: number): VmRates {
  const cpuNsPerSec = ratePerSecond(num(prev, 'cpu.time'), num(curr, 'cpu.time'), elapsedMs);
  const cpuPercentHost = cpuNsPerSec / 1e7; // ns per second → percent of one CPU
  const vcpus = num(curr, 'vcpu.current') ?? num(curr, 'vcpu.maximum') ?? 1;
  const cpuPercent = Math.min(100, Math.max(0, cpuPercentHost / Math.max(1, vcpus)));
  const rate = (family: 'block' | 'net', suffix: string) =>
    ratePerSecond(sumIndexed(prev, family, suffix), sumIndexed(curr, family, suffix), elapsedMs);
  return {
    cpuPercent,
    cpuPercentHost,
    ...memory(curr),
    diskReadBps: rate('block', 'rd.bytes'),
    diskWriteBps: rate('block', 'wr.bytes'),
    netRxBps: rate('net', 'rx.bytes'),
    netTxBps: rate('net', 'tx.bytes'),
  };
}

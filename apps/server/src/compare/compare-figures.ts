import type { CompareDensity, CompareImage, CompareMemory } from '@mirador/contract';
import type { DomainStats } from '@mirador/libvirt';

/**
 * The arithmetic of the Compare page, kept free of I/O so it is tested on its own: memory figures
 * from what virsh and the engine print, layer sharing, and how many of a typical size still fit.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
/** What a VM gets when the host has none to take the median of (a small server guest). */
export const DEFAULT_VM_BYTES = 512 * MiB;

/**
 * `virsh nodememstats` (KiB): what the host could give a new guest without swapping is what is free
 * plus the page cache and buffers the kernel drops on demand — `free`'s "available", roughly.
 */
export function parseNodeMemStats(text: string): CompareMemory | null {
  const kib = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([a-z]+)\s*:\s*(\d+)\s*KiB\s*$/i.exec(line);
    if (m) kib.set(m[1]!.toLowerCase(), Number(m[2]));
  }
  const total = kib.get('total');
  const free = kib.get('free');
  if (total === undefined || free === undefined) return null;
  const available = free + (kib.get('buffers') ?? 0) + (kib.get('cached') ?? 0);
  return { totalBytes: total * KiB, freeBytes: Math.min(total, available) * KiB, source: 'libvirt' };
}

/** An engine-only host: its MemTotal (`docker info`) less what its containers use now. An estimate, and labelled so. */
export function engineMemory(memTotalBytes: number | undefined, containersRssBytes: number): CompareMemory | null {
  if (!memTotalBytes || memTotalBytes <= 0) return null;
  return { totalBytes: memTotalBytes, freeBytes: Math.max(0, memTotalBytes - containersRssBytes), source: 'engine' };
}

const num = (s: DomainStats | undefined, key: string): number | undefined => {
  const v = s?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/** One domain's footprint from `virsh domstats --raw` (balloon in KiB, block sizes in bytes). */
export function vmFootprint(stats: DomainStats | undefined): {
  memoryUsedBytes: number | null;
  diskCapacityBytes: number;
  diskAllocationBytes: number;
} {
  const rss = num(stats, 'balloon.rss');
  let capacity = 0;
  let allocation = 0;
  const count = num(stats, 'block.count') ?? 0;
  for (let i = 0; i < count; i++) {
    capacity += num(stats, `block.${i}.capacity`) ?? 0;
    // Physical is what the file takes on the host; a running guest's `allocation` is the highest offset
    // it wrote (0 for a fresh qcow2), so it only stands in when physical is missing (inactive domains).
    allocation += num(stats, `block.${i}.physical`) ?? num(stats, `block.${i}.allocation`) ?? 0;
  }
  return {
    memoryUsedBytes: rss === undefined || rss <= 0 ? null : rss * KiB,
    diskCapacityBytes: capacity,
    diskAllocationBytes: allocation,
  };
}

/** The engine's `GET /system/df` image entries (the fields read here). */
export interface DfImage {
  Id: string;
  RepoTags?: string[] | null;
  Size: number;
  SharedSize: number;
  Containers: number;
}

/**
 * Images and what their layers take. `docker images` adds every image's whole size, so a base layer
 * shared by ten images counts ten times; the engine's LayersSize counts each layer once. Engines that
 * do not report LayersSize (or report -1) get a lower bound: each image's own layers plus the largest
 * shared part once.
 */
export function layerFootprint(
  images: readonly DfImage[],
  layersSize: number | null | undefined,
): { images: CompareImage[]; listedBytes: number; onDiskBytes: number; savedBytes: number } {
  const rows: CompareImage[] = images.map((i) => {
    const shared = Math.max(0, i.SharedSize);
    return {
      id: i.Id,
      tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      sizeBytes: i.Size,
      sharedBytes: shared,
      uniqueBytes: Math.max(0, i.Size - shared),
      containers: Math.max(0, i.Containers),
    };
  });
  const listedBytes = rows.reduce((a, r) => a + r.sizeBytes, 0);
  const onDiskBytes =
    typeof layersSize === 'number' && layersSize >= 0
      ? layersSize
      : rows.reduce((a, r) => a + r.uniqueBytes, 0) + rows.reduce((a, r) => Math.max(a, r.sharedBytes), 0);
  return { images: rows, listedBytes, onDiskBytes, savedBytes: Math.max(0, listedBytes - onDiskBytes) };
}

export function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : Math.round((v[mid - 1]! + v[mid]!) / 2);
}

/**
 * How many more of `sizes`' median fit `freeBytes` (the default when there is nothing to take the
 * median of; no figure without a size or without free memory).
 */
export function density(freeBytes: number | null, sizes: readonly number[], fallback: number | null): CompareDensity {
  const m = median(sizes);
  const typicalBytes = m ?? fallback;
  const basis = m !== null ? 'median' : fallback !== null ? 'default' : 'none';
  const fits = freeBytes === null || typicalBytes === null ? null : Math.max(0, Math.floor(freeBytes / typicalBytes));
  return { typicalBytes, basis, fits };
}

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VM_BYTES,
  density,
  engineMemory,
  layerFootprint,
  median,
  parseNodeMemStats,
  vmFootprint,
} from '../../src/compare/compare-figures.js';

const MiB = 1024 * 1024;

describe('compare figures', () => {
  it('reads virsh nodememstats: free memory is free + buffers + cached', () => {
    const text = [
      'total  :             24683748 KiB',
      'free   :             18409240 KiB',
      'buffers:               615248 KiB',
      'cached :              3209220 KiB',
      '',
    ].join('\n');
    expect(parseNodeMemStats(text)).toEqual({
      totalBytes: 24683748 * 1024,
      freeBytes: (18409240 + 615248 + 3209220) * 1024,
      source: 'libvirt',
    });
    expect(parseNodeMemStats('error: failed to connect')).toBeNull();
  });

  it("an engine-only host's free memory is its total less its containers' RSS, never below zero", () => {
    expect(engineMemory(1000, 300)).toEqual({ totalBytes: 1000, freeBytes: 700, source: 'engine' });
    expect(engineMemory(1000, 3000)?.freeBytes).toBe(0);
    expect(engineMemory(undefined, 0)).toBeNull();
  });

  it("reads a domain's footprint from domstats: QEMU RSS and every disk's capacity and allocation", () => {
    expect(
      vmFootprint({
        'balloon.rss': 55768,
        'block.count': 2,
        'block.0.capacity': 1073741824,
        'block.0.allocation': 200704,
        'block.1.capacity': 10,
        'block.1.allocation': 0,
        'block.1.physical': 20,
      }),
    ).toEqual({ memoryUsedBytes: 55768 * 1024, diskCapacityBytes: 1073741834, diskAllocationBytes: 200724 });
    expect(vmFootprint(undefined)).toEqual({ memoryUsedBytes: null, diskCapacityBytes: 0, diskAllocationBytes: 0 });
  });

  describe('image layers', () => {
    // Two images on one 60-byte base: 40 bytes of their own each.
    const images = [
      { Id: 'sha256:a', RepoTags: ['app-a:1'], Size: 100, SharedSize: 60, Containers: 2 },
      { Id: 'sha256:b', RepoTags: ['<none>:<none>'], Size: 100, SharedSize: 60, Containers: 0 },
    ];

    it('counts shared layers once: on disk is what the engine reports, the listing adds every image whole', () => {
      const f = layerFootprint(images, 140);
      expect(f.listedBytes).toBe(200);
      expect(f.onDiskBytes).toBe(140);
      expect(f.savedBytes).toBe(60);
      expect(f.images.map((i) => [i.tags, i.uniqueBytes, i.sharedBytes, i.containers])).toEqual([
        [['app-a:1'], 40, 60, 2],
        [[], 40, 60, 0],
      ]);
    });

    it('without LayersSize (older engines, or -1), own layers plus the largest shared part once', () => {
      expect(layerFootprint(images, undefined).onDiskBytes).toBe(140);
      expect(layerFootprint(images, -1).onDiskBytes).toBe(140);
      // Nothing shared: the two figures agree.
      const alone = [{ Id: 'sha256:c', Size: 50, SharedSize: 0, Containers: 1 }];
      expect(layerFootprint(alone, undefined)).toMatchObject({ listedBytes: 50, onDiskBytes: 50, savedBytes: 0 });
      // Engines report SharedSize -1 when they did not compute it.
      expect(layerFootprint([{ Id: 'x', Size: 10, SharedSize: -1, Containers: -1 }], 10).images[0]).toMatchObject({
        sharedBytes: 0,
        uniqueBytes: 10,
        containers: 0,
      });
    });
  });

  describe('density', () => {
    it('the median ignores empty sizes and averages the middle pair', () => {
      expect(median([3, 1, 2])).toBe(2);
      expect(median([4, 1, 2, 3])).toBe(3);
      expect(median([0, 0])).toBeNull();
    });

    it('fits as many of the typical size as the free memory holds, rounded down', () => {
      expect(density(1000 * MiB, [128 * MiB, 256 * MiB, 512 * MiB], DEFAULT_VM_BYTES)).toEqual({
        typicalBytes: 256 * MiB,
        basis: 'median',
        fits: 3,
      });
      // Nothing running: the default VM size; containers have no default.
      expect(density(2048 * MiB, [], DEFAULT_VM_BYTES)).toEqual({ typicalBytes: 512 * MiB, basis: 'default', fits: 4 });
      expect(density(2048 * MiB, [], null)).toEqual({ typicalBytes: null, basis: 'none', fits: null });
      // Unknown free memory: a size but no count.
      expect(density(null, [4 * MiB], null)).toEqual({ typicalBytes: 4 * MiB, basis: 'median', fits: null });
      // The same free memory holds far more small containers than VMs: the lecture's point.
      expect(density(1024 * MiB, [4 * MiB], null).fits).toBe(256);
    });
  });
});

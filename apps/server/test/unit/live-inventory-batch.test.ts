import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVERYTHING, LiveInventory, type EventSink, type LiveSource } from '../../src/inventory/live-inventory.js';

/**
 * A source that reads items in batches (`loadItems`), like the libvirt inventory. Events are item
 * names; "all" means everything. `hold` keeps the next batch pending until the test releases it.
 */
function batchingSource(windowMs = 100, batchMs = 0) {
  const batches: string[][] = [];
  const singles: string[] = [];
  const hold: Array<() => void> = [];
  const holding: Array<Promise<void>> = [];
  let sink: EventSink<string> | null = null;
  /** Items being read right now: the same item read twice at once is what must never happen. */
  const reading = new Set<string>();
  let overlapped = false;
  const enter = (keys: readonly string[]) => {
    for (const k of keys) {
      if (reading.has(k)) overlapped = true;
      reading.add(k);
    }
  };
  const leave = (keys: readonly string[]) => keys.forEach((k) => reading.delete(k));
  const source: LiveSource<string> = {
    async follow(s) {
      sink = s;
      return { stop() {} };
    },
    async loadAll() {},
    async loadItem(key) {
      singles.push(key);
      enter([key]);
      await holding.shift();
      leave([key]);
    },
    async loadItems(keys) {
      batches.push([...keys]);
      enter(keys);
      if (batchMs) await new Promise((r) => setTimeout(r, batchMs));
      await holding.shift();
      leave(keys);
    },
    interpret: (e) => (e === 'all' ? [EVERYTHING] : [e]),
    describeFailure: (err) => String(err),
    debounceMs: () => windowMs,
  };
  const holdNext = () => holding.push(new Promise<void>((resolve) => hold.push(resolve)));
  return { source, batches, singles, holdNext, release: () => hold.shift()?.(), sink: () => sink!, overlapped: () => overlapped };
}

function make(windowMs?: number, batchMs?: number) {
  const fake = batchingSource(windowMs, batchMs);
  const live = new LiveInventory(fake.source, { log: { info: vi.fn(), warn: vi.fn() } });
  return { ...fake, live };
}

describe('LiveInventory with a batching source (event bursts)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('items named within the window are read as one batch, once each', async () => {
    const t = make();
    await t.live.ensureLive();
    for (const name of ['a', 'b', 'a', 'c']) t.sink().event(name);
    await vi.advanceTimersByTimeAsync(60);
    t.sink().event('d');
    expect(t.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(40);
    expect(t.batches).toEqual([['a', 'b', 'c', 'd']]);
    expect(t.singles).toEqual([]);
  });

  it('a 500-item burst over 3 s costs a few reads, not one per item, and the last item is read right after its window', async () => {
    // Each batch takes 400 ms: items named meanwhile wait for it and go into the next one.
    const t = make(100, 400);
    await t.live.ensureLive();
    for (let i = 0; i < 500; i++) {
      t.sink().event(`vm-${i}`);
      await vi.advanceTimersByTimeAsync(6);
    }
    // The last event came at 3 s: its batch starts within a window plus the batch under way, and takes 400 ms.
    await vi.advanceTimersByTimeAsync(900);
    const read = t.batches.flat();
    expect(new Set(read).size).toBe(500);
    expect(read.length).toBe(500);
    // Two batches in flight (one reads while the other's answer is applied): about one read per half batch duration.
    expect(t.batches.length).toBeLessThanOrEqual(20);
    expect(t.overlapped()).toBe(false);
  });

  it('never reads an item twice at once: a batch waits for a running refresh of one of its items', async () => {
    const t = make();
    await t.live.ensureLive();
    t.holdNext();
    const refresh = t.live.refreshItem('a');
    expect(t.singles).toEqual(['a']);
    t.sink().event('a');
    t.sink().event('b');
    await vi.advanceTimersByTimeAsync(200);
    expect(t.batches).toEqual([]);
    t.release();
    await refresh;
    await vi.advanceTimersByTimeAsync(0);
    expect(t.batches).toEqual([['a', 'b']]);
    expect(t.overlapped()).toBe(false);
  });

  it('a refresh asked while a batch reads the item waits for it and reads once more', async () => {
    const t = make();
    await t.live.ensureLive();
    t.holdNext();
    t.sink().event('a');
    await vi.advanceTimersByTimeAsync(100);
    expect(t.batches).toEqual([['a']]);
    const refresh = t.live.refreshItem('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.singles).toEqual([]);
    t.release();
    await refresh;
    expect(t.singles).toEqual(['a']);
    expect(t.overlapped()).toBe(false);
  });

  it('"everything" still reads everything; readSoon gathers like events; stop drops what was gathered', async () => {
    const t = make();
    await t.live.ensureLive();
    t.live.readSoon(['x', 'y']);
    await vi.advanceTimersByTimeAsync(100);
    expect(t.batches).toEqual([['x', 'y']]);
    t.sink().event('z');
    t.live.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.batches).toEqual([['x', 'y']]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a failed batch is logged and the next one still runs', async () => {
    const t = make();
    const warn = vi.fn();
    const live = new LiveInventory(
      {
        ...t.source,
        loadItems: async (keys) => {
          t.batches.push([...keys]);
          if (keys.includes('boom')) throw new Error('virsh failed');
        },
      },
      { log: { info: vi.fn(), warn } },
    );
    await live.ensureLive();
    t.sink().event('boom');
    await vi.advanceTimersByTimeAsync(100);
    t.sink().event('ok');
    await vi.advanceTimersByTimeAsync(100);
    expect(t.batches).toEqual([['boom'], ['ok']]);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ items: 1 }), expect.any(String));
  });
});

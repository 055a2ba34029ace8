import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVERYTHING, LiveInventory, type EventSink, type LiveSource, type LiveStatus } from '../../src/inventory/live-inventory.js';

/** A promise settled from outside (a read or a stream that is still opening). */
interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

interface FakeFollower {
  sink: EventSink<string>;
  stopped: boolean;
  stop(): void;
}

/**
 * A source whose stream and reads the test drives. Events are strings: "all" means everything,
 * "" means nothing, anything else names an item. `failFollow`/`failLoad` make the next calls fail;
 * `holdLoad`/`holdFollow` keep the next call pending until the test settles it.
 */
function fakeSource() {
  const log: string[] = [];
  const followers: FakeFollower[] = [];
  const failFollow: Error[] = [];
  const failLoad: Error[] = [];
  const holdLoad: Deferred[] = [];
  const holdFollow: Deferred[] = [];
  const holdItem = new Map<string, Deferred[]>();
  let running = 0;
  let overlapped = false;
  const source: LiveSource<string> = {
    async follow(sink) {
      log.push('follow');
      const failure = failFollow.shift();
      if (failure) throw failure;
      const f: FakeFollower = {
        sink,
        stopped: false,
        stop() {
          f.stopped = true;
        },
      };
      followers.push(f);
      await holdFollow.shift()?.promise;
      return f;
    },
    async loadAll() {
      log.push('loadAll');
      await holdLoad.shift()?.promise;
      const failure = failLoad.shift();
      if (failure) throw failure;
    },
    async loadItem(key) {
      log.push(`item:${key}`);
      if (++running > 1) overlapped = true;
      try {
        await holdItem.get(key)?.shift()?.promise;
      } finally {
        running--;
      }
    },
    interpret: (e) => (e === 'all' ? [EVERYTHING] : e ? [e] : []),
    describeFailure: (err) => `could not: ${(err as Error).message}`,
    isPermanent: (err) => (err as Error).message === 'refused for good',
    debounceMs: (key) => (key === EVERYTHING ? 100 : 50),
  };
  return {
    source,
    log,
    followers,
    failFollow,
    failLoad,
    holdLoad,
    holdFollow,
    holdItem,
    overlapped: () => overlapped,
    count: (what: string) => log.filter((l) => l === what).length,
  };
}

function make(backoff?: { baseMs: number; maxMs: number }) {
  const fake = fakeSource();
  const statuses: LiveStatus[] = [];
  const logger = { info: vi.fn(), warn: vi.fn() };
  const live = new LiveInventory(fake.source, { backoff, log: logger, onStatus: (s) => statuses.push(s) });
  return { ...fake, live, statuses, logger };
}

describe('LiveInventory (the load → follow → reconnect → resync lifecycle)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens the event stream before reading everything, then reports live', async () => {
    const t = make();
    expect(t.live.status).toEqual({ state: 'loading' });
    await t.live.ensureLive();
    expect(t.log).toEqual(['follow', 'loadAll']);
    expect(t.live.status).toMatchObject({ state: 'live', loadedAt: expect.any(Date) });
    expect(t.statuses.map((s) => s.state)).toEqual(['live']);
    // Live already: asking again reads nothing.
    await t.live.ensureLive();
    expect(t.log).toEqual(['follow', 'loadAll']);
  });

  it('concurrent callers share one attempt', async () => {
    const t = make();
    await Promise.all([t.live.ensureLive(), t.live.ensureLive(), t.live.ensureLive()]);
    expect(t.log).toEqual(['follow', 'loadAll']);
  });

  it('a lost stream: reconnecting with its reason, then after 1s a new stream and a full resync', async () => {
    const t = make();
    await t.live.ensureLive();
    t.followers[0]!.sink.lost('the stream ended');
    expect(t.followers[0]!.stopped).toBe(true);
    expect(t.live.status).toEqual({ state: 'reconnecting', reason: 'the stream ended', failures: 1, retryInMs: 1_000 });
    // A loss is not a failed attempt: nothing to show as the last error.
    expect(t.live.lastError).toBeNull();
    await vi.advanceTimersByTimeAsync(999);
    expect(t.count('follow')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.log).toEqual(['follow', 'loadAll', 'follow', 'loadAll']);
    expect(t.live.status.state).toBe('live');
    expect(t.statuses.map((s) => s.state)).toEqual(['live', 'reconnecting', 'live']);
  });

  it('backs off 1, 2, 4, 8, 16, 30, 30 s while attempts fail, and starts over after a success', async () => {
    const t = make();
    const boom = new Error('host unreachable');
    t.failFollow.push(...Array.from({ length: 7 }, () => boom));
    await expect(t.live.ensureLive()).rejects.toThrow('host unreachable');
    expect(t.live.status).toEqual({ state: 'reconnecting', reason: 'could not: host unreachable', failures: 1, retryInMs: 1_000 });
    expect(t.live.lastError).toBe('could not: host unreachable');
    const attemptsAt: number[] = [];
    const start = Date.now();
    for (let ms = 0; ms <= 92_000; ms += 500) {
      const before = t.count('follow');
      await vi.advanceTimersByTimeAsync(500);
      if (t.count('follow') > before) attemptsAt.push(Date.now() - start);
    }
    // Retries at 1, 3, 7, 15, 31, 61 and 91 s: the seventh succeeds.
    expect(attemptsAt).toEqual([1_000, 3_000, 7_000, 15_000, 31_000, 61_000, 91_000]);
    expect(t.live.status.state).toBe('live');
    expect(t.live.lastError).toBeNull();
    t.followers.at(-1)!.sink.lost('dropped');
    expect(t.live.status).toMatchObject({ state: 'reconnecting', failures: 1, retryInMs: 1_000 });
  });

  it('a failed full read ends the stream it opened, and the retry opens a new one and reads everything', async () => {
    const t = make();
    t.failLoad.push(new Error('virsh list failed'));
    await expect(t.live.ensureLive()).rejects.toThrow('virsh list failed');
    expect(t.followers[0]!.stopped).toBe(true);
    expect(t.live.status).toMatchObject({ state: 'reconnecting', reason: 'could not: virsh list failed' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.log).toEqual(['follow', 'loadAll', 'follow', 'loadAll']);
    expect(t.followers[1]!.stopped).toBe(false);
    expect(t.live.status.state).toBe('live');
  });

  it('a stream lost during the full read: what was read is kept, the attempt is not live and goes round again', async () => {
    const t = make();
    const hold = deferred();
    t.holdLoad.push(hold);
    const first = t.live.ensureLive();
    await vi.advanceTimersByTimeAsync(0);
    t.followers[0]!.sink.lost('dropped while reading');
    hold.resolve();
    await expect(first).resolves.toBeUndefined();
    expect(t.live.status).toEqual({ state: 'reconnecting', reason: 'dropped while reading', failures: 1, retryInMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.count('loadAll')).toBe(2);
    expect(t.live.status.state).toBe('live');
  });

  it('stale with the reason when retrying cannot help: no timer runs, and asking again retries', async () => {
    const t = make();
    t.failFollow.push(new Error('refused for good'));
    await expect(t.live.ensureLive()).rejects.toThrow('refused for good');
    expect(t.live.status).toEqual({ state: 'stale', reason: 'could not: refused for good' });
    expect(t.live.lastError).toBe('could not: refused for good');
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.count('follow')).toBe(1);
    await t.live.ensureLive();
    expect(t.count('follow')).toBe(2);
    expect(t.live.status.state).toBe('live');
  });

  it('asking while a retry waits brings it forward; retryNow also resets the backoff', async () => {
    const t = make();
    t.failFollow.push(new Error('a'), new Error('b'), new Error('c'));
    await expect(t.live.ensureLive()).rejects.toThrow('a');
    await expect(t.live.ensureLive()).rejects.toThrow('b');
    expect(t.live.status).toMatchObject({ state: 'reconnecting', failures: 2, retryInMs: 2_000 });
    t.live.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.count('follow')).toBe(3);
    // Third failure, but counted from zero again.
    expect(t.live.status).toMatchObject({ state: 'reconnecting', failures: 1, retryInMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.live.status.state).toBe('live');
    // Nothing to bring forward when live.
    t.live.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.count('follow')).toBe(4);
  });

  it('re-reads what events name, once per burst; "everything" re-reads all', async () => {
    const t = make();
    await t.live.ensureLive();
    const sink = t.followers[0]!.sink;
    sink.event('web');
    sink.event('web');
    sink.event('db');
    sink.event('');
    await vi.advanceTimersByTimeAsync(30);
    sink.event('web');
    expect(t.log.filter((l) => l.startsWith('item:'))).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(t.log.filter((l) => l.startsWith('item:'))).toEqual(['item:web', 'item:db']);
    sink.event('all');
    await vi.advanceTimersByTimeAsync(100);
    expect(t.count('loadAll')).toBe(2);
  });

  it('an event that arrives while its item is being read causes one more read, after it', async () => {
    const t = make();
    await t.live.ensureLive();
    const hold = deferred();
    t.holdItem.set('web', [hold]);
    const sink = t.followers[0]!.sink;
    sink.event('web');
    await vi.advanceTimersByTimeAsync(50);
    expect(t.count('item:web')).toBe(1);
    sink.event('web');
    await vi.advanceTimersByTimeAsync(50);
    // Queued behind the running read, not beside it.
    expect(t.count('item:web')).toBe(1);
    hold.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.count('item:web')).toBe(2);
    expect(t.overlapped()).toBe(false);
  });

  it('refreshItem: callers during a read share one more read that starts after it', async () => {
    const t = make();
    await t.live.ensureLive();
    const hold = deferred();
    t.holdItem.set('web', [hold]);
    const first = t.live.refreshItem('web');
    const second = t.live.refreshItem('web');
    const third = t.live.refreshItem('web');
    expect(t.count('item:web')).toBe(1);
    hold.resolve();
    await Promise.all([first, second, third]);
    expect(t.count('item:web')).toBe(2);
    expect(t.overlapped()).toBe(false);
  });

  it('stop ends the stream, the waiting retry and pending re-reads, and ignores what comes after', async () => {
    const t = make();
    await t.live.ensureLive();
    const sink = t.followers[0]!.sink;
    sink.event('web');
    t.live.stop();
    expect(t.followers[0]!.stopped).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    sink.event('db');
    sink.lost('killed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.log).toEqual(['follow', 'loadAll']);
    expect(t.statuses.map((s) => s.state)).toEqual(['live']);
    await t.live.refreshItem('web');
    await t.live.ensureLive();
    expect(t.log).toEqual(['follow', 'loadAll']);
  });

  it('stop while reconnecting: the retry never runs', async () => {
    const t = make();
    await t.live.ensureLive();
    t.followers[0]!.sink.lost('dropped');
    expect(vi.getTimerCount()).toBe(1);
    t.live.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.count('follow')).toBe(1);
  });

  it('stop while the stream is still opening: it is ended as soon as it opens, and nothing is read', async () => {
    const t = make();
    const hold = deferred();
    t.holdFollow.push(hold);
    const attempt = t.live.ensureLive();
    await vi.advanceTimersByTimeAsync(0);
    t.live.stop();
    hold.resolve();
    await attempt;
    expect(t.followers[0]!.stopped).toBe(true);
    expect(t.log).toEqual(['follow']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a stream that was replaced cannot report a loss or events any more', async () => {
    const t = make();
    await t.live.ensureLive();
    const old = t.followers[0]!.sink;
    old.lost('dropped');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.live.status.state).toBe('live');
    old.lost('dropped again');
    old.event('web');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.live.status.state).toBe('live');
    expect(t.count('item:web')).toBe(0);
    expect(t.followers[1]!.stopped).toBe(false);
  });

  it('logs one warning per outage and one line when current again', async () => {
    const t = make();
    t.failFollow.push(new Error('a'), new Error('b'));
    await expect(t.live.ensureLive()).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(t.live.status.state).toBe('live');
    expect(t.logger.warn).toHaveBeenCalledTimes(1);
    expect(t.logger.info).toHaveBeenCalledTimes(1);
  });

  it('an event the source cannot make sense of is logged, not thrown into the stream', async () => {
    const t = make();
    await t.live.ensureLive();
    t.source.interpret = () => {
      throw new Error('bad event');
    };
    expect(() => t.followers[0]!.sink.event('x')).not.toThrow();
    expect(t.logger.warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), expect.any(String));
  });
});

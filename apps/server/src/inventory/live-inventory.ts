/**
 * The lifecycle every live inventory shares (a host's libvirt domains, a Docker engine's objects):
 * follow the source's event stream, then read everything; re-read what each event names; when the
 * stream breaks, reconnect with backoff and read everything again, because events may have been
 * missed while it was down. The source only knows how to list, how to follow and what an event means.
 */

/** An `interpret` answer meaning "read everything again" rather than one item. */
export const EVERYTHING: unique symbol = Symbol('everything');
export type Reread = string | typeof EVERYTHING;

/**
 * - `loading`: the first attempt is under way; nothing has failed yet.
 * - `live`: everything was read after the stream opened, and the stream is still open.
 * - `reconnecting`: the stream broke or an attempt failed; the next attempt runs in `retryInMs`.
 * - `stale`: an attempt failed in a way retrying cannot mend; nothing runs until someone asks again.
 * The picture is kept in the last two states: it is what was true when it was last read.
 */
export type LiveStatus =
  | { state: 'loading' }
  | { state: 'live'; loadedAt: Date }
  | { state: 'reconnecting'; reason: string; failures: number; retryInMs: number }
  | { state: 'stale'; reason: string };

/** Where a follower reports; calls for a follower that was stopped or replaced are ignored. */
export interface EventSink<E> {
  event(event: E): void;
  /** The stream ended or broke, with the sentence to show for it. */
  lost(reason: string): void;
}

export interface Follower {
  /** Ends the event process or stream: nothing of it may keep running. */
  stop(): void;
}

export interface LiveSource<E> {
  /** Opens the event stream; resolves once it is open. */
  follow(sink: EventSink<E>): Promise<Follower>;
  /** Reads everything and replaces the picture, telling viewers what changed. */
  loadAll(): Promise<void>;
  /** Reads one item again (a key `interpret` returned, or one given to `refreshItem`). */
  loadItem(key: string): Promise<void>;
  /**
   * Reads several items again in one go. With it, the items events name are gathered for their
   * debounce window and read as one batch (a burst of events costs a few reads, not one per item);
   * without it, each item is read on its own with `loadItem`.
   */
  loadItems?(keys: readonly string[]): Promise<void>;
  /** What an event means: the items to read again (or EVERYTHING). May apply what it says at once. */
  interpret(event: E): readonly Reread[];
  /** The sentence shown for a failed attempt. */
  describeFailure(err: unknown): string;
  /** A failure retrying cannot mend (a stored setting that is refused, say): stale instead of reconnecting. */
  isPermanent?(err: unknown): boolean;
  /**
   * Events in a burst within this window cause one read of their item (0: read at once). With
   * `loadItems`, the window opened by the first item of a batch gathers every item named meanwhile.
   */
  debounceMs?(key: Reread): number;
}

export interface LiveOptions {
  /** Delay before retry n is min(maxMs, baseMs · 2^(n-1)); it starts over after a success. */
  backoff?: { baseMs: number; maxMs: number };
  onStatus?(status: LiveStatus): void;
  log: { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
  /** Fields that say which inventory a log line is about (read when logging: hosts get renamed). */
  logContext?(): Record<string, unknown>;
}

/** One attempt's event stream; `active` drops when it is lost or stopped, so late calls are ignored. */
interface Link {
  active: boolean;
  follower: Follower | null;
  /** Set once the attempt that opened it finished (a loss before that fails the attempt instead). */
  settled: boolean;
  lostReason: string | null;
}

const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 30_000 };
const MAX_BATCHES = 2;

export class LiveInventory<E> {
  private current: LiveStatus = { state: 'loading' };
  private failure: string | null = null;
  private link: Link | null = null;
  private attempt: Promise<void> | null = null;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly debounced = new Map<Reread, NodeJS.Timeout>();
  private readonly reads = new Map<Reread, { current: Promise<void>; again?: Promise<void> }>();
  /** Items waiting for the next batch read (sources with `loadItems`), and when that batch starts. */
  private readonly gathered = new Set<string>();
  private gatherTimer: NodeJS.Timeout | null = null;
  private gatherDue = 0;
  private batchesRunning = 0;
  private ended = false;

  constructor(
    private readonly source: LiveSource<E>,
    private readonly options: LiveOptions,
  ) {}

  get status(): LiveStatus {
    return this.current;
  }

  /** The last failed attempt's sentence; null once an attempt succeeds. */
  get lastError(): string | null {
    return this.failure;
  }

  get stopped(): boolean {
    return this.ended;
  }

  /**
   * Live already: resolves. Otherwise joins the attempt under way or starts one now (a waiting
   * retry is brought forward); rejects with the attempt's error.
   */
  ensureLive(): Promise<void> {
    if (this.ended || this.current.state === 'live') return Promise.resolve();
    return this.connect();
  }

  /** The source's settings changed (a key accepted, credentials fixed): retry now, backoff reset. */
  retryNow(): void {
    if (this.ended || this.current.state === 'live') return;
    this.failures = 0;
    // An attempt under way goes on; should it fail, the next one comes after the shortest delay.
    if (this.attempt) return;
    this.connect().catch(() => {
      /* reported through the status */
    });
  }

  /**
   * Reads one item now. Reads of one item never overlap: asked while one runs, this waits for it
   * and reads once more (the running read may have sampled too early); callers asking meanwhile
   * share that second read.
   */
  refreshItem(key: string): Promise<void> {
    return this.reread(key);
  }

  /** Reads these items again soon, as events do (gathered into one batch when the source can). */
  readSoon(keys: readonly string[]): void {
    for (const key of keys) this.schedule(key);
  }

  /** Ends the follower, the retry and every pending re-read. Final: nothing starts again. */
  stop(): void {
    this.ended = true;
    this.clearRetry();
    for (const t of this.debounced.values()) clearTimeout(t);
    this.debounced.clear();
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    this.gatherTimer = null;
    this.gathered.clear();
    if (this.link) this.endLink(this.link);
  }

  private connect(): Promise<void> {
    this.attempt ??= this.runAttempt().finally(() => (this.attempt = null));
    return this.attempt;
  }

  /** Events first, then the full read: nothing that happens during the read is missed. */
  private async runAttempt(): Promise<void> {
    this.clearRetry();
    const link: Link = { active: true, follower: null, settled: false, lostReason: null };
    this.link = link;
    try {
      const follower = await this.source.follow({
        event: (event) => {
          if (link.active) this.onEvent(event);
        },
        lost: (reason) => this.onLost(link, reason),
      });
      link.follower = follower;
      if (!link.active) follower.stop(); // stopped, or lost, while it was opening
      if (this.ended) return;
      await this.reread(EVERYTHING);
    } catch (err) {
      link.settled = true;
      this.endLink(link);
      if (this.ended) throw err;
      this.failure = this.source.describeFailure(err);
      if (this.source.isPermanent?.(err)) this.setStatus({ state: 'stale', reason: this.failure });
      else this.scheduleRetry(this.failure);
      throw err;
    }
    link.settled = true;
    if (this.ended) return;
    // What was read is kept, but the stream broke while reading: go round again.
    if (link.lostReason !== null) return this.scheduleRetry(link.lostReason);
    this.failures = 0;
    this.failure = null;
    this.setStatus({ state: 'live', loadedAt: new Date() });
  }

  private onLost(link: Link, reason: string) {
    if (!link.active) return;
    this.endLink(link);
    if (this.ended) return;
    if (!link.settled) link.lostReason = reason;
    else this.scheduleRetry(reason);
  }

  private endLink(link: Link) {
    link.active = false;
    link.follower?.stop();
    if (this.link === link) this.link = null;
  }

  private scheduleRetry(reason: string) {
    this.clearRetry();
    this.failures++;
    const { baseMs, maxMs } = this.options.backoff ?? DEFAULT_BACKOFF;
    const delay = Math.min(maxMs, baseMs * 2 ** Math.min(this.failures - 1, 30));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch(() => {
        /* reported through the status */
      });
    }, delay);
    this.retryTimer.unref();
    this.setStatus({ state: 'reconnecting', reason, failures: this.failures, retryInMs: delay });
  }

  private clearRetry() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setStatus(next: LiveStatus) {
    const before = this.current.state;
    this.current = next;
    // One line per outage and one per recovery, not one per retry.
    if ((next.state === 'reconnecting' || next.state === 'stale') && (before === 'live' || before === 'loading'))
      this.options.log.warn({ ...this.options.logContext?.(), reason: next.reason }, 'live inventory is not current');
    if (next.state === 'live' && (before === 'reconnecting' || before === 'stale'))
      this.options.log.info({ ...this.options.logContext?.() }, 'live inventory is current again');
    this.options.onStatus?.(next);
  }

  private onEvent(event: E) {
    let keys: readonly Reread[];
    try {
      keys = this.source.interpret(event);
    } catch (err) {
      this.options.log.warn({ ...this.options.logContext?.(), err }, 'could not make sense of an event');
      return;
    }
    for (const key of keys) this.schedule(key);
  }

  /** A read already waiting for its window takes later events along: it starts after all of them. */
  private schedule(key: Reread) {
    if (this.ended) return;
    if (key !== EVERYTHING && this.source.loadItems) return this.gather(key);
    if (this.debounced.has(key)) return;
    const delay = this.source.debounceMs?.(key) ?? 0;
    if (delay <= 0) return this.readAfterEvent(key);
    const timer = setTimeout(() => {
      this.debounced.delete(key);
      this.readAfterEvent(key);
    }, delay);
    timer.unref();
    this.debounced.set(key, timer);
  }

  /** Adds an item to the next batch; its window may bring the batch forward, never push it back. */
  private gather(key: string) {
    this.gathered.add(key);
    const delay = Math.max(0, this.source.debounceMs?.(key) ?? 0);
    const due = Date.now() + delay;
    if (this.gatherTimer && due >= this.gatherDue) return;
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    this.gatherDue = due;
    this.gatherTimer = setTimeout(() => {
      this.gatherTimer = null;
      this.flushBatch();
    }, delay);
    this.gatherTimer.unref();
  }

  /**
   * Reads what was gathered as one batch. At most two batches at a time (one reading while the
   * previous one's answer is applied): what is named meanwhile waits and goes into the next, so a
   * long burst costs about one read per batch duration. An item in two batches is never read twice
   * at once (runBatch waits).
   */
  private flushBatch() {
    if (this.ended || this.batchesRunning >= MAX_BATCHES || this.gathered.size === 0) return;
    const keys = [...this.gathered];
    this.gathered.clear();
    this.batchesRunning++;
    this.runBatch(keys)
      .catch((err: unknown) =>
        this.options.log.warn({ ...this.options.logContext?.(), items: keys.length, err }, 'could not read items again after their events'),
      )
      .finally(() => {
        this.batchesRunning--;
        // Items gathered during the read whose window already ended go now; the others when it ends.
        if (!this.gatherTimer) this.flushBatch();
      });
  }

  /** Like `runRead` for several items: waits for reads of them under way, and later reads of each wait for it. */
  private async runBatch(keys: string[]): Promise<void> {
    for (;;) {
      const busy = keys.flatMap((k) => {
        const e = this.reads.get(k);
        return e ? [e.again ?? e.current] : [];
      });
      if (busy.length === 0) break;
      await Promise.allSettled(busy);
    }
    if (this.ended) return;
    const run = this.source.loadItems!(keys);
    const settled = run.then(
      () => {},
      () => {},
    );
    for (const key of keys) {
      const entry: { current: Promise<void>; again?: Promise<void> } = { current: settled };
      entry.current = settled.finally(() => {
        if (this.reads.get(key) === entry && !entry.again) this.reads.delete(key);
      });
      this.reads.set(key, entry);
    }
    await run;
  }

  private readAfterEvent(key: Reread) {
    this.reread(key).catch((err: unknown) =>
      this.options.log.warn(
        { ...this.options.logContext?.(), item: key === EVERYTHING ? '*' : key, err },
        'could not read an item again after its event',
      ),
    );
  }

  private reread(key: Reread): Promise<void> {
    if (this.ended) return Promise.resolve();
    const entry = this.reads.get(key);
    if (!entry) return this.runRead(key);
    const again = () => this.runRead(key);
    entry.again ??= entry.current.then(again, again);
    return entry.again;
  }

  private runRead(key: Reread): Promise<void> {
    if (this.ended) return Promise.resolve();
    const entry: { current: Promise<void>; again?: Promise<void> } = { current: Promise.resolve() };
    entry.current = (key === EVERYTHING ? this.source.loadAll() : this.source.loadItem(key)).finally(() => {
      // With a second read queued, the entry stays until that read replaces it: no third one sneaks in between.
      if (this.reads.get(key) === entry && !entry.again) this.reads.delete(key);
    });
    this.reads.set(key, entry);
    return entry.current;
  }
}

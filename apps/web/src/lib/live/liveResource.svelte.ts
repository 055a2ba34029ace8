/**
 * One piece of server data on screen, kept true: the single way pages load and follow data.
 *
 * - loads when its key changes (a page's params, the chosen engine, a filter), dropping the state of the
 *   previous key and aborting its request, so a slow older answer never overwrites a newer one;
 * - owns loading / error / not-found;
 * - follows realtime topics (see `onTopic` / follow functions) and re-reads, debounced, when a message says
 *   the data changed — or patches it in place when the message carries the new value;
 * - re-reads after the realtime connection comes back (anything may have been missed), and says while it
 *   is down that what is shown may be stale.
 *
 * Construct it during component initialisation (it uses `$effect`).
 */
import type { TopicMessage, TopicName } from '@mirador/contract';
import { untrack } from 'svelte';
import { ApiError, errorMessage } from '$lib/api';
import { realtime } from '$lib/realtime.svelte';

/** What a follow function may do when a message arrives. */
export interface FollowContext<T> {
  /** Read again (debounced: a burst of messages costs one request). */
  reread(): void;
  /**
   * Change the data in place (the message carried the new value). A patch that arrives while a read is
   * under way is also applied to that read's answer, which may predate it — so patches must be
   * idempotent (merge by id or time, never blindly append).
   */
  patch(update: (data: T) => T): void;
}

/** Subscribes for one key; returns its unsubscribe function. */
export type Follow<K, T> = (key: K, ctx: FollowContext<T>) => () => void;

export interface LiveResourceOptions<K, T> {
  /** What to read; null while there is nothing to load (no engine chosen yet). Compared by value. */
  key: () => K | null;
  load: (key: K, signal: AbortSignal) => Promise<T>;
  /** Realtime subscriptions that keep the data fresh. */
  follow?: Follow<K, T> | readonly Follow<K, T>[];
  /** Re-read debounce; default 250 ms. */
  debounceMs?: number;
  /** Keep showing the previous key's data while the new one loads (lists re-filtered on the server). */
  keepPrevious?: boolean;
  /** What to show (and patch) before the first read answers, e.g. the task a dialog just started. */
  seed?: (key: K) => T | null;
}

const DEFAULT_DEBOUNCE_MS = 250;

function keyId(key: unknown): string | null {
  return key === null ? null : JSON.stringify(key);
}

/**
 * Re-read (or patch) on messages of one topic. `when` decides whether a message concerns this data;
 * without it every message of the topic does. Return a function from `when` to patch instead of re-reading.
 */
export function onTopic<K, T, N extends TopicName>(
  topic: (key: K) => N,
  // The topic's error messages never reach `when` (they say the server dropped the topic, not that data changed).
  when?: (msg: Exclude<TopicMessage<N>, { type: 'error' }>, key: K) => boolean | ((data: T) => T),
): Follow<K, T> {
  return (key, ctx) =>
    realtime.subscribe(
      topic(key),
      (msg) => {
        if (msg.type === 'error') return;
        // TypeScript does not narrow a conditional type by its `type` field: the check above is that narrowing.
        const verdict = when ? when(msg as Exclude<TopicMessage<N>, { type: 'error' }>, key) : true;
        if (typeof verdict === 'function') ctx.patch(verdict);
        else if (verdict) ctx.reread();
      },
      // After a reconnect the server holds what we missed: read it again.
      () => ctx.reread(),
    );
}

export class LiveResource<T, K = string> {
  data = $state<T | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** The last read answered 404. */
  notFound = $state(false);
  /** When `data` was read (or last patched by a message). */
  updatedAt = $state<Date | null>(null);
  #loadedKey = $state<string | null>(null);
  #seq = 0;
  #abort: AbortController | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Patches that arrived while read number `seq` was under way: its answer gets them too. */
  #pending: { seq: number; update: (data: T) => T }[] = [];
  readonly #opts: LiveResourceOptions<K, T>;

  constructor(opts: LiveResourceOptions<K, T>) {
    this.#opts = opts;
    // Compared by value: a new object with the same content is the same key. The effect depends on this
    // string only, so a key rebuilt from state that changed elsewhere neither re-reads nor re-subscribes.
    const id = $derived(keyId(opts.key()));
    $effect(() => {
      const current = id;
      return this.#switchTo(untrack(opts.key), current);
    });
  }

  /** True once `data` is the answer for the current key. */
  get ready(): boolean {
    const key = this.#opts.key();
    return key !== null && this.#loadedKey === JSON.stringify(key);
  }

  /** Why what is shown may be out of date, or null when it is live. */
  get stale(): 'reconnecting' | 'error' | null {
    if (this.data === null) return null;
    if (this.error) return 'error';
    if (realtime.state === 'reconnecting') return 'reconnecting';
    return null;
  }

  /** Read again now (after an action of this page); an arrow, so it can be handed to `ondone`. */
  readonly reload = (): void => {
    const key = this.#opts.key();
    if (key !== null) void this.#load(key);
  };

  /** Change the loaded data in place (an optimistic or message-carried update). */
  patch(update: (data: T) => T): void {
    if (this.data === null) return;
    this.data = update(this.data);
    this.updatedAt = new Date();
  }

  #switchTo(key: K | null, id: string | null): (() => void) | undefined {
    if (!this.#opts.keepPrevious) {
      this.data = null;
      this.#loadedKey = null;
    }
    this.error = null;
    this.notFound = false;
    this.#pending = [];
    const seeded = key === null ? null : (this.#opts.seed?.(key) ?? null);
    if (seeded !== null) {
      this.data = seeded;
      this.#loadedKey = id;
    }
    if (key === null || id === null) {
      this.#abort?.abort();
      this.loading = false;
      return undefined;
    }
    void this.#load(key);
    const follows = this.#opts.follow === undefined ? [] : Array.isArray(this.#opts.follow) ? this.#opts.follow : [this.#opts.follow];
    const ctx: FollowContext<T> = {
      reread: () => this.#schedule(),
      patch: (update) => {
        if (this.#loadedKey === id) this.patch(update);
        if (this.loading) this.#pending.push({ seq: this.#seq, update });
      },
    };
    const offs = (follows as readonly Follow<K, T>[]).map((follow) => follow(key, ctx));
    return () => {
      for (const off of offs) off();
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
    };
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.reload();
    }, this.#opts.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  async #load(key: K): Promise<void> {
    const seq = ++this.#seq;
    // Whatever was pushed before this read was sent is already in the server's answer to it.
    this.#pending = [];
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    this.loading = true;
    try {
      const value = await this.#opts.load(key, abort.signal);
      if (seq !== this.#seq) return;
      let next: T = value;
      for (const p of this.#pending) if (p.seq === seq) next = p.update(next);
      this.#pending = [];
      this.data = next;
      this.#loadedKey = JSON.stringify(key);
      this.updatedAt = new Date();
      this.error = null;
      this.notFound = false;
    } catch (err) {
      if (seq !== this.#seq) return;
      if (err instanceof DOMException && err.name === 'AbortError') return;
      if (err instanceof ApiError && err.status === 404) this.notFound = true;
      else this.error = errorMessage(err);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }
}

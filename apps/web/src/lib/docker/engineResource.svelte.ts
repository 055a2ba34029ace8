/**
 * One Docker resource (a list or a detail) of one engine, kept fresh: loads when its URL changes,
 * re-reads after the engine reports a change of the given kinds, and never lets a slow, older
 * answer overwrite a newer one. Every images/volumes/networks page uses it instead of its own
 * load/effect/refetch trio.
 */
import type { DockerResourceKind } from '@mirador/contract';
import { api, ApiError, errorMessage } from '$lib/api';
import { useDockerChanges } from './useDockerChanges.svelte';

interface Options {
  /** The engine whose changes trigger a re-read. */
  hostId: () => string;
  /** The API path to read; null while there is nothing to load (no engine chosen yet). */
  url: () => string | null;
  kinds: readonly DockerResourceKind[];
}

export class EngineResource<T> {
  data = $state<T | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** The last read answered 404. */
  notFound = $state(false);
  /** The URL `data` belongs to (lists keep showing while a re-read runs). */
  loadedUrl = $state<string | null>(null);
  #seq = 0;
  #url: () => string | null;

  constructor(opts: Options) {
    this.#url = opts.url;
    $effect(() => {
      const url = opts.url();
      this.data = null;
      this.loadedUrl = null;
      this.error = null;
      this.notFound = false;
      if (url) void this.#load(url);
      else this.loading = false;
    });
    useDockerChanges(opts.hostId, opts.kinds, () => this.reload());
  }

  /** True once `data` is the answer for the current URL. */
  get ready(): boolean {
    return this.loadedUrl !== null && this.loadedUrl === this.#url();
  }

  reload(): void {
    const url = this.#url();
    if (url) void this.#load(url);
  }

  async #load(url: string): Promise<void> {
    const seq = ++this.#seq;
    this.loading = true;
    try {
      const value = await api.get<T>(url);
      if (seq !== this.#seq) return;
      this.data = value;
      this.loadedUrl = url;
      this.error = null;
      this.notFound = false;
    } catch (err) {
      if (seq !== this.#seq) return;
      if (err instanceof ApiError && err.status === 404) this.notFound = true;
      else this.error = errorMessage(err);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }
}

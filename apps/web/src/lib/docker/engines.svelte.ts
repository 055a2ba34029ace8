/**
 * Docker engines (`GET /api/docker/engines`) and the per-page choice of one of them.
 *
 * The list is shared by every docker page of the tab and fetched once (again on `refresh()`,
 * or when the realtime `docker` topic says an engine changed). The choice lives in the URL
 * (`?host=<hostId>`) so a view can be shared; it is also remembered in localStorage so that
 * moving from /images to /volumes through the navigation keeps the same engine.
 */
import type { DockerEngine } from '@mirador/contract';
import { topics } from '@mirador/contract';
import { onMount, untrack } from 'svelte';
import { browser } from '$app/environment';
import { page } from '$app/state';
import { api, errorMessage } from '$lib/api';
import { realtime } from '$lib/realtime.svelte';
import { setQueryParams } from './query';

const STORAGE_KEY = 'mirador.dockerEngine';

class Engines {
  items = $state<DockerEngine[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  #pending: Promise<void> | null = null;
  #watching = 0;
  #unsubscribe: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Fetch the list once per tab (`force` to re-read it). */
  load(force = false): Promise<void> {
    if (this.#pending && !force) return this.#pending;
    this.#pending = api
      .GET('/api/docker/engines')
      .then((res) => {
        this.items = res.items;
        this.error = null;
      })
      .catch((err) => {
        this.error = errorMessage(err);
        this.#pending = null; // try again next time a page asks
      })
      .finally(() => {
        this.loaded = true;
      });
    return this.#pending;
  }

  refresh(): Promise<void> {
    return this.load(true);
  }

  byId(hostId: string): DockerEngine | null {
    return this.items.find((e) => e.hostId === hostId) ?? null;
  }

  /**
   * Keep the list fresh while at least one component shows it: an engine going up/down or a
   * container count changing arrives on the `docker` topic. Returns the stop function.
   */
  watch(): () => void {
    this.#watching++;
    if (this.#watching === 1) {
      const later = () => {
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = setTimeout(() => void this.refresh(), 1000);
      };
      this.#unsubscribe = realtime.subscribe(
        topics.docker,
        (msg) => {
          if (msg.type === 'docker.changed' && msg.kind === 'engine') later();
          else if (msg.type === 'container.removed') later();
        },
        later,
      );
    }
    void this.load();
    return () => {
      this.#watching--;
      if (this.#watching > 0) return;
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      if (this.#timer) clearTimeout(this.#timer);
    };
  }
}

export const engines = new Engines();

function remembered(): string | null {
  if (!browser) return null;
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function remember(hostId: string) {
  try {
    localStorage.setItem(STORAGE_KEY, hostId);
  } catch {
    /* storage disabled */
  }
}

export interface EngineSelectionOptions {
  /** `''` (no `?host`) means "every engine" instead of picking a default (fleet-wide views). */
  allowAll?: boolean;
}

/**
 * The engine a list page shows. Construct it during component initialisation (it uses effects):
 * `const selection = new EngineSelection();` then read `selection.hostId` and bind the
 * `<EngineSelect {selection} />`.
 */
export class EngineSelection {
  /** The chosen engine's host id; `''` while nothing is chosen (or "all" with `allowAll`). */
  hostId = $state('');
  readonly allowAll: boolean;

  constructor(opts: EngineSelectionOptions = {}) {
    this.allowAll = opts.allowAll ?? false;
    const fromUrl = page.url.searchParams.get('host');
    this.hostId = fromUrl ?? (this.allowAll ? '' : (remembered() ?? ''));

    onMount(() => engines.watch());

    // A real navigation (a link to `?host=other` on the same page) changes the choice; one
    // without `?host` (the sidebar link) keeps it, and puts it back into the address bar.
    $effect(() => {
      const h = page.url.searchParams.get('host');
      untrack(() => {
        if (h !== null) this.hostId = h;
        else if (this.hostId && engines.byId(this.hostId)) setQueryParams({ host: this.hostId });
      });
    });

    // Once the engines are known, replace a missing or unknown choice with a sensible default.
    $effect(() => {
      if (!engines.loaded || engines.items.length === 0) return;
      const current = this.hostId;
      if (current ? engines.byId(current) : this.allowAll) return;
      const saved = remembered();
      // items is not empty (checked above), so items[0] exists.
      const fallback = (saved && engines.byId(saved)) || engines.items.find((e) => e.state === 'ok') || engines.items[0]!;
      untrack(() => (this.hostId = this.allowAll ? '' : fallback.hostId));
    });

    $effect(() => {
      const h = this.hostId;
      if (h && !engines.byId(h)) return; // not known (yet): the default above settles it first
      setQueryParams({ host: h || null });
      if (h) remember(h);
    });
  }

  get engine(): DockerEngine | null {
    return this.hostId ? engines.byId(this.hostId) : null;
  }

  select(hostId: string) {
    this.hostId = hostId;
  }
}

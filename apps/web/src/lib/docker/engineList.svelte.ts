/**
 * The state every images/volumes/networks list page starts from: the chosen engine (`?host=`),
 * that engine's list as a LiveResource (re-read after the engine's changes of the given kinds),
 * and the search text. Construct it during component initialisation (it uses effects), then hand
 * it to `<EngineListPage list={…}>`.
 */
import type { DockerResourceKind } from '@mirador/contract';
import { page } from '$app/state';
import { LiveResource } from '$lib/live/liveResource.svelte';
import { EngineSelection } from './engines.svelte';
import { setQueryParams } from './query';
import { dockerChanges } from './useDockerChanges.svelte';

export class EngineList<T> {
  readonly selection = new EngineSelection();
  readonly resource: LiveResource<{ items: T[] }>;
  /** The search box; kept in the URL (`?q=`) next to `?host` so a filtered view can be shared. */
  query = $state(page.url.searchParams.get('q') ?? '');

  /** `load`: the list of one engine (a typed `api.GET`); `kinds`: the engine changes that re-read it. */
  constructor(load: (hostId: string, signal: AbortSignal) => Promise<{ items: T[] }>, kinds: readonly DockerResourceKind[]) {
    this.resource = new LiveResource({
      key: () => this.hostId || null,
      load,
      follow: dockerChanges((hostId: string) => hostId, kinds),
    });
    $effect(() => {
      setQueryParams({ q: this.query.trim() || null });
    });
  }

  /** `''` while no engine is chosen. */
  get hostId(): string {
    return this.selection.hostId;
  }

  /** Every item of the list, before filtering. */
  get items(): T[] {
    return this.resource.data?.items ?? [];
  }

  /** Re-read the list now (after an action of this page); an arrow, so it can be handed to `ondone`. */
  readonly reload = (): void => this.resource.reload();

  /** The search text as the filters compare it: trimmed, lower case, `''` for none. */
  get needle(): string {
    return this.query.trim().toLowerCase();
  }
}

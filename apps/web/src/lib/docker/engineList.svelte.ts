/**
 * The state every images/volumes/networks list page starts from: the chosen engine (`?host=`),
 * that engine's list kept fresh, and the search text. Construct it during component
 * initialisation (it uses effects), then hand it to `<EngineListPage list={…}>`.
 */
import type { DockerResourceKind } from '@mirador/contract';
import { page } from '$app/state';
import { EngineResource } from './engineResource.svelte';
import { EngineSelection } from './engines.svelte';
import { setQueryParams } from './query';

export class EngineList<T> {
  readonly selection = new EngineSelection();
  readonly resource: EngineResource<{ items: T[] }>;
  /** The search box; kept in the URL (`?q=`) next to `?host` so a filtered view can be shared. */
  query = $state(page.url.searchParams.get('q') ?? '');

  /** `listApi`: the list's API path on one engine; `kinds`: the engine changes that re-read it. */
  constructor(listApi: (hostId: string) => string, kinds: readonly DockerResourceKind[]) {
    this.resource = new EngineResource({ hostId: () => this.hostId, url: () => (this.hostId ? listApi(this.hostId) : null), kinds });
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

/**
 * The libvirt host a page shows (libvirt networks, storage pools): the hosts with a libvirt URI, and the
 * choice kept in the URL (`?host=<hostId>`) so a view can be shared — the same approach as the Docker
 * pages' `EngineSelection`. No choice (or an unknown one) means the first host by name.
 * Construct it during component initialisation (it uses effects).
 */
import { page } from '$app/state';
import { api } from '$lib/api';
import { setQueryParams } from '$lib/docker/query';
import { LiveResource } from '$lib/live/liveResource.svelte';

export class VirtHostSelection {
  readonly hosts = new LiveResource({
    key: () => 'libvirt',
    load: async (_k, signal) =>
      (await api.GET('/api/hosts', { signal })).filter((h) => h.libvirtUri !== null).sort((a, b) => a.name.localeCompare(b.name)),
  });
  /** What the person chose (`''`: nothing yet). */
  chosen = $state(page.url.searchParams.get('host') ?? '');
  /** The host shown: the choice when it is known, else the first one; `''` while there is none. */
  readonly hostId = $derived(
    this.hosts.data?.some((h) => h.id === this.chosen) ? this.chosen : (this.hosts.data?.[0]?.id ?? (this.hosts.data ? '' : this.chosen)),
  );

  /** The shown host when its last check failed (offline or error): the page says its problem once (HostProblem). */
  readonly problem = $derived.by(() => {
    const h = this.hosts.data?.find((x) => x.id === this.hostId);
    return h && (h.status === 'offline' || h.status === 'error') ? h : null;
  });

  /** The host problem a failed read of this host is put down to (null when the read did not fail, or the host is fine). */
  problemOf(resource: { error: string | null }): { id: string; name: string; statusMessage: string | null } | null {
    return resource.error ? this.problem : null;
  }

  constructor() {
    $effect(() => {
      setQueryParams({ host: this.chosen || null });
    });
  }
}

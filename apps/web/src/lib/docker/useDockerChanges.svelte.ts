/**
 * Refetch a docker list when the engine says it changed. The server pushes, on topic `docker`,
 * `docker.changed {hostId, kind}` after image/volume/network/engine changes, and
 * `container.updated` / `container.removed` for containers. Lists re-read the (already updated)
 * warm inventory, debounced so that a prune deleting 40 images costs one request.
 */
import type { ContainerSummary, DockerResourceKind } from '@mirador/contract';
import { topics } from '@mirador/contract';
import { realtime } from '$lib/realtime.svelte';
import type { Follow } from '$lib/live/liveResource.svelte';

const DEBOUNCE_MS = 250;

/** What of a container our "used by" columns depend on: its image, networks and mounts. */
function usage(c: ContainerSummary): string {
  return [c.name, c.imageId, c.networks.join(','), c.mounts.map((m) => m.source ?? '').join(',')].join('|');
}

/**
 * Subscribe for one engine; returns the unsubscribe function (an `$effect` cleanup).
 * `container` in `kinds` also reacts to containers being created, removed, renamed or
 * (dis)connected — but not to every state flip, which would refetch for nothing.
 */
export function watchDockerChanges(hostId: string, kinds: readonly DockerResourceKind[], refetch: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      refetch();
    }, DEBOUNCE_MS);
  };
  const containers = kinds.includes('container');
  const seen = new Map<string, string>();

  const off = realtime.subscribe(
    topics.docker,
    (msg) => {
      if (msg.type === 'docker.changed') {
        if (msg.hostId === hostId && kinds.includes(msg.kind)) schedule();
      } else if (containers && msg.type === 'container.updated' && msg.container.hostId === hostId) {
        const sig = usage(msg.container);
        if (seen.get(msg.container.id) !== sig) {
          // The first sighting also counts: we cannot know whether the list already had it.
          seen.set(msg.container.id, sig);
          schedule();
        }
      } else if (containers && msg.type === 'container.removed' && msg.hostId === hostId) {
        seen.delete(msg.id);
        schedule();
      }
    },
    // After a reconnect we may have missed anything.
    schedule,
  );
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}

/**
 * The same, as a rune helper for components: follows the engine returned by `hostId()` and
 * calls `refetch(hostId)` after changes of the given kinds.
 */
export function useDockerChanges(hostId: () => string, kinds: readonly DockerResourceKind[], refetch: (hostId: string) => void) {
  $effect(() => {
    const h = hostId();
    if (!h) return;
    return watchDockerChanges(h, kinds, () => refetch(h));
  });
}

/** The same as a LiveResource follow: re-read the resource after the engine's changes of the given kinds. */
export function dockerChanges<K, T>(hostIdOf: (key: K) => string, kinds: readonly DockerResourceKind[]): Follow<K, T> {
  return (key, ctx) => watchDockerChanges(hostIdOf(key), kinds, ctx.reread);
}

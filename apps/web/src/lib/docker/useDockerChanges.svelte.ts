/**
 * Re-read a docker list when the engine says it changed. The server pushes, on topic `docker`,
 * `docker.changed {hostId, kind}` after image/volume/network/engine changes, and
 * `container.updated` / `container.removed` for containers. Lists re-read the (already updated)
 * warm inventory; LiveResource debounces the re-read, so a prune deleting 40 images costs one request.
 */
import type { ContainerSummary, DockerResourceKind } from '@mirador/contract';
import { topics } from '@mirador/contract';
import type { Follow } from '$lib/live/liveResource.svelte';
import { realtime } from '$lib/realtime.svelte';

/** What of a container our "used by" columns depend on: its image, networks and mounts. */
function usage(c: ContainerSummary): string {
  return [c.name, c.imageId, c.networks.join(','), c.mounts.map((m) => m.source ?? '').join(',')].join('|');
}

/**
 * A LiveResource follow: re-read after the engine's changes of the given kinds (and after a reconnect,
 * when anything may have been missed). `container` in `kinds` also reacts to containers being created,
 * removed, renamed or (dis)connected — but not to every state flip, which would re-read for nothing.
 */
export function dockerChanges<K, T>(hostIdOf: (key: K) => string, kinds: readonly DockerResourceKind[]): Follow<K, T> {
  return (key, { reread }) => {
    const hostId = hostIdOf(key);
    const containers = kinds.includes('container');
    const seen = new Map<string, string>();
    return realtime.subscribe(
      topics.docker,
      (msg) => {
        if (msg.type === 'docker.changed') {
          if (msg.hostId === hostId && kinds.includes(msg.kind)) reread();
        } else if (containers && msg.type === 'container.updated' && msg.container.hostId === hostId) {
          const sig = usage(msg.container);
          if (seen.get(msg.container.id) !== sig) {
            // The first sighting also counts: we cannot know whether the list already had it.
            seen.set(msg.container.id, sig);
            reread();
          }
        } else if (containers && msg.type === 'container.removed' && msg.hostId === hostId) {
          seen.delete(msg.id);
          reread();
        }
      },
      reread,
    );
  };
}

/** Stored registry credentials (`GET /api/registries`; never the passwords), cached per tab. */
import type { Registry } from '@mirador/contract';
import { imageRegistry } from '@mirador/docker';
import { api } from '$lib/api';

let cached: Promise<Registry[]> | null = null;

export function loadRegistries(force = false): Promise<Registry[]> {
  if (!cached || force) {
    cached = api.GET('/api/registries').then((r) => r.items);
    cached.catch(() => (cached = null));
  }
  return cached;
}

/** After an add/edit/remove on the registries page. */
export function forgetRegistries() {
  cached = null;
}

/** The registry of an image reference (`docker.io` for Docker Hub); null while it is not a valid reference. */
export function registryOf(ref: string): string | null {
  try {
    return ref.trim() ? imageRegistry(ref.trim()) : null;
  } catch {
    return null;
  }
}

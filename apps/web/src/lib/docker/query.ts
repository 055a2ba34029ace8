import { replaceState } from '$app/navigation';
import { page } from '$app/state';
import { untrack } from 'svelte';

/**
 * Write some query parameters into the address bar without navigating (filters, the engine).
 * Starts from `location` rather than `page.url`: shallow `replaceState` does not update
 * `page.url`, and several widgets of one page each write their own parameters.
 */
export function setQueryParams(values: Record<string, string | null | undefined>) {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(values)) {
    if (v) url.searchParams.set(k, v);
    else url.searchParams.delete(k);
  }
  if (url.search !== location.search)
    replaceState(
      url,
      untrack(() => page.state),
    );
}

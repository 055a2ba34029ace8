/**
 * What the two lifecycle confirm dialogs (VM actions, container operations) share: they open for a
 * `request` a button set, and clear it on close so the same action can be asked again; and a 409
 * (the target changed state meanwhile) becomes a toast rather than an error inside the dialog.
 */
import { untrack } from 'svelte';
import { ApiError } from '$lib/api';
import { toasts } from '$lib/toasts.svelte';

export class RequestDialog<R> {
  open = $state(false);
  /** The request being confirmed; kept while the dialog closes (its title must not vanish mid-animation). */
  current = $state<R | null>(null);

  /**
   * `request`/`clear` are the component's bindable `request` prop; `prepare` resets the dialog's
   * options for a new request. Construct it during component initialisation (it uses `$effect`).
   */
  constructor(request: () => R | null, clear: () => void, prepare?: (req: R) => void) {
    $effect(() => {
      const req = request();
      if (!req) return;
      this.current = req;
      untrack(() => prepare?.(req));
      this.open = true;
    });
    // Closing (cancel, Escape, success) clears the request so the same action can be asked again.
    $effect(() => {
      if (!this.open && request()) clear();
    });
  }
}

/** Runs an action; a 409 (another user, or the target itself, changed it meanwhile) is told as a toast and closes. */
export async function conflictAsToast(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      toasts.error(err);
      return;
    }
    throw err;
  }
}

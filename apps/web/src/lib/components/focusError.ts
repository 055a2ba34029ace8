/**
 * Errors where the user is looking: after a refused submit, the first field marked invalid
 * (Field sets aria-invalid) is scrolled into view and focused. Returns false when no field is
 * marked, so the caller can fall back to a toast.
 */
import { tick } from 'svelte';

export async function focusFirstInvalid(root: HTMLElement | null | undefined): Promise<boolean> {
  await tick();
  const el = root?.querySelector<HTMLElement>('[aria-invalid="true"]');
  if (!el) return false;
  el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  el.focus({ preventScroll: true });
  return true;
}

/** Removes `field`'s error once its input changed (a stale error must not outlive the fix). */
export function withoutError(errors: Record<string, string>, ...fields: string[]): Record<string, string> {
  if (!fields.some((f) => f in errors)) return errors;
  const next = { ...errors };
  for (const f of fields) delete next[f];
  return next;
}

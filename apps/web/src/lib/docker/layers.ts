import type { LayerProgress } from '@mirador/contract';

/**
 * The engine's words for a finished layer: pulls end in "Pull complete" / "Already exists",
 * pushes in "Pushed" / "Layer already exists" / "Mounted from <repo>". ("Download complete" is
 * not the end of a pull: extraction follows.)
 */
const DONE = /^(pull complete|already exists|layer already exists|pushed|mounted from\b.*)$/i;

export function layerDone(l: LayerProgress): boolean {
  return DONE.test(l.status.trim());
}

/** 0..1 for the bar; null (indeterminate) while the engine gives no byte counts. */
export function layerFraction(l: LayerProgress): number | null {
  if (layerDone(l)) return 1;
  if (/^(waiting|preparing)/i.test(l.status)) return 0;
  if (l.total && l.total > 0 && l.current !== null) return Math.min(1, l.current / l.total);
  return null;
}

/** Layer ids come as 12 hex digits already; digests are shortened the same way. */
export function layerLabel(id: string): string {
  const hex = id.replace(/^sha256:/, '');
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

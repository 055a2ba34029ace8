/**
 * Row selection and bulk actions, as plain functions (the table and pages keep the state):
 * which selected rows an action applies to and which are skipped (with why), and running one
 * per-item request per target with a small concurrency, reporting each target's outcome.
 */

export type SelectionState = 'none' | 'some' | 'all';

export function toggleKey(selected: ReadonlySet<string>, key: string): Set<string> {
  const next = new Set(selected);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return next;
}

/** Selects (or unselects) every key of `keys` (the rows shown after filtering), leaving others as they are. */
export function setKeys(selected: ReadonlySet<string>, keys: Iterable<string>, on: boolean): Set<string> {
  const next = new Set(selected);
  for (const k of keys) {
    if (on) next.add(k);
    else next.delete(k);
  }
  return next;
}

/** How many of `keys` are selected, for the header checkbox (checked, indeterminate or clear). */
export function selectionState(selected: ReadonlySet<string>, keys: readonly string[]): SelectionState {
  if (keys.length === 0) return 'none';
  let n = 0;
  for (const k of keys) if (selected.has(k)) n++;
  return n === 0 ? 'none' : n === keys.length ? 'all' : 'some';
}

/** Drops keys whose rows are gone (removed, or filtered out of view): a bulk action acts only on what is shown. */
export function keepKeys(selected: ReadonlySet<string>, present: Iterable<string>): ReadonlySet<string> {
  const have = new Set(present);
  let changed = false;
  const next = new Set<string>();
  for (const k of selected) {
    if (have.has(k)) next.add(k);
    else changed = true;
  }
  return changed ? next : selected;
}

export interface BulkTarget<T> {
  key: string;
  label: string;
  item: T;
  /** The exact command line this target's request runs on its host (lines joined by `\n` when it runs several). */
  command: string;
}

export interface BulkSkip<T> {
  key: string;
  label: string;
  item: T;
  reason: string;
}

export interface BulkPlan<T> {
  targets: BulkTarget<T>[];
  skipped: BulkSkip<T>[];
}

/**
 * Splits the selected items into targets and skipped ones. `refusal` says why an item cannot take
 * the action (e.g. "already running"), or null when it can; `command` renders what will run.
 */
export function planBulk<T>(
  items: readonly T[],
  opts: { key: (item: T) => string; label: (item: T) => string; refusal: (item: T) => string | null; command: (item: T) => string },
): BulkPlan<T> {
  const plan: BulkPlan<T> = { targets: [], skipped: [] };
  for (const item of items) {
    const key = opts.key(item);
    const label = opts.label(item);
    const reason = opts.refusal(item);
    if (reason) plan.skipped.push({ key, label, item, reason });
    else plan.targets.push({ key, label, item, command: opts.command(item) });
  }
  return plan;
}

export interface BulkResult {
  key: string;
  label: string;
  ok: boolean;
  /** Why it failed (the server's message), when it did. */
  message?: string;
}

/**
 * Runs `run` for every target, `concurrency` at a time; one failure never stops the others.
 * Results come back in target order; `onresult` reports each as it lands (for a live list).
 */
export async function runBulk<T>(
  targets: readonly BulkTarget<T>[],
  run: (target: BulkTarget<T>) => Promise<unknown>,
  opts: { concurrency?: number; describe: (err: unknown) => string; onresult?: (r: BulkResult, index: number) => void },
): Promise<BulkResult[]> {
  const results: BulkResult[] = new Array<BulkResult>(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const tg = targets[i]!;
      let r: BulkResult;
      try {
        await run(tg);
        r = { key: tg.key, label: tg.label, ok: true };
      } catch (err) {
        r = { key: tg.key, label: tg.label, ok: false, message: opts.describe(err) };
      }
      results[i] = r;
      opts.onresult?.(r, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, targets.length)) }, worker));
  return results;
}

/** Maps with at most `limit` calls in flight (loading each target's command line without a burst). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

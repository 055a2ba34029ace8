/** Sorting shared by DataTable and VirtualTable: one set of rules for every list's headers. */
export interface Column<T> {
  key: string;
  label: string;
  /** Makes the header sortable. */
  sort?: (a: T, b: T) => number;
  class?: string;
  /** Visually hidden header (e.g. the actions column). */
  srOnly?: boolean;
}

export type SortDir = 'asc' | 'desc';

/** The rows in the order the sorted column asks for (the given order when none is sortable/selected). */
export function sortRows<T>(rows: T[], columns: Column<T>[], sortKey: string | null, sortDir: SortDir): T[] {
  const col = columns.find((c) => c.key === sortKey);
  if (!col?.sort) return rows;
  const copy = [...rows].sort(col.sort);
  return sortDir === 'desc' ? copy.reverse() : copy;
}

/** A click on a header: the same column flips direction, another starts ascending. */
export function nextSort<T>(col: Column<T>, sortKey: string | null, sortDir: SortDir): { sortKey: string | null; sortDir: SortDir } {
  if (!col.sort) return { sortKey, sortDir };
  if (sortKey === col.key) return { sortKey, sortDir: sortDir === 'asc' ? 'desc' : 'asc' };
  return { sortKey: col.key, sortDir: 'asc' };
}

export function ariaSort<T>(col: Column<T>, sortKey: string | null, sortDir: SortDir): 'ascending' | 'descending' | 'none' | undefined {
  if (!col.sort) return undefined;
  if (sortKey !== col.key) return 'none';
  return sortDir === 'asc' ? 'ascending' : 'descending';
}

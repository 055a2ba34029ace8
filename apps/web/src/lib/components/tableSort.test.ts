import { describe, expect, it } from 'vitest';
import { ariaSort, nextSort, sortRows, type Column } from './tableSort';

type Row = { name: string; size: number };
const columns: Column<Row>[] = [
  { key: 'name', label: 'Name', sort: (a, b) => a.name.localeCompare(b.name) },
  { key: 'size', label: 'Size', sort: (a, b) => a.size - b.size },
  { key: 'actions', label: 'Actions', srOnly: true },
];
const rows: Row[] = [
  { name: 'b', size: 1 },
  { name: 'a', size: 3 },
  { name: 'c', size: 2 },
];

describe('table sorting', () => {
  it('sorts by the selected column in either direction, and keeps the given order otherwise', () => {
    expect(sortRows(rows, columns, 'name', 'asc').map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(sortRows(rows, columns, 'size', 'desc').map((r) => r.size)).toEqual([3, 2, 1]);
    expect(sortRows(rows, columns, 'actions', 'asc')).toBe(rows);
    expect(sortRows(rows, columns, null, 'asc')).toBe(rows);
    expect(rows.map((r) => r.name)).toEqual(['b', 'a', 'c']);
  });

  it('flips the direction on the same column, starts ascending on another, ignores unsortable ones', () => {
    expect(nextSort(columns[0]!, 'name', 'asc')).toEqual({ sortKey: 'name', sortDir: 'desc' });
    expect(nextSort(columns[1]!, 'name', 'desc')).toEqual({ sortKey: 'size', sortDir: 'asc' });
    expect(nextSort(columns[2]!, 'name', 'desc')).toEqual({ sortKey: 'name', sortDir: 'desc' });
  });

  it('tells screen readers the state of each header', () => {
    expect(ariaSort(columns[0]!, 'name', 'desc')).toBe('descending');
    expect(ariaSort(columns[1]!, 'name', 'desc')).toBe('none');
    expect(ariaSort(columns[2]!, 'name', 'desc')).toBeUndefined();
  });
});

/** Rows of a key/value editor (labels, driver options) and their API shape. */
export interface KeyValueRow {
  key: string;
  value: string;
}

/** Blank rows are dropped; `undefined` when nothing is left (the field is then omitted). */
export function rowsToRecord(rows: KeyValueRow[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const r of rows) {
    const k = r.key.trim();
    if (k) out[k] = r.value;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Keys given twice (the second would silently win). */
export function duplicateKeys(rows: KeyValueRow[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of rows) {
    const k = r.key.trim();
    if (!k) continue;
    if (seen.has(k)) dup.add(k);
    seen.add(k);
  }
  return [...dup];
}

export function recordEntries(rec: Record<string, string> | null | undefined): [string, string][] {
  return Object.entries(rec ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Names each cell of a table body after its column (data-label), and marks the primary, select
 * and actions cells, so the phone layout (app.css `.table-cards`) can show rows as labelled cards.
 * Rows come from the pages' snippets, so this is done on the rendered DOM, as rows appear.
 */
export interface CardColumns {
  /** Labels in cell order ('' for cells without a visible name). */
  labels: readonly string[];
  /** Index of the name cell, of the select cell (if any) and of the actions cell (if any). */
  primary: number;
  select: number | null;
  actions: number | null;
}

function label(row: HTMLTableRowElement, cols: CardColumns) {
  const cells = row.cells;
  for (let i = 0; i < cells.length; i++) {
    const td = cells[i]!;
    const name = cols.labels[i] ?? '';
    if (name && i !== cols.primary && i !== cols.actions && i !== cols.select) td.dataset.label = name;
    else delete td.dataset.label;
    td.toggleAttribute('data-primary', i === cols.primary);
    td.toggleAttribute('data-select', i === cols.select);
    td.toggleAttribute('data-actions', i === cols.actions);
  }
}

/** Svelte action on a <tbody>: labels the rows there now and every row added later. */
export function cardCells(body: HTMLTableSectionElement, initial: CardColumns) {
  let cols = initial;
  const all = () => body.querySelectorAll<HTMLTableRowElement>(':scope > tr[data-row]').forEach((r) => label(r, cols));
  all();
  const observer = new MutationObserver((records) => {
    for (const rec of records)
      for (const n of rec.addedNodes) if (n instanceof HTMLTableRowElement && n.hasAttribute('data-row')) label(n, cols);
  });
  observer.observe(body, { childList: true });
  return {
    update(next: CardColumns) {
      cols = next;
      all();
    },
    destroy() {
      observer.disconnect();
    },
  };
}

/** The card layout of a column list: labels, name cell and actions cell, shifted by a leading select cell. */
export function cardColumns(columns: ReadonlyArray<{ key: string; label: string; srOnly?: boolean }>, selectable: boolean): CardColumns {
  const shift = selectable ? 1 : 0;
  const actions = columns.findIndex((c) => c.key === 'actions');
  return {
    labels: [...(selectable ? [''] : []), ...columns.map((c) => (c.srOnly ? '' : c.label))],
    primary: shift,
    select: selectable ? 0 : null,
    actions: actions === -1 ? null : actions + shift,
  };
}

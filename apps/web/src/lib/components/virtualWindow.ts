/**
 * The windowing maths of a virtualised list: which rows to put in the DOM for a scroll position, and
 * how tall the empty space above and below them must be so the scrollbar stays true to the whole
 * list. Pure functions, so the arithmetic is tested apart from any DOM.
 */

export interface WindowInput {
  /** Rows in the whole (filtered, sorted) list. */
  count: number;
  /** Height of one row in px (fixed, or measured from the rendered rows). */
  rowHeight: number;
  /** How far the rows' container is scrolled, in px from the first row's top. */
  scrollTop: number;
  /** Visible height of the rows' container in px. */
  viewportHeight: number;
  /** Extra rows rendered above and below the visible ones, so fast scrolls and Tab do not meet blank space. */
  overscan: number;
}

export interface WindowRange {
  /** First row index to render (inclusive). */
  start: number;
  /** Last row index to render (exclusive). */
  end: number;
  /** Empty space before the first rendered row, px. */
  padTop: number;
  /** Empty space after the last rendered row, px. */
  padBottom: number;
}

/** The rows to render for a scroll position; every input is clamped, so odd values never break the list. */
export function visibleWindow(input: WindowInput): WindowRange {
  const count = Math.max(0, Math.floor(input.count));
  const h = input.rowHeight > 0 && Number.isFinite(input.rowHeight) ? input.rowHeight : 1;
  const overscan = Math.max(0, Math.floor(input.overscan));
  const viewport = Math.max(0, Number.isFinite(input.viewportHeight) ? input.viewportHeight : 0);
  // A scroll position past the end (the list just shrank) shows the last screenful, not nothing.
  const maxTop = Math.max(0, count * h - viewport);
  const top = Math.min(Math.max(0, Number.isFinite(input.scrollTop) ? input.scrollTop : 0), maxTop);
  const first = Math.floor(top / h);
  const last = Math.ceil((top + viewport) / h);
  const start = Math.max(0, Math.min(count, first - overscan));
  const end = Math.max(start, Math.min(count, last + overscan));
  return { start, end, padTop: start * h, padBottom: (count - end) * h };
}

/**
 * The row height to use after measuring the rendered rows: their mean, once it differs from the
 * current value by more than half a pixel (smaller changes would only make the list re-render).
 */
export function measuredRowHeight(current: number, heights: readonly number[]): number {
  const seen = heights.filter((x) => x > 0 && Number.isFinite(x));
  if (seen.length === 0) return current;
  const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
  return Math.abs(mean - current) > 0.5 ? mean : current;
}

/** The scroll position that brings row `index` fully into view (unchanged when it already is). */
export function scrollToReveal(index: number, rowHeight: number, scrollTop: number, viewportHeight: number): number {
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return scrollTop;
}

import { describe, expect, it } from 'vitest';
import { measuredRowHeight, scrollToReveal, visibleWindow } from './virtualWindow';

const base = { count: 10_000, rowHeight: 40, scrollTop: 0, viewportHeight: 400, overscan: 5 };

describe('the rows a virtualised list renders', () => {
  it('at the top: the visible rows plus overscan below, no space above', () => {
    expect(visibleWindow(base)).toEqual({ start: 0, end: 15, padTop: 0, padBottom: (10_000 - 15) * 40 });
  });

  it('in the middle: overscan on both sides, pads that add up to the whole list', () => {
    const w = visibleWindow({ ...base, scrollTop: 40 * 5000 + 20 });
    expect(w).toEqual({ start: 4995, end: 5016, padTop: 4995 * 40, padBottom: (10_000 - 5016) * 40 });
    expect(w.padTop + (w.end - w.start) * 40 + w.padBottom).toBe(10_000 * 40);
  });

  it('at the very end: the last screenful, nothing past the end', () => {
    const w = visibleWindow({ ...base, scrollTop: 10_000 * 40 - 400 });
    expect(w.end).toBe(10_000);
    expect(w.start).toBe(10_000 - 10 - 5);
    expect(w.padBottom).toBe(0);
  });

  it('a scroll position past the end (the list shrank) shows the last rows, not a blank', () => {
    const w = visibleWindow({ ...base, count: 30, scrollTop: 40 * 5000 });
    expect(w).toEqual({ start: 15, end: 30, padTop: 15 * 40, padBottom: 0 });
  });

  it('short and empty lists render whole', () => {
    expect(visibleWindow({ ...base, count: 3 })).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 });
    expect(visibleWindow({ ...base, count: 0 })).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it('clamps nonsense: negative scroll, zero or NaN height, negative overscan, no viewport yet', () => {
    expect(visibleWindow({ ...base, scrollTop: -500 }).start).toBe(0);
    expect(visibleWindow({ ...base, rowHeight: 0, viewportHeight: 10 })).toEqual({ start: 0, end: 15, padTop: 0, padBottom: 10_000 - 15 });
    expect(visibleWindow({ ...base, rowHeight: Number.NaN, viewportHeight: 10 }).end).toBe(15);
    expect(visibleWindow({ ...base, overscan: -3 })).toMatchObject({ start: 0, end: 10 });
    expect(visibleWindow({ ...base, viewportHeight: 0 })).toMatchObject({ start: 0, end: 5 });
  });

  it('renders a bounded number of rows whatever the list size', () => {
    for (const count of [100, 10_000, 1_000_000]) {
      const w = visibleWindow({ ...base, count, scrollTop: (count * 40) / 2 });
      expect(w.end - w.start).toBeLessThanOrEqual(10 + 2 * 5 + 1);
    }
  });
});

describe('row height and scrolling to a row', () => {
  it('takes the mean of measured rows, ignoring tiny differences and hidden rows', () => {
    expect(measuredRowHeight(40, [48, 48, 52])).toBeCloseTo(49.333, 2);
    expect(measuredRowHeight(40, [40.3, 40.2])).toBe(40);
    expect(measuredRowHeight(40, [0, 0])).toBe(40);
    expect(measuredRowHeight(40, [])).toBe(40);
  });

  it('scrolls only as far as needed to show a row', () => {
    expect(scrollToReveal(0, 40, 400, 400)).toBe(0);
    expect(scrollToReveal(20, 40, 0, 400)).toBe(21 * 40 - 400);
    expect(scrollToReveal(12, 40, 400, 400)).toBe(400);
  });
});

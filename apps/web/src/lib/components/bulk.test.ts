import { describe, expect, it } from 'vitest';
import { keepKeys, mapLimit, planBulk, runBulk, selectionState, setKeys, toggleKey } from './bulk';

describe('row selection', () => {
  it('toggles one key and selects or clears every shown key, leaving the others', () => {
    const a = toggleKey(new Set(), 'h/a');
    expect([...a]).toEqual(['h/a']);
    expect([...toggleKey(a, 'h/a')]).toEqual([]);
    const all = setKeys(new Set(['other']), ['h/a', 'h/b'], true);
    expect([...all].sort()).toEqual(['h/a', 'h/b', 'other']);
    expect([...setKeys(all, ['h/a', 'h/b'], false)]).toEqual(['other']);
  });

  it('says whether all, some or none of the shown rows are selected (the header checkbox)', () => {
    const sel = new Set(['h/a']);
    expect(selectionState(sel, [])).toBe('none');
    expect(selectionState(sel, ['h/b'])).toBe('none');
    expect(selectionState(sel, ['h/a', 'h/b'])).toBe('some');
    expect(selectionState(sel, ['h/a'])).toBe('all');
  });

  it('forgets rows that left the list, and keeps the same set when none did', () => {
    const sel = new Set(['h/a', 'h/b']);
    expect(keepKeys(sel, ['h/a', 'h/b', 'h/c'])).toBe(sel);
    expect([...keepKeys(sel, ['h/b'])]).toEqual(['h/b']);
  });
});

describe('bulk plans and runs', () => {
  const items = [
    { name: 'web', state: 'running' },
    { name: 'db', state: 'exited' },
    { name: 'cache', state: 'running' },
  ];
  const plan = planBulk(items, {
    key: (i) => `h/${i.name}`,
    label: (i) => i.name,
    refusal: (i) => (i.state === 'running' ? null : `it is ${i.state}`),
    command: (i) => `docker stop ${i.name}`,
  });

  it('lists each target with its exact command, and each skipped row with why', () => {
    expect(plan.targets.map((t) => [t.label, t.command])).toEqual([
      ['web', 'docker stop web'],
      ['cache', 'docker stop cache'],
    ]);
    expect(plan.skipped).toMatchObject([{ label: 'db', reason: 'it is exited' }]);
  });

  it('runs every target even when some fail, and says which failed and why, in target order', async () => {
    const seen: string[] = [];
    const results = await runBulk(
      plan.targets,
      async (t) => {
        await new Promise((r) => setTimeout(r, t.label === 'web' ? 20 : 1));
        if (t.label === 'web') throw new Error('409: "web" is paused');
      },
      { describe: (e) => (e as Error).message, onresult: (r) => seen.push(r.label), concurrency: 2 },
    );
    expect(results).toEqual([
      { key: 'h/web', label: 'web', ok: false, message: '409: "web" is paused' },
      { key: 'h/cache', label: 'cache', ok: true },
    ]);
    expect(seen).toEqual(['cache', 'web']);
  });

  it('never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(most).toBe(3);
  });
});

import type { Task } from '@mirador/contract';
import { describe, expect, test } from 'vitest';
import { fresher, upsertTask } from './tasks';

function task(id: string, status: Task['status'], progress: number | null = null): Task {
  return {
    id,
    type: 'selftest',
    status,
    progress,
    message: null,
    error: null,
    target: { type: null, id: null, name: null, hostId: null },
    user: null,
    cancellable: true,
    createdAt: `2024-01-01T00:00:0${id}.000Z`,
    startedAt: null,
    finishedAt: null,
  };
}

describe('task snapshots', () => {
  test('an older snapshot never replaces a newer one', () => {
    const running = task('1', 'running', 0.5);
    expect(fresher(running, task('1', 'queued'))).toBe(running);
    expect(fresher(running, task('1', 'running', 0.2))).toBe(running);
    const done = task('1', 'ok', 1);
    expect(fresher(running, done)).toBe(done);
    expect(fresher(done, task('1', 'running', 0.9))).toBe(done);
  });

  test('a known task is updated in place; a new one goes first only when it fits the filter', () => {
    const list = [task('1', 'running', 0.1), task('2', 'queued')];
    const updated = upsertTask(list, task('1', 'ok', 1), 'active');
    // Finished, yet still listed under "active" until the next read.
    expect(updated.map((x) => [x.id, x.status])).toEqual([
      ['1', 'ok'],
      ['2', 'queued'],
    ]);
    expect(upsertTask(list, task('3', 'running'), 'active').map((x) => x.id)).toEqual(['3', '1', '2']);
    expect(upsertTask(list, task('3', 'ok'), 'active')).toBe(list);
  });
});

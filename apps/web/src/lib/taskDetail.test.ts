import { describe, expect, test } from 'vitest';
import type { Task, TaskLogLine } from '@mirador/contract';
import { seedDetail, withLogLines, withTaskState } from './taskDetail';

const task = (over: Partial<Task> = {}): Task =>
  ({
    id: 't1',
    type: 'image.pull',
    status: 'running',
    progress: 0.2,
    message: null,
    error: null,
    cancellable: true,
    target: { type: null, id: null, name: null, hostId: null },
    user: null,
    createdAt: '2026-12-06T06:00:00.000Z',
    startedAt: '2026-12-06T06:00:00.000Z',
    finishedAt: null,
    ...over,
  }) as Task;
const line = (at: string, text: string): TaskLogLine => ({ at: `2026-12-06T06:00:0${at}.000Z`, level: 'info', line: text });

describe('task detail patches', () => {
  test('log lines are added once, in time order, however often a push is applied', () => {
    let d = seedDetail(task());
    d = withLogLines(d, [line('1', 'a'), line('3', 'c')]);
    d = withLogLines(d, [line('3', 'c')]);
    d = withLogLines(d, [line('2', 'b')]);
    expect(d.log.map((l) => l.line)).toEqual(['a', 'b', 'c']);
    // Nothing new: the same object comes back (no needless re-render).
    expect(withLogLines(d, [line('1', 'a')])).toBe(d);
  });

  test('a state push never takes a finished task back to running, and keeps the log', () => {
    let d = withLogLines(seedDetail(task()), [line('1', 'a')]);
    d = withTaskState(d, task({ status: 'ok', progress: 1 }));
    d = withTaskState(d, task({ status: 'running', progress: 0.5 }));
    expect(d.status).toBe('ok');
    expect(d.log).toHaveLength(1);
  });
});

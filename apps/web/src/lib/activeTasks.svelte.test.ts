/** The header's task list is fed from effects (task panels mirror what they show); that must not loop. */
import { flushSync } from 'svelte';
import { expect, test } from 'vitest';
import type { Task } from '@mirador/contract';
import { activeTasks } from './activeTasks.svelte';

const task = (status: Task['status'], progress: number): Task =>
  ({
    id: 'task-loop-1',
    type: 'vm.create',
    status,
    progress,
    message: null,
    target: { type: 'vm', id: 'demo', name: 'demo', hostId: 'h1' },
    createdAt: '2026-12-06T08:00:00.000Z',
    startedAt: '2026-12-06T08:00:00.000Z',
    finishedAt: null,
    updatedAt: `2026-12-06T08:00:0${progress}.000Z`,
  }) as unknown as Task;

test('an effect that upserts the task it shows runs once per change, not until Svelte gives up', () => {
  let current = $state(task('running', 1));
  let runs = 0;
  const stop = $effect.root(() => {
    $effect(() => {
      runs++;
      activeTasks.upsert({ ...current });
    });
  });
  flushSync();
  current = task('running', 2);
  flushSync();
  expect(runs).toBe(2);
  expect(activeTasks.byId['task-loop-1']).toBeTruthy();
  current = task('ok', 3);
  flushSync();
  expect(activeTasks.byId['task-loop-1']).toBeUndefined();
  stop();
});

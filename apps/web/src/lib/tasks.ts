import type { Task, TaskStatus } from '@mirador/contract';
import { t, tDyn } from '$lib/i18n/index.svelte';

export const TASK_FILTERS = ['all', 'active', 'queued', 'running', 'ok', 'error', 'cancelled'] as const;
export type TaskFilter = (typeof TASK_FILTERS)[number];

export function taskTypeLabel(type: string): string {
  return tDyn(`taskType.${type}`, type);
}

export function taskTarget(task: Task): string {
  const tg = task.target;
  if (!tg.type && !tg.name && !tg.id) return '—';
  const what = tg.type ? tDyn(`targetType.${tg.type}`, tg.type) : '';
  return [what, tg.name ?? tg.id].filter(Boolean).join(' ');
}

export function matchesFilter(task: Task, filter: TaskFilter): boolean {
  if (filter === 'all') return true;
  if (filter === 'active') return task.status === 'queued' || task.status === 'running';
  return task.status === filter;
}

export function progressTone(status: TaskStatus): 'blue' | 'green' | 'red' | 'gray' {
  return status === 'ok' ? 'green' : status === 'error' ? 'red' : status === 'cancelled' ? 'gray' : 'blue';
}

export function filterLabel(f: TaskFilter): string {
  return f === 'all' ? t('tasks.filter.all') : f === 'active' ? t('tasks.filter.active') : tDyn(`status.${f}`, f);
}

const RANK: Record<TaskStatus, number> = { queued: 0, running: 1, ok: 2, error: 2, cancelled: 2 };

/**
 * Of two snapshots of the same task, the more recent one. Websocket pushes can overtake the
 * HTTP answer that started (or fetched) a task, so a stale snapshot must never replace a newer one.
 */
export function fresher<T extends Task>(current: T, incoming: T): T {
  const a = RANK[current.status];
  const b = RANK[incoming.status];
  if (a !== b) return b > a ? incoming : current;
  if (a === 1 && current.progress !== null && incoming.progress !== null && incoming.progress < current.progress) {
    return current;
  }
  return incoming;
}

/**
 * A task list after a new snapshot of one task: a known task is replaced by the fresher copy (a task
 * that finished stays listed under "active" until the next read, so it doesn't vanish mid-glance);
 * an unknown one goes first when it belongs under the filter.
 */
export function upsertTask<T extends Task>(list: T[], task: T, filter: TaskFilter): T[] {
  const i = list.findIndex((x) => x.id === task.id);
  if (i >= 0) return list.map((x, j) => (j === i ? fresher(x, task) : x));
  return matchesFilter(task, filter) ? [task, ...list] : list;
}

/**
 * One task with its log, kept current from `task:<id>` pushes: the single way the task page and the
 * progress panels of dialogs follow a task (with `LiveResource`). Every patch here is idempotent — a
 * push that arrived during a read is applied again to that read's answer (see LiveResource).
 */
import type { LayerProgress, Task, TaskLogLine } from '@mirador/contract';
import { topics } from '@mirador/contract';
import type { ApiData } from '$lib/api';
import type { Follow } from '$lib/live/liveResource.svelte';
import { realtime } from '$lib/realtime.svelte';
import { fresher } from '$lib/tasks';

export type TaskDetail = ApiData<'get', '/api/tasks/{id}'>;

const lineKey = (l: TaskLogLine) => `${l.at}|${l.level}|${l.line}`;

/** The detail with a newer snapshot of the task's state (never an older one), its log kept. */
export function withTaskState(detail: TaskDetail, task: Task): TaskDetail {
  return { ...fresher(detail, { ...detail, ...task }), log: detail.log };
}

/** The detail with the log lines it does not have yet, in time order (pushes can overtake a read). */
export function withLogLines(detail: TaskDetail, lines: readonly TaskLogLine[]): TaskDetail {
  const seen = new Set(detail.log.map(lineKey));
  const fresh = lines.filter((l) => !seen.has(lineKey(l)));
  if (!fresh.length) return detail;
  const last = detail.log.at(-1);
  const inOrder = !last || fresh.every((l) => l.at >= last.at);
  // The sort is stable: lines of the same instant keep the order they came in.
  const log = inOrder ? [...detail.log, ...fresh] : [...detail.log, ...fresh].sort((a, b) => a.at.localeCompare(b.at));
  return { ...detail, log };
}

/** A task as a dialog holds it right after starting it, before its detail was read. */
export function seedDetail(task: Task): TaskDetail {
  return { ...task, log: [] };
}

/** Follows `task:<id>`: state and log lines patched in; layer progress (pull/push) handed to `onLayers`. */
export function followTask(onLayers?: (layers: LayerProgress[]) => void): Follow<string, TaskDetail> {
  return (taskId, ctx) =>
    realtime.subscribe(
      topics.task(taskId),
      (msg) => {
        if (msg.type === 'task.updated' && msg.task.id === taskId) ctx.patch((d) => withTaskState(d, msg.task));
        else if (msg.type === 'task.log' && msg.taskId === taskId) ctx.patch((d) => withLogLines(d, [msg.line]));
        else if (msg.type === 'task.layers' && msg.taskId === taskId) onLayers?.(msg.layers);
      },
      // After a reconnect the task may have moved on: read it again.
      () => ctx.reread(),
    );
}

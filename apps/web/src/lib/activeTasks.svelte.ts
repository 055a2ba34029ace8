/**
 * Running/queued tasks for the header indicator and the dashboard, kept live over the shared websocket.
 */
import { untrack } from 'svelte';
import type { ServerMessage, Task } from '@mirador/contract';
import { topics } from '@mirador/contract';
import { api } from '$lib/api';
import { realtime } from '$lib/realtime.svelte';
import { fresher } from '$lib/tasks';

export function isActive(task: Pick<Task, 'status'>): boolean {
  return task.status === 'queued' || task.status === 'running';
}

class ActiveTasks {
  byId = $state<Record<string, Task>>({});
  loaded = $state(false);
  #unsubscribe: (() => void) | null = null;
  /** Tasks known to have finished: a late (stale) snapshot must not bring them back. */
  #finished = new Set<string>();

  get list(): Task[] {
    return Object.values(this.byId).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get count(): number {
    return Object.keys(this.byId).length;
  }

  start() {
    if (this.#unsubscribe) return;
    this.#unsubscribe = realtime.subscribe(
      topics.tasks,
      (msg) => this.#onMessage(msg),
      () => void this.refresh(),
    );
    void this.refresh();
  }

  stop() {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.byId = {};
    this.#finished.clear();
    this.loaded = false;
  }

  /** Record a task we learned about from an API answer (e.g. the self-test we just started). */
  upsert(task: Task) {
    // Callers upsert from effects (a task panel mirrors what it shows): reading byId there would make
    // the effect depend on what it writes and re-run itself until Svelte gives up (effect_update_depth_exceeded).
    untrack(() => {
      if (!isActive(task)) {
        this.#finished.add(task.id);
        delete this.byId[task.id];
        return;
      }
      if (this.#finished.has(task.id)) return;
      const known = this.byId[task.id];
      this.byId[task.id] = known ? fresher(known, task) : task;
    });
  }

  async refresh() {
    try {
      const tasks = await api.GET('/api/tasks', { params: { query: { status: 'active', limit: 200 } } });
      const next: Record<string, Task> = {};
      for (const t of tasks) if (isActive(t) && !this.#finished.has(t.id)) next[t.id] = t;
      this.byId = next;
      this.loaded = true;
    } catch {
      /* the indicator is best effort; pages show their own errors */
    }
  }

  #onMessage(msg: ServerMessage) {
    if (msg.type === 'task.updated') this.upsert(msg.task);
  }
}

export const activeTasks = new ActiveTasks();

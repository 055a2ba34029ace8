/**
 * The server task a dialog started (pull, push, build) and now follows with `TaskProgress`.
 * It also goes into the header's task indicator, so closing the dialog does not lose it.
 */
import type { Task } from '@mirador/contract';
import { activeTasks } from '$lib/activeTasks.svelte';

export class FollowedTask {
  task = $state<Task | null>(null);
  /** Set by `TaskProgress`'s `onfinish`. */
  finished = $state<Task | null>(null);

  start(started: Task): void {
    activeTasks.upsert(started);
    this.task = started;
  }

  reset(): void {
    this.task = this.finished = null;
  }
}

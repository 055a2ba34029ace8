/**
 * The actions of a libvirt list (networks, pools, volumes): each answers with the virsh lines it ran,
 * which the page shows under the list, and the list is read again (no realtime topic carries these
 * changes). One row is busy at a time; a failure is a toast.
 */
import { toasts } from '$lib/toasts.svelte';

export class VirtActions {
  /** The virsh lines of the last action. */
  commands = $state<string[]>([]);
  /** The row whose action is under way. */
  busy = $state<string | null>(null);
  readonly #reload: () => void;

  constructor(reload: () => void) {
    this.#reload = reload;
  }

  /** An action (or a dialog) answered: show its lines, re-read the list. An arrow, to hand to `oncreated`. */
  readonly ran = (commands: string[]): void => {
    this.commands = commands;
    this.#reload();
  };

  async run(row: string, call: () => Promise<{ commands: string[] }>): Promise<void> {
    this.busy = row;
    try {
      this.ran((await call()).commands);
    } catch (err) {
      toasts.error(err);
    } finally {
      this.busy = null;
    }
  }
}

/**
 * The selected rows of one list, by key. Immutable sets replace each other, so every reader
 * (header checkbox, row checkboxes, the bulk bar) re-renders on change.
 */
import { keepKeys, selectionState, setKeys, toggleKey, type SelectionState } from './bulk';

export class Selection {
  keys = $state<ReadonlySet<string>>(new Set());

  get size(): number {
    return this.keys.size;
  }
  has(key: string): boolean {
    return this.keys.has(key);
  }
  toggle(key: string) {
    this.keys = toggleKey(this.keys, key);
  }
  setAll(keys: Iterable<string>, on: boolean) {
    this.keys = setKeys(this.keys, keys, on);
  }
  stateOf(keys: readonly string[]): SelectionState {
    return selectionState(this.keys, keys);
  }
  /** Forget rows that left the list (removed, filtered away). */
  keep(present: Iterable<string>) {
    const next = keepKeys(this.keys, present);
    if (next !== this.keys) this.keys = next;
  }
  clear() {
    if (this.keys.size) this.keys = new Set();
  }
}

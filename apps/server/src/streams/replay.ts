/** What a session keeps of its output so a late joiner starts with the recent past. */
export interface Replay<C> {
  push(chunk: C): void;
  /** What a joiner is sent, oldest first. */
  chunks(): C[];
  /**
   * False once the buffer had to drop something a joiner would expect to get (a log viewer asking
   * for the last 500 lines must get 500): the session then takes no new joiners.
   */
  readonly complete: boolean;
}

/**
 * Terminal scrollback: the last `maxChars` characters of output, sent as one chunk. A joiner of a
 * terminal expects the screen's recent past, not all of it, so it is always complete.
 */
export function textReplay(maxChars: number): Replay<string> {
  let text = '';
  return {
    push(chunk) {
      text = (text + chunk).slice(-maxChars);
    },
    chunks: () => (text ? [text] : []),
    complete: true,
  };
}

/**
 * The last `maxItems` items (log lines), as long as they fit in `maxBytes`; `size` measures one.
 * Dropping the oldest beyond `maxItems` is what a new stream with the same tail would do too, so
 * only the byte cap makes it incomplete.
 */
export function itemReplay<C>(maxItems: number, maxBytes: number, size: (item: C) => number): Replay<C> {
  const items: C[] = [];
  let bytes = 0;
  let complete = true;
  return {
    push(item) {
      if (maxItems === 0) return;
      items.push(item);
      bytes += size(item);
      while (items.length > maxItems || (bytes > maxBytes && items.length > 0)) {
        if (items.length <= maxItems) complete = false;
        bytes -= size(items.shift()!);
      }
    },
    chunks: () => [...items],
    get complete() {
      return complete;
    },
  };
}

/**
 * A tiny POSIX-shell-like word splitter for the "command" and "entrypoint" boxes: people paste
 * `sh -c "while true; do echo hi; sleep 1; done"` and expect three words, not eight.
 * Supported: whitespace separation, '…' (literal), "…" (with \" \\ \$ \` escapes), and a backslash
 * escaping the next character outside quotes. No expansion of any kind ($VAR, globs, ~) — the
 * engine receives the words verbatim, exactly like the exec form (`["sh", "-c", "…"]`) of a Dockerfile.
 */

export type SplitResult = { ok: true; argv: string[] } | { ok: false; error: 'unclosedSingle' | 'unclosedDouble' | 'trailingBackslash' };

export function splitArgs(input: string): SplitResult {
  const argv: string[] = [];
  let word = '';
  /** A word exists once anything (even an empty '' pair) was seen since the last separator. */
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end === -1) return { ok: false, error: 'unclosedSingle' };
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < input.length) {
        const d = input[i];
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        const next = input[i + 1]; // undefined at the end of the input
        if (d === '\\' && next !== undefined && '"\\$`\n'.includes(next)) {
          // Inside double quotes a backslash only escapes these (as in sh); "\n" is a line continuation.
          if (next !== '\n') word += next;
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      if (!closed) return { ok: false, error: 'unclosedDouble' };
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= input.length) return { ok: false, error: 'trailingBackslash' };
      if (input[i + 1] !== '\n') {
        word += input[i + 1];
        inWord = true;
      }
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) argv.push(word);
  return { ok: true, argv };
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word so `splitArgs` (and sh) read it back unchanged. */
export function quoteArg(word: string): string {
  if (word === '') return "''";
  if (SAFE_WORD.test(word)) return word;
  // Prefer double quotes when they need no escaping (reads better: sh -c "echo hi; sleep 1").
  if (!/["\\$`]/.test(word)) return `"${word}"`;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The inverse of `splitArgs`, to pre-fill the boxes from saved settings. */
export function joinArgs(argv: readonly string[] | undefined | null): string {
  return (argv ?? []).map(quoteArg).join(' ');
}

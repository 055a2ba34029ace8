/**
 * A unified diff (`diff -u` style) of two small texts, for the audit record of an XML edit.
 * Edits are local, so the common head and tail are cut first and only the middle is compared
 * (longest common subsequence); a middle too large to compare is shown as replaced whole.
 */

const CONTEXT = 3;
/** Cells of the LCS table above which the middle is shown as one replacement. */
const MAX_CELLS = 4_000_000;
/** The audit keeps at most this much of a diff. */
export const DIFF_MAX_CHARS = 64 * 1024;

type Op = { kind: ' ' | '-' | '+'; line: string };

function middleOps(a: string[], b: string[]): Op[] {
  if (a.length * b.length > MAX_CELLS)
    return [...a.map((line) => ({ kind: '-' as const, line })), ...b.map((line) => ({ kind: '+' as const, line }))];
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) ops.push({ kind: '-', line: a[i++]! });
    else ops.push({ kind: '+', line: b[j++]! });
  }
  while (i < a.length) ops.push({ kind: '-', line: a[i++]! });
  while (j < b.length) ops.push({ kind: '+', line: b[j++]! });
  return ops;
}

function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `--- a`/`+++ b` headers and @@ hunks; '' when the texts are equal. Capped at DIFF_MAX_CHARS. */
export function unifiedDiff(before: string, after: string, labels: { a: string; b: string }): string {
  const a = linesOf(before);
  const b = linesOf(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  if (head === a.length && head === b.length) return '';
  const ops: Op[] = [
    ...a.slice(0, head).map((line) => ({ kind: ' ' as const, line })),
    ...middleOps(a.slice(head, a.length - tail), b.slice(head, b.length - tail)),
    ...a.slice(a.length - tail).map((line) => ({ kind: ' ' as const, line })),
  ];
  // Line numbers of each op in a and b.
  const at: Array<{ ai: number; bi: number }> = [];
  let ai = 1;
  let bi = 1;
  for (const op of ops) {
    at.push({ ai, bi });
    if (op.kind !== '+') ai++;
    if (op.kind !== '-') bi++;
  }
  const out = [`--- ${labels.a}`, `+++ ${labels.b}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - CONTEXT);
    // One hunk runs on while the next change is within two contexts of the last one.
    let last = k;
    for (let j = k; j < ops.length && j - last <= 2 * CONTEXT; j++) if (ops[j]!.kind !== ' ') last = j;
    const end = Math.min(last + CONTEXT + 1, ops.length);
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    const aStart = aCount ? at[start]!.ai : at[start]!.ai - 1;
    const bStart = bCount ? at[start]!.bi : at[start]!.bi - 1;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`, ...hunk.map((o) => `${o.kind}${o.line}`));
    k = end;
  }
  const text = `${out.join('\n')}\n`;
  return text.length > DIFF_MAX_CHARS ? `${text.slice(0, DIFF_MAX_CHARS)}\n… (diff cut at ${DIFF_MAX_CHARS / 1024} KiB)\n` : text;
}

/** Secrets never enter a diff: a passwd typed into the editor is shown as changed, not as its value. */
export function withoutSecrets(xml: string): string {
  return xml.replace(/\b(passwd|password)\s*=\s*(["'])[^"']*\2/gi, '$1=$2***$2');
}

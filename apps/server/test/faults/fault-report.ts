import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Every fault the fault-injection suite injects is reported with two figures — how long until the
 * API told the truth about it (time-to-truth) and how long until everything worked again by itself
 * once the fault ended (time-to-recovery) — so a run ends with a table, not only a green tick.
 * One JSON line per fault in test-results/faults.jsonl; scripts/test-summary.mjs prints the table.
 */
const FILE = resolve(import.meta.dirname, '../../../../test-results/faults.jsonl');

export interface FaultFigures {
  /** Short name, e.g. "sshd killed for 30 s". */
  fault: string;
  /** What the API said once it knew (e.g. "host offline: connection refused"). */
  truth: string;
  /** ms from injecting the fault until the API said `truth`; null when not applicable. */
  truthMs: number | null;
  /** ms from ending the fault until everything answered normally again; null when not applicable. */
  recoveryMs: number | null;
  /** What was checked afterwards (no task running, nothing left on the host, integrity_check, audit chain…). */
  checked: string[];
}

export function reportFault(f: FaultFigures): void {
  mkdirSync(dirname(FILE), { recursive: true });
  appendFileSync(FILE, JSON.stringify({ ...f, at: new Date().toISOString() }) + '\n');
}

/** Polls `probe` every `everyMs` until it returns a non-null value; resolves with it and the ms it took. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  opts: { timeoutMs: number; everyMs?: number },
): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return { value, ms: Date.now() - start };
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > opts.timeoutMs) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 250));
  }
}

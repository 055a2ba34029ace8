import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Every attack the security suite tries is tallied, so the run ends with figures (attempts, refused,
 * anything that got through) rather than only a green tick. One JSON line per attempt, appended to
 * test-results/security-attempts.jsonl; scripts/test-summary.mjs prints the totals.
 */
const FILE = resolve(import.meta.dirname, '../../../../test-results/security-attempts.jsonl');

export type Outcome = 'refused' | 'got-through';

export function recordAttempt(area: string, attempt: string, outcome: Outcome): void {
  mkdirSync(dirname(FILE), { recursive: true });
  appendFileSync(FILE, JSON.stringify({ area, attempt, outcome, at: new Date().toISOString() }) + '\n');
}

/** Records the attempt as refused when `refused` is true, and returns it (for expect()). */
export function tally(area: string, attempt: string, refused: boolean): boolean {
  recordAttempt(area, attempt, refused ? 'refused' : 'got-through');
  return refused;
}

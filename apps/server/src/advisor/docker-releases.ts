/**
 * When each Docker Engine release line first shipped (the `.0` of the line, from Docker's release
 * notes). Embedded rather than fetched: Mirador runs in labs without Internet access and must not
 * call out to answer a page, so "how old is this engine" is judged against this table. An engine
 * newer than the newest line here counts as current; the table only needs a new row now and then
 * to keep flagging the lines Docker stopped patching.
 *
 * Docker patches only its newest release line (each new minor ends the previous one's fixes), so
 * what matters is not how old the engine's line is but how long ago a newer one replaced it.
 */
export const DOCKER_RELEASE_LINES: ReadonlyArray<{ line: string; released: string }> = [
  { line: '18.09', released: '2018-11-08' },
  { line: '19.03', released: '2019-07-22' },
  { line: '20.10', released: '2020-12-08' },
  { line: '23.0', released: '2023-02-01' },
  { line: '24.0', released: '2023-05-16' },
  { line: '25.0', released: '2024-01-19' },
  { line: '26.0', released: '2024-03-20' },
  { line: '26.1', released: '2024-04-22' },
  { line: '27.0', released: '2024-06-24' },
  { line: '27.1', released: '2024-07-22' },
  { line: '27.2', released: '2024-08-27' },
  { line: '27.3', released: '2024-09-19' },
  { line: '27.4', released: '2024-12-16' },
  { line: '27.5', released: '2025-01-13' },
  { line: '28.0', released: '2025-02-19' },
  { line: '28.1', released: '2025-04-17' },
  { line: '28.2', released: '2025-05-28' },
  { line: '28.3', released: '2025-06-24' },
  { line: '28.4', released: '2025-09-03' },
  { line: '28.5', released: '2025-10-02' },
  { line: '29.0', released: '2025-11-10' },
];

export interface ReleaseAge {
  /** `20.10` for `20.10.24+dfsg1`. */
  line: string;
  /** When the engine's own line shipped, if the table has it. */
  released: string | null;
  /** The first newer line and when it shipped (null: the engine is on the newest line the table knows). */
  supersededBy: { line: string; released: string } | null;
  /** Days since the newer line shipped (0 when not superseded). */
  daysSuperseded: number;
}

function parseLine(s: string): [number, number] | null {
  const m = /^v?(\d+)\.(\d+)/.exec(s.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

const newer = (a: [number, number], b: [number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/** How far behind `version` (the engine's `ServerVersion`) is; null when it cannot be read. */
export function releaseAge(version: string, now: Date): ReleaseAge | null {
  const own = parseLine(version);
  if (!own) return null;
  const line = `${own[0]}.${own[1]}`;
  const entry = DOCKER_RELEASE_LINES.find((r) => {
    const l = parseLine(r.line);
    return l !== null && l[0] === own[0] && l[1] === own[1];
  });
  const successor = DOCKER_RELEASE_LINES.find((r) => {
    const l = parseLine(r.line);
    return l !== null && newer(l, own);
  });
  const days = successor ? Math.max(0, Math.floor((now.getTime() - Date.parse(`${successor.released}T00:00:00Z`)) / 86_400_000)) : 0;
  return { line, released: entry?.released ?? null, supersededBy: successor ?? null, daysSuperseded: days };
}

import type { ContainerSummary } from '@mirador/contract';

/** What the status text is made of: the facts, not the engine's frozen words. */
export type StatusFacts = Pick<ContainerSummary, 'state' | 'status' | 'health' | 'startedAt'> &
  Partial<Pick<ContainerSummary, 'finishedAt' | 'exitCode'>>;

/** The words of the status text, in the reader's language (keys of `containers.status.*`). */
export interface StatusWords {
  up(duration: string): string;
  exited(code: number, ago: string): string;
  restarting(code: number, ago: string): string;
  paused: string;
  created: string;
  dead: string;
  removing: string;
  health: Record<'healthy' | 'unhealthy' | 'starting', string>;
  lessThanSecond: string;
  aboutMinute: string;
  aboutHour: string;
  /** `5 minutes` / `5 minutos` */
  count(n: number, unit: 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year'): string;
}

/** Docker's own rounding (go-units HumanDuration), so the text reads like `docker ps`. */
export function humanDuration(ms: number, w: StatusWords): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return w.lessThanSecond;
  if (s < 60) return w.count(s, 'second');
  const m = Math.floor(s / 60);
  if (m === 1) return w.aboutMinute;
  if (m < 60) return w.count(m, 'minute');
  const h = Math.round(s / 3600);
  if (h === 1) return w.aboutHour;
  if (h < 48) return w.count(h, 'hour');
  if (h < 24 * 7 * 2) return w.count(Math.floor(h / 24), 'day');
  if (h < 24 * 30 * 2) return w.count(Math.floor(h / 24 / 7), 'week');
  if (h < 24 * 365 * 2) return w.count(Math.floor(h / 24 / 30), 'month');
  return w.count(Math.floor(h / 24 / 365), 'year');
}

const since = (iso: string | null | undefined, now: number) => {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? null : Math.max(0, now - t);
};

/**
 * The status line as of `now`: `Up 5 minutes (healthy)`, `Exited (0) 2 hours ago`. When the time
 * it needs is not known yet, the engine's own words (as of the last event) are shown instead.
 */
export function containerStatusText(c: StatusFacts, now: number, w: StatusWords): string {
  const health = c.health ? ` (${w.health[c.health]})` : '';
  switch (c.state) {
    case 'running':
    case 'paused': {
      const up = since(c.startedAt, now);
      if (up === null) return c.status;
      return `${w.up(humanDuration(up, w))}${c.state === 'paused' ? ` (${w.paused})` : health}`;
    }
    case 'exited':
    case 'restarting': {
      const ago = since(c.finishedAt, now);
      if (ago === null || c.exitCode === null || c.exitCode === undefined) return c.status;
      const text = humanDuration(ago, w);
      return c.state === 'exited' ? w.exited(c.exitCode, text) : w.restarting(c.exitCode, text);
    }
    case 'created':
      return w.created;
    case 'dead':
      return w.dead;
    case 'removing':
      return w.removing;
  }
}

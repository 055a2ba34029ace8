/**
 * Refusals of callers without a session are audited, but one client must not be able to fill the
 * disk (and the keyed chain) with them: past a budget per address and minute, refusals are counted
 * instead of written one by one, and the count is written as one record (`audit.suppressed`) — so
 * nothing is silently lost, only folded.
 */
export interface RefusalThrottle {
  /** Whether this refusal gets its own record; `folded` is what was counted since the last one. */
  admit(ip: string, now?: number): { write: boolean; folded: { count: number; since: number } | null };
  /** Counts whose minute is over (for the periodic flush), removed from the throttle. */
  drain(now?: number): Array<{ ip: string; count: number; since: number }>;
}

export function createRefusalThrottle(opts: { perMinute: number; maxAddresses?: number }): RefusalThrottle {
  const windows = new Map<string, { start: number; written: number; folded: number; foldedSince: number }>();
  const maxAddresses = opts.maxAddresses ?? 10_000;
  return {
    admit(ip, now = Date.now()) {
      let w = windows.get(ip);
      if (!w || now - w.start >= 60_000) {
        const folded = w && w.folded > 0 ? { count: w.folded, since: w.foldedSince } : null;
        w = { start: now, written: 0, folded: 0, foldedSince: 0 };
        windows.delete(ip);
        windows.set(ip, w);
        if (windows.size > maxAddresses) windows.delete(windows.keys().next().value!);
        w.written++;
        return { write: true, folded };
      }
      if (w.written < opts.perMinute) {
        w.written++;
        return { write: true, folded: null };
      }
      if (w.folded === 0) w.foldedSince = now;
      w.folded++;
      return { write: false, folded: null };
    },
    drain(now = Date.now()) {
      const out: Array<{ ip: string; count: number; since: number }> = [];
      for (const [ip, w] of windows) {
        if (now - w.start < 60_000) continue;
        if (w.folded > 0) out.push({ ip, count: w.folded, since: w.foldedSince });
        windows.delete(ip);
      }
      return out;
    },
  };
}

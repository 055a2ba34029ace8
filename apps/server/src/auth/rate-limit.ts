/**
 * Counts failed logins per key in a sliding window. In memory on purpose: it resets on
 * restart, which is acceptable for a single-process lab tool and never locks users out for good.
 */
export interface FailureLimiter {
  /** Seconds until another attempt is allowed, or 0 when allowed now. */
  retryAfter(key: string, now?: number): number;
  fail(key: string, now?: number): void;
  reset(key: string): void;
}

export function createFailureLimiter(opts: { max: number; windowMs: number }): FailureLimiter {
  const hits = new Map<string, number[]>();
  const prune = (key: string, now: number) => {
    const list = (hits.get(key) ?? []).filter((t) => now - t < opts.windowMs);
    if (list.length) hits.set(key, list);
    else hits.delete(key);
    return list;
  };
  return {
    retryAfter(key, now = Date.now()) {
      const list = prune(key, now);
      if (list.length < opts.max) return 0;
      return Math.max(1, Math.ceil((list[0]! + opts.windowMs - now) / 1000));
    },
    fail(key, now = Date.now()) {
      const list = prune(key, now);
      list.push(now);
      hits.set(key, list);
      if (hits.size > 10_000) hits.delete(hits.keys().next().value!); // bound memory under a spray attack
    },
    reset(key) {
      hits.delete(key);
    },
  };
}

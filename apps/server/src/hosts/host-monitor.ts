import type { HostsService } from './hosts.service.js';
import { readyForBackground } from './host-trust.js';

/**
 * Re-tests every host now and then so the inventory's status reflects reality even when
 * nobody clicks "Test". Runs a few hosts at a time and never overlaps with itself.
 */
export function startHostMonitor(deps: {
  hosts: HostsService;
  intervalMs: number;
  log: { warn(obj: unknown, msg: string): void };
  concurrency?: number;
}): { stop(): void; runOnce(): Promise<void> } {
  let running: Promise<void> | null = null;
  let stopped = false;

  async function runOnce() {
    const all = (await deps.hosts.list()).filter((h) => readyForBackground(h) && (h.hasSecret || h.kind === 'local'));
    const queue = [...all];
    const worker = async () => {
      for (let h = queue.shift(); h && !stopped; h = queue.shift()) {
        try {
          await deps.hosts.test(h.id);
        } catch (err) {
          deps.log.warn({ err, host: h.name }, 'background host check failed');
        }
      }
    };
    await Promise.all(Array.from({ length: deps.concurrency ?? 4 }, worker));
  }

  const tick = () => {
    if (running || stopped) return;
    running = runOnce().finally(() => (running = null));
  };
  const first = setTimeout(tick, 2000);
  const timer = setInterval(tick, deps.intervalMs);
  first.unref();
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
    },
    runOnce,
  };
}

// Preloaded into the server by the memory benchmark (node --import): on SIGUSR2, collects garbage and
// writes the process's memory figures to $MIRADOR_BENCH_MEMORY_FILE. Nothing else: the figures are the
// real server's, the preload's own cost is a few kilobytes. Not part of the server.
import { writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

const file = process.env.MIRADOR_BENCH_MEMORY_FILE;
if (file) {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  process.on('SIGUSR2', () => {
    const before = rssKiB();
    gc();
    gc();
    setTimeout(() => {
      const m = process.memoryUsage();
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
      writeFileSync(file, JSON.stringify({ rssBeforeGcKiB: before, rssAfterGcKiB: rssKiB(), ...m, spaces }));
    }, 500);
  });
}

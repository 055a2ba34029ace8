import { execFileSync } from 'node:child_process';

/**
 * docker against the lab's local engine directly (not through Mirador): for setup checks and cleanup
 * only. Returns '' when the command fails — cleanup must not fail a spec that already failed.
 */
export function localDocker(...args: string[]): string {
  try {
    return execFileSync('docker', args, {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' },
    });
  } catch {
    return '';
  }
}

/** Removes every container whose name starts with `prefix` (this run's or a crashed earlier run's). */
export function removeContainersNamed(prefix: string): void {
  const leftovers = localDocker('ps', '-a', '--filter', `name=${prefix}`, '--format', '{{.Names}}')
    .split('\n')
    .map((s) => s.trim())
    .filter((n) => n.startsWith(prefix));
  for (const name of leftovers) localDocker('rm', '-f', name);
}

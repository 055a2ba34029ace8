import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';

/** The lab's engine is always the local system daemon (scripts/lab.sh), whatever the caller's DOCKER_HOST says. */
const LOCAL_ENGINE = 'unix:///var/run/docker.sock';

export interface DockerOptions {
  /** A client config directory (`docker --config`), e.g. one holding a throwaway registry login. */
  config?: string;
  /** Fed to the command's stdin (a Dockerfile for `build -`, a password for `login --password-stdin`). */
  input?: string;
  /** Milliseconds; the default is long enough for a push or pull of the lab's small images. */
  timeoutMs?: number;
}

/**
 * docker against the lab's local engine directly (not through Mirador), for setup and for checking what
 * Mirador did. Throws when the command fails; returns its output trimmed.
 */
export function docker(args: string[], { config, input, timeoutMs = 120_000 }: DockerOptions = {}): string {
  return execFileSync('docker', config ? ['--config', config, ...args] : args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, DOCKER_HOST: LOCAL_ENGINE },
  }).trim();
}

/**
 * The same, but returns '' when the command fails: for cleanup (it must not fail a spec that already
 * failed) and for checks that expect nothing back.
 */
export function localDocker(...args: string[]): string {
  try {
    return docker(args, { timeoutMs: 60_000 });
  } catch {
    return '';
  }
}

type DockerObject = 'container' | 'network' | 'volume';
const LIST: Record<DockerObject, string[]> = {
  container: ['ps', '-a', '--format', '{{.Names}}'],
  network: ['network', 'ls', '--format', '{{.Name}}'],
  volume: ['volume', 'ls', '--format', '{{.Name}}'],
};
const REMOVE: Record<DockerObject, string[]> = { container: ['rm', '-f'], network: ['network', 'rm'], volume: ['volume', 'rm', '-f'] };

/**
 * Removes every object of these kinds whose name starts with `prefix` (this run's or a crashed earlier
 * run's), in the order given: containers before the networks and volumes they use.
 */
export function removeDockerObjectsNamed(prefix: string, kinds: DockerObject[]): void {
  for (const kind of kinds) {
    const leftovers = localDocker(...LIST[kind], '--filter', `name=${prefix}`)
      .split('\n')
      .map((s) => s.trim())
      .filter((n) => n.startsWith(prefix));
    for (const name of leftovers) localDocker(...REMOVE[kind], name);
  }
}

/** Removes every container whose name starts with `prefix`. */
export function removeContainersNamed(prefix: string): void {
  removeDockerObjectsNamed(prefix, ['container']);
}

export interface LabRegistry {
  address: string;
  username: string;
  password: string;
}

/**
 * Puts a local image into the lab registry with a throwaway CLI login (so the spec's own docker config
 * never holds the credentials), then removes it from the engine: Mirador has to pull it back.
 */
export function pushToRegistryOnly(image: string, registry: LabRegistry): void {
  const config = mkdtempSync(join(tmpdir(), 'mirador-e2e-docker-'));
  try {
    docker(['login', '-u', registry.username, '--password-stdin', registry.address], { config, input: registry.password });
    docker(['push', image], { config });
    docker(['rmi', image]);
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/** The id of the host whose engine Mirador reaches over the local socket, once Mirador reads it as up. */
export async function localEngineHostId(page: Page, timeoutMs = 60_000): Promise<string> {
  let hostId = '';
  await expect
    .poll(
      async () => {
        const res = await page.request.get('/api/docker/engines');
        const local = ((await res.json()) as { items: Array<{ hostId: string; transport: string; state: string }> }).items.find(
          (e) => e.transport === 'socket',
        );
        hostId = local?.hostId ?? '';
        return local?.state ?? 'none';
      },
      { timeout: timeoutMs },
    )
    .toBe('ok');
  return hostId;
}

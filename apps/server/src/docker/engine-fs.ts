import { existsSync, readFileSync } from 'node:fs';
import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Engine } from './engine-pool.js';

/*
 * The local engine follows symbolic links in its own machine's file system, so a bind source must be
 * resolved there before it is judged. When Mirador runs on that machine, that is Mirador's "/". When
 * Mirador runs in a container next to the engine (docker-compose.yml), its "/" is the container's:
 * the host's `/srv/labs/x -> /` is simply missing there, and would pass as written. Mirador then
 * needs the host's "/" mounted somewhere (MIRADOR_ENGINE_ROOT), and must notice when it is not.
 */

const MAX_LINKS = 40;
const CHECK_TTL_MS = 60_000;

/**
 * `realpath -m` of `path` in the file system whose "/" is visible at `root`: every symbolic link
 * followed (absolute targets from `root`, `..` never above it), components that do not exist (yet)
 * kept as they are. fs.realpath fails on a missing path, and falling back to the path as written
 * would let `/srv/labs/link/new` (with `link -> /`) pass: the engine creates or mounts it later,
 * through the link. Returns the path as the engine's machine sees it. Throws on anything else (a
 * loop, a directory it may not read): that path cannot be judged.
 */
export async function resolveHostPath(path: string, root = '/'): Promise<string> {
  const pending = path.split('/').filter(Boolean);
  let resolved = '/';
  let links = 0;
  let missing = false;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved = posix.dirname(resolved);
      continue;
    }
    const next = posix.join(resolved, part);
    if (missing) {
      resolved = next;
      continue;
    }
    try {
      const st = await lstat(posix.join(root, next));
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw Object.assign(new Error(`too many symbolic links in ${path}`), { code: 'ELOOP' });
        const target = await readlink(posix.join(root, next));
        pending.unshift(...target.split('/').filter(Boolean));
        if (target.startsWith('/')) resolved = '/';
        continue;
      }
      resolved = next;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      missing = true;
      resolved = next;
    }
  }
  return resolved;
}

/** Docker, Podman and Kubernetes each leave a mark in a container. */
export function runsInContainer(): boolean {
  if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) return true;
  try {
    return /\/(docker|kubepods|containerd|libpod|lxc)[/-]/.test(readFileSync('/proc/1/cgroup', 'utf8'));
  } catch {
    return false;
  }
}

export interface EngineFs {
  root: string;
  /** Why Mirador cannot see the file system of this (local) engine's machine, or null when it can. */
  blindness(engine: Engine): Promise<string | null>;
  /** `path` on the engine's machine, links resolved (see resolveHostPath). */
  resolve(path: string): Promise<string>;
}

/**
 * `root` is MIRADOR_ENGINE_ROOT. The engine is recognised by its ID, which it keeps on its machine:
 * `<DockerRootDir>/engine-id` (Docker 23+) or the key ID of /etc/docker/key.json (before). When
 * neither can be read (Mirador without root, rootless engines), what can be seen decides: not the
 * container's own "/", and the engine's data directory must be there.
 */
export function createEngineFs(deps: { root: string; inContainer?: () => boolean }): EngineFs {
  const { root } = deps;
  const inContainer = deps.inContainer ?? runsInContainer;
  const checked = new Map<string, { at: number; reason: string | null }>();
  const under = (p: string) => posix.join(root, p);
  const readId = async (file: string, pick: (text: string) => unknown): Promise<string | null> => {
    try {
      const id = pick(await readFile(under(file), 'utf8'));
      return typeof id === 'string' && id.trim() ? id.trim() : null;
    } catch {
      return null;
    }
  };

  async function check(engine: Engine): Promise<string | null> {
    const info = (await engine.docker.info()) as { ID?: string; DockerRootDir?: string };
    const id = String(info.ID ?? '');
    const dataDir = await resolveHostPath(info.DockerRootDir || '/var/lib/docker', root).catch(
      () => info.DockerRootDir || '/var/lib/docker',
    );
    const kept = (
      await Promise.all([
        readId(posix.join(dataDir, 'engine-id'), (t) => t),
        readId('/etc/docker/key.json', (t) => (JSON.parse(t) as { kid?: unknown }).kid),
      ])
    ).filter((x): x is string => x !== null);
    const blind = (why: string) =>
      `Mirador cannot see the file system of ${engine.host.name}'s machine (${why}), so where a host path leads through symbolic links cannot be checked. ` +
      `An administrator can mount that machine's "/" into Mirador read-only and set MIRADOR_ENGINE_ROOT to where it is mounted ` +
      `(with docker compose: the volume "/:/hostfs:ro,rslave" and MIRADOR_ENGINE_ROOT=/hostfs); until then only administrators may use host paths on this engine`;
    if (id && kept.includes(id)) return null;
    if (root === '/' && inContainer())
      return blind('Mirador runs in a container and MIRADOR_ENGINE_ROOT is "/", the container\'s own file system');
    if (kept.length) return blind(`the engine's ID ${id || '(none)'} is not the one kept under MIRADOR_ENGINE_ROOT "${root}"`);
    const seen = await stat(under(dataDir)).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!seen) return blind(`the engine's data directory ${dataDir} is not under MIRADOR_ENGINE_ROOT "${root}"`);
    return null;
  }

  return {
    root,
    async blindness(engine) {
      const key = `${engine.host.id}\0${engine.host.socketPath}`;
      const hit = checked.get(key);
      if (hit && Date.now() - hit.at < CHECK_TTL_MS) return hit.reason;
      let reason: string | null;
      try {
        reason = await check(engine);
      } catch (err) {
        // Not remembered: the engine may answer next time.
        return `Mirador could not ask ${engine.host.name}'s engine where its files are (${(err as Error).message}), so host paths cannot be checked`;
      }
      checked.set(key, { at: Date.now(), reason });
      return reason;
    },
    resolve: (path) => resolveHostPath(path, root),
  };
}

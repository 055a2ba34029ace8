import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where build contexts and image archives wait on disk between their upload and the engine
 * (they may be gigabytes: never in memory). A file lives there only while its request or task
 * runs, so any found at startup was left by a server that died meanwhile, and is removed.
 *
 * Only Mirador's own names are touched: `docker-<kind>-<uuid>.tar` (and the bare `<uuid>.tar`
 * of earlier versions), regular files only, directly in the staging directory. A symlink, a
 * directory or any other name is left alone, and a staging directory that is itself a symlink
 * is not read at all, so the cleanup can never reach outside it.
 */
const STAGED = /^(?:docker-(?:context|archive)-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tar$/;

export type StagedKind = 'context' | 'archive';

interface Log {
  info(obj: unknown, msg: string): void;
  warn(obj: unknown, msg: string): void;
}

export interface UploadStaging {
  readonly dir: string;
  /** A fresh path for an upload (the directory is created, owner-only). */
  path(kind: StagedKind): Promise<string>;
  /** Removes what a dead server left behind; returns the names removed. */
  sweep(): Promise<string[]>;
}

export function createUploadStaging(dataDir: string, log: Log): UploadStaging {
  const dir = join(dataDir, 'uploads');
  return {
    dir,
    async path(kind) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return join(dir, `docker-${kind}-${randomUUID()}.tar`);
    },
    async sweep() {
      const self = await lstat(dir).catch(() => null);
      if (!self) return [];
      if (!self.isDirectory()) {
        log.warn({ dir }, 'the upload staging directory is not a directory (a symlink?): left alone, not cleaned');
        return [];
      }
      const removed: string[] = [];
      for (const name of await readdir(dir)) {
        if (!STAGED.test(name)) continue;
        const file = join(dir, name);
        const st = await lstat(file).catch(() => null);
        if (!st?.isFile()) {
          if (st) log.warn({ file }, 'not a regular file: left alone');
          continue;
        }
        try {
          await unlink(file);
          removed.push(name);
        } catch (err) {
          log.warn({ file, err }, 'could not remove a stale upload');
        }
      }
      if (removed.length)
        log.info({ dir, removed }, `removed ${removed.length} upload(s) left by a server that stopped mid-build or mid-import`);
      return removed;
    },
  };
}

import { posix } from 'node:path';
import { LibvirtValidationError, assertHostPath } from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import { badRequest } from '../lib/http-errors.js';
import { isInside } from '../vms/vm-paths.js';

/**
 * Where a new pool may live. A pool directory becomes a place libvirt writes into and chowns files
 * in for QEMU, and its volumes can be downloaded: a pool on /etc or /root/.ssh would hand out the
 * host's secrets and let volume names overwrite its configuration. Judged on the typed path AND on
 * the path after the host followed every symbolic link (a link in /tmp may point at /etc).
 */
const SYSTEM_DIRS = ['/proc', '/sys', '/dev', '/etc', '/boot', '/usr', '/bin', '/sbin', '/run', '/var/run', '/var/lib/libvirt/boot'];
/** /lib, /lib32, /lib64, /libx32… */
const LIB_DIR = /^\/lib(?:32|64|x32)?(?:\/|$)/;
/** Credentials wherever they sit (/root/.ssh, /home/x/.ssh, .gnupg). */
const SECRET_SEGMENTS = new Set(['.ssh', '.gnupg']);
/** The top of the tree and home roots: a pool there would cover everything below. */
const TOO_WIDE = new Set(['/', '/root', '/home', '/var', '/tmp', '/srv', '/opt', '/mnt', '/media']);
const EXEC_MS = 10_000;

/** Why a pool may not use `path` (already absolute and normalised); null when it may. */
export function forbiddenPoolPath(path: string): string | null {
  if (TOO_WIDE.has(path)) return `${path} is too wide a directory for a pool; use a directory below it`;
  const system = SYSTEM_DIRS.find((d) => isInside(path, d));
  if (system) return `${path} is inside ${system}, a system directory`;
  if (LIB_DIR.test(path)) return `${path} is inside a system library directory`;
  if (path.split('/').some((s) => SECRET_SEGMENTS.has(s))) return `${path} is inside a directory of credentials`;
  return null;
}

export interface JudgedPoolPath {
  /** After following symbolic links on the host: what the pool definition will name. */
  resolved: string;
  exists: boolean;
}

/** Checks a pool directory on the host; throws a 400 naming `path` when it may not be used. */
export async function judgePoolPath(runner: CommandRunner, hostName: string, typed: string): Promise<JudgedPoolPath> {
  try {
    assertHostPath(typed, 'path');
  } catch (err) {
    if (err instanceof LibvirtValidationError) throw badRequest(err.message, 'path');
    throw err;
  }
  const refuse = (why: string) => badRequest(`path: ${why}`, 'path');
  const own = forbiddenPoolPath(posix.normalize(typed));
  if (own) throw refuse(own);
  // -m: the directory (or its parents) may not exist yet; links in the part that does are followed.
  const r = await runner.exec(['realpath', '-m', '--', typed], { timeoutMs: EXEC_MS });
  const resolved = r.code === 0 ? r.stdout.replace(/\n$/, '') : '';
  if (!resolved.startsWith('/') || resolved.includes('\n')) throw refuse(`"${typed}" cannot be resolved on ${hostName}`);
  const after = forbiddenPoolPath(resolved);
  if (after) throw refuse(`"${typed}" leads to ${resolved} after following symbolic links: ${after}`);
  try {
    assertHostPath(resolved, 'path');
  } catch {
    throw refuse(`"${typed}" leads to ${resolved}, which contains characters a pool definition cannot hold`);
  }
  const st = await runner.exec(['stat', '-c', '%F', '--', resolved], { timeoutMs: EXEC_MS });
  if (st.code !== 0) return { resolved, exists: false };
  if (st.stdout.trim() !== 'directory') throw refuse(`${resolved} exists on ${hostName} and is a ${st.stdout.trim()}, not a directory`);
  return { resolved, exists: true };
}

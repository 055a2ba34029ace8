import { posix } from 'node:path';
import type { CreateVmBody, VmSummary } from '@mirador/contract';
import {
  QCOW2_HEADER_BYTES,
  assertHostPath,
  parseNameList,
  parseOdHexBytes,
  parsePoolXml,
  qcow2Header,
  volPathArgv,
} from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import { HttpError } from '../lib/http-errors.js';
import { runVirsh, virshBatch } from './virsh.js';

/**
 * Which files on a host a VM request may make libvirt open (issue #8, the finding after it: a disk
 * path of /root/secret or /dev/sda became the guest's disk, and libvirt chowned it for QEMU).
 *
 * The rule, for everyone but admins: every path a request names is resolved ON THE HOST
 * (`realpath -e`, so symlinks are followed by the machine that will follow them) and must be a
 * regular file inside the target directory of one of the host's file-backed storage pools, or
 * inside libvirt's boot directory (kernels and initrds). Disks that QEMU opens as qcow2 must not
 * name further files in their header (backing file, external data file): those would be opened too,
 * unchecked. Admins are never refused; what an operator would have been refused becomes a warning.
 */

/** libvirt's conventional place for kernels and initrds (virt-install downloads them here). */
export const LIBVIRT_BOOT_DIR = '/var/lib/libvirt/boot';
/** Pool types whose volumes are plain files under the pool's target directory. */
const FILE_POOL_TYPES = new Set(['dir', 'fs', 'netfs']);
const EXEC_MS = 10_000;

export interface PathCaller {
  isAdmin: boolean;
}

export interface PathJudgement {
  /** The request with every path replaced by its resolved form (non-admins only; admins' stay as typed). */
  body: CreateVmBody;
  /** Why a non-admin may not do it, each starting with the field ("disk.path: …"); empty for admins. */
  refusals: string[];
  /** For admins: what an operator would have been refused. */
  warnings: string[];
}

export interface Named {
  field: string;
  path: string;
  /** QEMU opens it as a qcow2 image, so its header is read too. */
  qcow2: boolean;
}

/** Every host path a create request names, with the field a form can point at. */
export function requestedPaths(body: CreateVmBody): Named[] {
  const out: Named[] = [];
  // A path disk has no format field: Mirador's domain XML opens it as qcow2.
  if (body.disk.kind === 'path') out.push({ field: 'disk.path', path: body.disk.path, qcow2: true });
  if (body.install.kind === 'kernel') {
    out.push({ field: 'install.kernel', path: body.install.kernel, qcow2: false });
    if (body.install.initrd !== undefined) out.push({ field: 'install.initrd', path: body.install.initrd, qcow2: false });
  }
  if (body.install.kind === 'cdrom') out.push({ field: 'install.iso', path: body.install.iso, qcow2: false });
  // install.location is an http(s)/ftp/nfs URL by contract: never a path on the host.
  return out;
}

/** True when `path` is `dir` itself or below it (both already resolved). */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** A single absolute line from a command, or null. */
function oneAbsoluteLine(out: string): string | null {
  const line = out.replace(/\n$/, '');
  return line.startsWith('/') && !line.includes('\n') ? line : null;
}

/** `path` with every symlink followed on the host; null when it does not exist or cannot be resolved. */
export async function resolveOnHost(runner: CommandRunner, path: string): Promise<string | null> {
  try {
    const r = await runner.exec(['realpath', '-e', '--', path], { timeoutMs: EXEC_MS });
    return r.code === 0 ? oneAbsoluteLine(r.stdout) : null;
  } catch {
    return null;
  }
}

/** The target directories of the host's pools, by pool name (every pool, whatever its type). */
export async function poolTargets(runner: CommandRunner, uri: string): Promise<Map<string, { type: string; path: string }>> {
  const [list] = await virshBatch(runner, uri, [['pool-list', '--all', '--name']]);
  const names = parseNameList(list ?? '');
  const xmls = names.length
    ? await virshBatch(
        runner,
        uri,
        names.map((n) => ['pool-dumpxml', n]),
      )
    : [];
  const out = new Map<string, { type: string; path: string }>();
  names.forEach((name, i) => {
    try {
      const p = parsePoolXml(xmls[i] ?? '');
      if (p.targetPath) out.set(name, { type: p.type, path: p.targetPath });
    } catch {
      // A pool whose XML cannot be read allows nothing.
    }
  });
  return out;
}

/**
 * The directories paths may resolve into, themselves resolved on the host (a pool at
 * /var/lib/libvirt/images may be a symlink to /srv/images). "/" never counts, whoever made that pool.
 */
export async function allowedRoots(runner: CommandRunner, uri: string): Promise<string[]> {
  const pools = [...(await poolTargets(runner, uri)).values()].filter((p) => FILE_POOL_TYPES.has(p.type)).map((p) => p.path);
  const resolved = await Promise.all([...pools, LIBVIRT_BOOT_DIR].map((p) => resolveOnHost(runner, posix.normalize(p))));
  return [...new Set(resolved.filter((p): p is string => p !== null && p !== '/'))];
}

/** 'regular file', 'directory', 'block special file'… as `stat -c %F` says; null when it cannot. */
async function fileType(runner: CommandRunner, path: string): Promise<string | null> {
  const r = await runner.exec(['stat', '-c', '%F', '--', path], { timeoutMs: EXEC_MS }).catch(() => null);
  return r && r.code === 0 ? r.stdout.trim() : null;
}

/** Why QEMU would open more than this image (backing or data file); null when it would not. */
async function imageRefusal(runner: CommandRunner, path: string): Promise<string | null> {
  const r = await runner
    .exec(['od', '-An', '-v', '-tx1', '-N', String(QCOW2_HEADER_BYTES), '--', path], { timeoutMs: EXEC_MS })
    .catch(() => null);
  if (!r || r.code !== 0) return 'its first bytes could not be read, so whether it names other files cannot be checked';
  let header;
  try {
    header = qcow2Header(parseOdHexBytes(r.stdout));
  } catch {
    return 'its first bytes could not be read, so whether it names other files cannot be checked';
  }
  if (header.hasBackingFile) return 'it is a qcow2 image with a backing file, which QEMU would open too without it being checked';
  if (header.hasExternalDataFile)
    return 'it is a qcow2 image with an external data file, which QEMU would open too without it being checked';
  return null;
}

/** One path judged: the resolved path, or why not (also used by the XML editor, vm-xml/). */
export async function judgeOne(
  runner: CommandRunner,
  hostName: string,
  roots: string[],
  n: Named,
): Promise<{ real: string | null; why: string | null }> {
  const real = await resolveOnHost(runner, n.path);
  if (real === null) return { real, why: `"${n.path}" does not exist on ${hostName} (or cannot be resolved there)` };
  const shown = real === n.path ? `"${n.path}"` : `"${n.path}" (which is ${real} after following symbolic links)`;
  try {
    assertHostPath(real, n.field);
  } catch {
    return { real, why: `${shown} contains characters a VM definition cannot hold` };
  }
  if (!roots.some((root) => isInside(real, root))) {
    return { real, why: `${shown} is outside the host's storage pools (${roots.join(', ') || 'none'}) and ${LIBVIRT_BOOT_DIR}` };
  }
  const type = await fileType(runner, real);
  if (type !== 'regular file' && type !== 'regular empty file')
    return { real, why: `${shown} is ${type ? `a ${type}` : 'of an unknown type'}, not a regular file` };
  if (n.qcow2) {
    const why = await imageRefusal(runner, real);
    if (why) return { real, why: `${shown}: ${why}` };
  }
  return { real, why: null };
}

/**
 * Judges every file a create request would make libvirt open, on the host. For non-admins the
 * returned body carries the resolved paths, so what was checked is what the definition names.
 */
export async function judgeVmPaths(
  runner: CommandRunner,
  uri: string,
  hostName: string,
  body: CreateVmBody,
  caller: PathCaller,
): Promise<PathJudgement> {
  const named = requestedPaths(body);
  const volume = body.disk.kind === 'volume' ? body.disk : null;
  if (named.length === 0 && !volume) return { body, refusals: [], warnings: [] };

  const roots = await allowedRoots(runner, uri);
  const problems: string[] = [];
  const real = new Map<string, string>();
  for (const n of named) {
    const r = await judgeOne(runner, hostName, roots, n);
    if (r.why) problems.push(`${n.field}: ${r.why}`);
    else if (r.real) real.set(n.field, r.real);
  }
  if (volume) {
    // An existing volume is opened through its path: a symlink planted in the pool leads elsewhere.
    const out = await runVirsh(runner, volPathArgv(uri, volume.pool, volume.volume)).catch(() => null);
    const path = out === null ? null : oneAbsoluteLine(out.trim());
    if (path === null) problems.push(`disk.volume: there is no volume "${volume.volume}" in the pool "${volume.pool}" on ${hostName}`);
    else {
      const r = await judgeOne(runner, hostName, roots, { field: 'disk.volume', path, qcow2: true });
      if (r.why) problems.push(`disk.volume: the volume "${volume.pool}/${volume.volume}" at ${r.why}`);
    }
  }

  if (caller.isAdmin) {
    return { body, refusals: [], warnings: problems.map((p) => `${p} (allowed because you are an administrator)`) };
  }
  if (problems.length) return { body, refusals: problems, warnings: [] };
  return { body: withPaths(body, real), refusals: [], warnings: [] };
}

function withPaths(body: CreateVmBody, real: Map<string, string>): CreateVmBody {
  const at = (field: string, typed: string) => real.get(field) ?? typed;
  const disk = body.disk.kind === 'path' ? { ...body.disk, path: at('disk.path', body.disk.path) } : body.disk;
  const install =
    body.install.kind === 'kernel'
      ? {
          ...body.install,
          kernel: at('install.kernel', body.install.kernel),
          ...(body.install.initrd !== undefined ? { initrd: at('install.initrd', body.install.initrd) } : {}),
        }
      : body.install.kind === 'cdrom'
        ? { ...body.install, iso: at('install.iso', body.install.iso) }
        : body.install;
  return { ...body, disk, install };
}

/** The 403 for paths a non-admin may not use: every reason, the first one's field for the form. */
export function pathRefusal(hostName: string, refusals: string[]): HttpError {
  const field = /^([a-z][\w.]*):/i.exec(refusals[0] ?? '')?.[1];
  return new HttpError(403, `Not allowed on ${hostName} without an administrator: ${refusals.join('; ')}`, {
    code: 'forbidden',
    ...(field ? { field } : {}),
  });
}

/**
 * The disks of `vm` that other domains on the host also use, keyed by what libvirt calls them
 * (pool/volume, or path — a volume disk's path is its pool's target plus the volume name).
 */
export function sharedDisks(
  vm: VmSummary,
  others: VmSummary[],
  pools: Map<string, { path: string }>,
): Array<{ disk: string; usedBy: string[] }> {
  const keysOf = (d: VmSummary['disks'][number]): string[] => {
    const keys: string[] = [];
    if (d.pool && d.volume) {
      keys.push(`vol:${d.pool}/${d.volume}`);
      const target = pools.get(d.pool)?.path;
      if (target) keys.push(`path:${posix.join(target, d.volume)}`);
    }
    if (d.source?.startsWith('/')) keys.push(`path:${posix.normalize(d.source)}`);
    return keys;
  };
  const users = new Map<string, Set<string>>();
  for (const other of others) {
    for (const d of other.disks) for (const k of keysOf(d)) users.set(k, (users.get(k) ?? new Set()).add(other.name));
  }
  const out: Array<{ disk: string; usedBy: string[] }> = [];
  for (const d of vm.disks.filter((x) => x.device === 'disk')) {
    const usedBy = new Set(keysOf(d).flatMap((k) => [...(users.get(k) ?? [])]));
    if (usedBy.size) out.push({ disk: d.pool && d.volume ? `${d.pool}/${d.volume}` : (d.source ?? d.target), usedBy: [...usedBy].sort() });
  }
  return out;
}

/**
 * virsh argv for cloning a VM's disks (`vol-clone`, `vol-create` from a backing-file XML) and for
 * watching a copy grow (`vol-info --bytes`). Like storage-argv.ts, every name is validated here.
 */
import { XML_FROM_STDIN, assertConnectionUri, type Argv } from './argv.js';
import { LibvirtValidationError, assertDomainName, assertHostPath, assertPoolName, assertVolumeName } from './names.js';

function virsh(uri: string, ...args: string[]): Argv {
  assertConnectionUri(uri);
  return ['virsh', '-c', uri, ...args];
}

/**
 * Disk paths already in a definition were not necessarily made by Mirador, so they are only held to
 * "absolute, one line, no '..'" (argv is quoted; libvirt answers "not found" outside its pools).
 */
function assertExistingPath(path: unknown, field: string): asserts path is string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[\u0000-\u001f\u007f]/.test(path) || path.split('/').includes('..')) {
    throw new LibvirtValidationError('invalid-path', field, `Disk path ${JSON.stringify(path)} must be an absolute path.`);
  }
}

/** Full copy of a volume into the same pool (libvirt copies raw data or runs `qemu-img convert`). */
export function volCloneArgv(uri: string, pool: string, source: string, newName: string): Argv {
  assertPoolName(pool);
  assertVolumeName(source, 'volume');
  assertVolumeName(newName, 'name');
  return virsh(uri, 'vol-clone', '--pool', pool, source, newName);
}

/** Creates a volume from XML in `pool` (the clone's linked qcow2, with its <backingStore>). */
export function volCreateArgv(uri: string, pool: string, file: string = XML_FROM_STDIN): Argv {
  assertPoolName(pool);
  assertHostPath(file, 'file');
  return virsh(uri, 'vol-create', pool, file);
}

/** Capacity and allocation in exact bytes: the copy's allocation against the source's is its progress. */
export function volInfoBytesArgv(uri: string, pool: string, volume: string): Argv {
  assertPoolName(pool);
  assertVolumeName(volume);
  return virsh(uri, 'vol-info', '--pool', pool, volume, '--bytes');
}

/** Which pool a disk file belongs to (fails for a file outside every pool). */
export function volPoolOfPathArgv(uri: string, path: string): Argv {
  assertExistingPath(path, 'path');
  return virsh(uri, 'vol-pool', path);
}

/** The volume name of a disk file inside a pool. */
export function volNameOfPathArgv(uri: string, path: string): Argv {
  assertExistingPath(path, 'path');
  return virsh(uri, 'vol-name', path);
}

/** `vol-info --bytes` (C locale): "Capacity:       1073741824 bytes". */
export function parseVolInfoBytes(out: string): { capacityBytes: number; allocationBytes: number } {
  const field = (key: string) => {
    const m = new RegExp(`^${key}:\\s*(\\d+)`, 'im').exec(out);
    return m ? Number(m[1]) : 0;
  };
  return { capacityBytes: field('Capacity'), allocationBytes: field('Allocation') };
}

/** Guest disk targets as libvirt names them: vda, sdb, hdc, xvdaa… */
const DISK_TARGET = /^[a-z]{2,4}[a-z0-9]{1,4}$/;

/**
 * Copies an active domain's disk through QEMU itself (a mirror job), into an existing volume at
 * `dest`: the only way to read an image QEMU holds locked. `--finish` ends the job with the domain
 * still on its own disk and the copy as of that moment; `--transient-job` is what libvirt asks for
 * a persistent domain.
 */
export function blockcopyArgv(uri: string, domain: string, target: string, dest: string, format: 'qcow2' | 'raw'): Argv {
  assertDomainName(domain);
  if (!DISK_TARGET.test(target))
    throw new LibvirtValidationError('invalid-value', 'target', `Disk target ${JSON.stringify(target)} is not a disk name like vda.`);
  assertHostPath(dest, 'dest');
  if (format !== 'qcow2' && format !== 'raw')
    throw new LibvirtValidationError('invalid-value', 'format', 'Disk format must be qcow2 or raw.');
  return virsh(
    uri,
    'blockcopy',
    domain,
    target,
    '--dest',
    dest,
    '--format',
    format,
    '--reuse-external',
    '--transient-job',
    '--wait',
    '--finish',
  );
}

/** Ends a block job that is left over (a copy that failed or ran out of time). */
export function blockjobAbortArgv(uri: string, domain: string, target: string): Argv {
  assertDomainName(domain);
  if (!DISK_TARGET.test(target))
    throw new LibvirtValidationError('invalid-value', 'target', `Disk target ${JSON.stringify(target)} is not a disk name like vda.`);
  return virsh(uri, 'blockjob', domain, target, '--abort');
}

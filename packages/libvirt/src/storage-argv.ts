/**
 * virsh argv for storage pools and volumes (the `pool-*` / `vol-*` commands the storage pages run
 * and show). Like argv.ts, every name is validated here, at the last point before it becomes an
 * argument; validated names never start with '-', so they are safe as positionals.
 */
import { assertConnectionUri, type Argv } from './argv.js';
import { LibvirtValidationError, assertPoolName, assertVolumeName } from './names.js';

export type VolumeFormat = 'qcow2' | 'raw';
/** 16 EiB would overflow libvirt's unsigned long long; 1 PiB is already far beyond any lab disk. */
export const VOLUME_BYTES_MAX = 1024 ** 5;

function virsh(uri: string, ...args: string[]): Argv {
  assertConnectionUri(uri);
  return ['virsh', '-c', uri, ...args];
}

function pool(uri: string, command: string, name: string, ...flags: string[]): Argv {
  assertPoolName(name);
  return virsh(uri, command, name, ...flags);
}

export function assertVolumeBytes(value: unknown, field = 'capacityBytes'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > VOLUME_BYTES_MAX) {
    throw new LibvirtValidationError('out-of-range', field, `Size must be a whole number of bytes from 1 to ${VOLUME_BYTES_MAX}.`);
  }
}

/** State, persistence, autostart and sizes in exact bytes (the XML has no autostart/persistence). */
export const poolInfoArgv = (uri: string, name: string): Argv => pool(uri, 'pool-info', name, '--bytes');
export const poolDefineArgv = (uri: string, file: string): Argv => virsh(uri, 'pool-define', file);
export const poolBuildArgv = (uri: string, name: string): Argv => pool(uri, 'pool-build', name);
export const poolStartArgv = (uri: string, name: string): Argv => pool(uri, 'pool-start', name);
/** "Stop": libvirt calls deactivating a pool `pool-destroy`; the directory and its files stay. */
export const poolDestroyArgv = (uri: string, name: string): Argv => pool(uri, 'pool-destroy', name);
/** Forgets the definition; unlike `pool-delete` it never touches the directory. */
export const poolUndefineArgv = (uri: string, name: string): Argv => pool(uri, 'pool-undefine', name);
export const poolRefreshArgv = (uri: string, name: string): Argv => pool(uri, 'pool-refresh', name);
export function poolAutostartArgv(uri: string, name: string, enabled: boolean): Argv {
  return pool(uri, 'pool-autostart', name, ...(enabled ? [] : ['--disable']));
}

function volume(uri: string, command: string, poolName: string, vol: string, ...rest: string[]): Argv {
  assertPoolName(poolName);
  assertVolumeName(vol);
  return virsh(uri, command, '--pool', poolName, vol, ...rest);
}

export const volDumpxmlArgv = (uri: string, poolName: string, vol: string): Argv => volume(uri, 'vol-dumpxml', poolName, vol);

/** A plain number is bytes to virsh; exact sizes avoid its G = GiB rounding surprises. */
export function volCreateBytesArgv(uri: string, spec: { pool: string; name: string; capacityBytes: number; format: VolumeFormat }): Argv {
  assertPoolName(spec.pool);
  assertVolumeName(spec.name, 'name');
  assertVolumeBytes(spec.capacityBytes);
  if (spec.format !== 'qcow2' && spec.format !== 'raw')
    throw new LibvirtValidationError('invalid-value', 'format', 'Volume format must be qcow2 or raw.');
  return virsh(uri, 'vol-create-as', spec.pool, spec.name, String(spec.capacityBytes), '--format', spec.format);
}

/** Grows a volume to `capacityBytes` (the caller refuses shrinking: it destroys the guest's data). */
export function volResizeArgv(uri: string, poolName: string, vol: string, capacityBytes: number): Argv {
  assertVolumeBytes(capacityBytes);
  return volume(uri, 'vol-resize', poolName, vol, String(capacityBytes));
}

/**
 * The volume's bytes on stdout. `-q` matters: without it virsh ends with a newline on stdout,
 * one byte more than the file. `/dev/stdout` must be a pipe (as over SSH), not a socket.
 */
export function volDownloadArgv(uri: string, poolName: string, vol: string): Argv {
  assertConnectionUri(uri);
  assertPoolName(poolName);
  assertVolumeName(vol);
  return ['virsh', '-q', '-c', uri, 'vol-download', '--pool', poolName, vol, '/dev/stdout'];
}

/**
 * Fills a volume with the bytes on stdin (an upload streamed over the SSH channel). `/dev/stdin`
 * must be a pipe (as over SSH), not a socket; the volume must already exist with room for them.
 */
export function volUploadArgv(uri: string, poolName: string, vol: string): Argv {
  assertConnectionUri(uri);
  assertPoolName(poolName);
  assertVolumeName(vol);
  return ['virsh', '-q', '-c', uri, 'vol-upload', '--pool', poolName, vol, '/dev/stdin'];
}

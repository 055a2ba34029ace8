/**
 * virsh argv builders. Each returns the full argv (starting with 'virsh') so the server can both run
 * it over SSH and show it to the user via toCommandLine(). Names are validated here, at the last
 * point before they become arguments, so no caller can forget.
 */
import { toCommandLine } from '@mirador/argv';
import {
  LibvirtValidationError,
  assertDiskGiB,
  assertDomainName,
  assertHostPath,
  assertNetworkName,
  assertPoolName,
  assertVolumeName,
} from './names.js';
import { CANONICAL_LIBVIRT_URIS, describeRefusedUri, parseLibvirtUri } from './uri.js';

export type Argv = string[];

/**
 * The last line before a URI becomes `virsh -c <uri>`: only the local endpoints Mirador builds
 * (see uri.ts). Transports and query parameters would let the URI name programs and files.
 */
export function assertConnectionUri(uri: unknown): asserts uri is string {
  if (!parseLibvirtUri(uri)) {
    throw new LibvirtValidationError(
      'invalid-value',
      'libvirtUri',
      `Connection URI ${describeRefusedUri(uri)} is not a libvirt endpoint Mirador builds (${CANONICAL_LIBVIRT_URIS.join(', ')}); pick the host's libvirt endpoint again.`,
    );
  }
}

function virsh(uri: string, ...args: string[]): Argv {
  assertConnectionUri(uri);
  return ['virsh', '-c', uri, ...args];
}

function domainCommand(uri: string, command: string, name: string, ...flags: string[]): Argv {
  // Positional, as people type it; safe only because validated names cannot start with '-'.
  assertDomainName(name);
  return virsh(uri, command, name, ...flags);
}

/** Renders argv the way the server executes it (same quoting), for the "equivalent command" teaching aid. */
export function commandLineOf(argv: readonly string[]): string {
  return toCommandLine(argv);
}

export function listDomainNamesArgv(uri: string): Argv {
  return virsh(uri, 'list', '--all', '--name');
}
export function listDomainUuidsArgv(uri: string): Argv {
  return virsh(uri, 'list', '--all', '--uuid');
}
export function dumpxmlArgv(uri: string, name: string, opts: { inactive?: boolean } = {}): Argv {
  return domainCommand(uri, 'dumpxml', name, ...(opts.inactive ? ['--inactive'] : []));
}
/** The live definition with secrets (the VNC password): for vnc-display.ts only, never stored or shown. */
export function securityDumpxmlArgv(uri: string, name: string): Argv {
  return domainCommand(uri, 'dumpxml', name, '--security-info');
}
/** One call for all domains: far cheaper than per-domain commands when polling every few seconds. */
export function domstatsArgv(uri: string, opts: { activeOnly?: boolean; domains?: string[] } = {}): Argv {
  for (const d of opts.domains ?? []) assertDomainName(d);
  return virsh(uri, 'domstats', '--raw', ...(opts.activeOnly ? ['--list-active'] : []), ...(opts.domains ?? []));
}
export function domstateArgv(uri: string, name: string): Argv {
  return domainCommand(uri, 'domstate', name, '--reason');
}
export function startArgv(uri: string, name: string): Argv {
  return domainCommand(uri, 'start', name);
}
/** ACPI request: the guest may ignore it, so callers fall back to destroy after a timeout. */
export function shutdownArgv(uri: string, name: string): Argv {
  return domainCommand(uri, 'shutdown', name);
}
export function rebootArgv(uri: string, name: string): Argv {
  return domainCommand(uri, 'reboot', name);
}
/** Hard power-off ("pull the plug"); does not delete anything. */
export function destroyArgv(uri: string, name: string): Argv {
  return domainCommand(uri, 'destroy', name);
}
export function suspendArgv(uri: string, name: string): Argv {
  return domainCommand(uri, 'suspend', name);
}
export function resumeArgv(uri: string, name: string): Argv {
  return domainCommand(uri, 'resume', name);
}

export interface UndefineOptions {
  /** Needed for UEFI guests, otherwise undefine refuses. */
  nvram?: boolean;
  snapshotsMetadata?: boolean;
  managedSave?: boolean;
  /** Deletes every volume the domain references: irreversible. */
  removeAllStorage?: boolean;
}
export function undefineArgv(uri: string, name: string, opts: UndefineOptions = {}): Argv {
  const flags: string[] = [];
  if (opts.nvram) flags.push('--nvram');
  if (opts.snapshotsMetadata) flags.push('--snapshots-metadata');
  if (opts.managedSave) flags.push('--managed-save');
  if (opts.removeAllStorage) flags.push('--remove-all-storage');
  return domainCommand(uri, 'undefine', name, ...flags);
}
export function autostartArgv(uri: string, name: string, enabled: boolean): Argv {
  return domainCommand(uri, 'autostart', name, ...(enabled ? [] : ['--disable']));
}

/**
 * The XML travels on stdin (verified: `virsh define /dev/stdin` reads a pipe, locally and over SSH
 * exec), so no temp file is written on the remote host and the XML never touches the command line.
 */
export const XML_FROM_STDIN = '/dev/stdin';
export function defineArgv(uri: string, file: string = XML_FROM_STDIN): Argv {
  assertHostPath(file, 'file');
  return virsh(uri, 'define', file);
}
/** Changes a device of a defined (and, with live, running) domain from an XML document on stdin. */
export function updateDeviceArgv(uri: string, name: string, file: string = XML_FROM_STDIN, opts: { live?: boolean } = {}): Argv {
  assertHostPath(file, 'file');
  return domainCommand(uri, 'update-device', name, file, '--config', ...(opts.live ? ['--live'] : []));
}
/** Transient domain (gone after destroy); same stdin convention as define. */
export function createArgv(uri: string, file: string = XML_FROM_STDIN): Argv {
  assertHostPath(file, 'file');
  return virsh(uri, 'create', file);
}

/** Long-running: one line per event until killed. --timestamp prefixes each line with the local time and UTC offset. */
export function eventArgv(uri: string): Argv {
  return virsh(uri, 'event', '--all', '--loop', '--timestamp');
}

/**
 * Interactive serial console. Deliberately without --force: force steals the console from whoever
 * holds it (another browser tab, an admin's ssh session) without telling them; the server should
 * surface "console busy" and let the user choose instead. Requires a PTY on the SSH channel.
 */
export function consoleArgv(uri: string, name: string, opts: { force?: boolean } = {}): Argv {
  return domainCommand(uri, 'console', name, ...(opts.force ? ['--force'] : []));
}

export function capabilitiesArgv(uri: string): Argv {
  return virsh(uri, 'capabilities');
}
export function versionArgv(uri: string): Argv {
  return virsh(uri, 'version', '--daemon');
}
export function poolListArgv(uri: string): Argv {
  return virsh(uri, 'pool-list', '--all', '--name');
}
export function poolDumpxmlArgv(uri: string, pool: string): Argv {
  assertPoolName(pool);
  return virsh(uri, 'pool-dumpxml', pool);
}
export function volListArgv(uri: string, pool: string): Argv {
  assertPoolName(pool);
  return virsh(uri, 'vol-list', '--pool', pool, '--details');
}

export interface VolCreateSpec {
  pool: string;
  name: string;
  sizeGiB: number;
  format?: 'qcow2' | 'raw';
}
/** qcow2 by default: thin-provisioned, so a 20 GiB disk costs almost nothing until written. */
export function volCreateAsArgv(uri: string, spec: VolCreateSpec): Argv {
  assertPoolName(spec.pool);
  assertVolumeName(spec.name, 'name');
  assertDiskGiB(spec.sizeGiB);
  const format = spec.format ?? 'qcow2';
  if (format !== 'qcow2' && format !== 'raw')
    throw new LibvirtValidationError('invalid-value', 'format', 'Disk format must be qcow2 or raw.');
  return virsh(uri, 'vol-create-as', spec.pool, spec.name, `${spec.sizeGiB}G`, '--format', format);
}
export function volDeleteArgv(uri: string, pool: string, volume: string): Argv {
  assertPoolName(pool);
  assertVolumeName(volume);
  return virsh(uri, 'vol-delete', volume, '--pool', pool);
}
/**
 * Deletes a volume by its path, for disks whose XML names a file rather than pool/volume. Paths of
 * existing disks were not necessarily made by Mirador, so this only insists on an absolute,
 * single-line path (argv is quoted, spaces are harmless); libvirt refuses paths outside its pools.
 */
export function volDeleteByPathArgv(uri: string, path: string): Argv {
  if (typeof path !== 'string' || !path.startsWith('/') || /[\u0000-\u001f\u007f]/.test(path) || path.split('/').includes('..')) {
    throw new LibvirtValidationError('invalid-path', 'path', `Volume path ${JSON.stringify(path)} must be an absolute path.`);
  }
  return virsh(uri, 'vol-delete', path);
}
/** The path of a pool volume (what QEMU opens for a `<disk type='volume'>`). */
export function volPathArgv(uri: string, pool: string, volume: string): Argv {
  assertPoolName(pool);
  assertVolumeName(volume);
  return virsh(uri, 'vol-path', '--pool', pool, volume);
}
export function netListArgv(uri: string): Argv {
  return virsh(uri, 'net-list', '--all', '--name');
}
export function netDumpxmlArgv(uri: string, network: string): Argv {
  assertNetworkName(network);
  return virsh(uri, 'net-dumpxml', network);
}

/**
 * virsh translates its human-readable output (domstate, event lines, table headers) into the remote
 * user's locale, and the parsers in this package expect English. Prefixing `env LC_ALL=C` is more
 * reliable than SSH env passing, which sshd drops unless AcceptEnv allows it.
 */
export function withCLocale(argv: readonly string[]): Argv {
  return ['env', 'LC_ALL=C', ...argv];
}

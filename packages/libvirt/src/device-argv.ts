/**
 * virsh argv for hot-plug: attach/detach/update devices, CD-ROM media and NIC link state. Like
 * argv.ts: full argv starting with 'virsh', names validated here, at the last point before they
 * become arguments. `--live` changes the running VM, `--config` its persistent definition.
 */
import { assertConnectionUri, type Argv } from './argv.js';
import { assertDiskTarget, normalizeMac } from './build-device.js';
import { LibvirtValidationError, assertDomainName, assertHostPath } from './names.js';

export interface DeviceScope {
  /** Change the running VM now. */
  live: boolean;
  /** Change the persistent definition (survives a restart). */
  config: boolean;
}

function scopeFlags(scope: DeviceScope): string[] {
  if (!scope.live && !scope.config) throw new LibvirtValidationError('invalid-value', 'live', 'Choose live, persistent, or both.');
  return [...(scope.live ? ['--live'] : []), ...(scope.config ? ['--config'] : [])];
}

function domainCommand(uri: string, command: string, name: string, ...rest: string[]): Argv {
  assertConnectionUri(uri);
  // Positional, as people type it; safe only because validated names cannot start with '-'.
  assertDomainName(name);
  return ['virsh', '-c', uri, command, name, ...rest];
}

/** The device XML is read from `file` (XML_FROM_STDIN over SSH, see runVirshWithXml). */
export function attachDeviceArgv(uri: string, name: string, file: string, scope: DeviceScope): Argv {
  assertHostPath(file, 'file');
  return domainCommand(uri, 'attach-device', name, file, ...scopeFlags(scope));
}
export function detachDeviceArgv(uri: string, name: string, file: string, scope: DeviceScope): Argv {
  assertHostPath(file, 'file');
  return domainCommand(uri, 'detach-device', name, file, ...scopeFlags(scope));
}
/** Unlike updateDeviceArgv in argv.ts, the scope is the caller's (a shut-off VM has no live side). */
export function updateDeviceScopedArgv(uri: string, name: string, file: string, scope: DeviceScope): Argv {
  assertHostPath(file, 'file');
  return domainCommand(uri, 'update-device', name, file, ...scopeFlags(scope));
}

/** Detaches a disk by its guest-side target (vdb, sda): what people type, and libvirt matches on it. */
export function detachDiskArgv(uri: string, name: string, target: string, scope: DeviceScope): Argv {
  assertDiskTarget(target);
  return domainCommand(uri, 'detach-disk', name, target, ...scopeFlags(scope));
}

/** Puts a medium in a CD-ROM drive (`--insert`), or takes it out (`--eject`, no path). */
export function changeMediaArgv(
  uri: string,
  name: string,
  target: string,
  media: { eject: true } | { insert: string },
  scope: DeviceScope,
): Argv {
  assertDiskTarget(target);
  if ('insert' in media) {
    assertHostPath(media.insert, 'path');
    return domainCommand(uri, 'change-media', name, target, '--source', media.insert, '--insert', ...scopeFlags(scope));
  }
  return domainCommand(uri, 'change-media', name, target, '--eject', ...scopeFlags(scope));
}

export const NIC_DETACH_TYPES = [
  'network',
  'bridge',
  'direct',
  'user',
  'ethernet',
  'vhostuser',
  'hostdev',
  'mcast',
  'server',
  'client',
  'udp',
];

/** Detaches the NIC with this MAC; virsh wants its type too (network, bridge…). */
export function detachInterfaceArgv(uri: string, name: string, type: string, mac: string, scope: DeviceScope): Argv {
  if (!NIC_DETACH_TYPES.includes(type))
    throw new LibvirtValidationError('invalid-value', 'type', `Unknown interface type ${JSON.stringify(type)}.`);
  return domainCommand(uri, 'detach-interface', name, type, '--mac', normalizeMac(mac), ...scopeFlags(scope));
}

/** Without --config virsh changes the running VM; with it, only the persistent definition. */
export function domifSetlinkArgv(uri: string, name: string, mac: string, state: 'up' | 'down', opts: { config?: boolean } = {}): Argv {
  if (state !== 'up' && state !== 'down') throw new LibvirtValidationError('invalid-value', 'link', 'Link state must be up or down.');
  return domainCommand(uri, 'domif-setlink', name, normalizeMac(mac), state, ...(opts.config ? ['--config'] : []));
}
export function domifGetlinkArgv(uri: string, name: string, mac: string, opts: { config?: boolean } = {}): Argv {
  return domainCommand(uri, 'domif-getlink', name, normalizeMac(mac), ...(opts.config ? ['--config'] : []));
}

/** The volume behind a disk's file path (libvirt knows it when the file is in one of its pools). */
export function volDumpxmlByPathArgv(uri: string, path: string): Argv {
  assertConnectionUri(uri);
  assertHostPath(path, 'path');
  return ['virsh', '-c', uri, 'vol-dumpxml', path];
}

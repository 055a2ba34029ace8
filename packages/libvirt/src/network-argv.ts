/**
 * virsh argv for libvirt networks (net-*). Like argv.ts: full argv starting with 'virsh', names
 * validated here, at the last point before they become arguments.
 */
import { assertConnectionUri, type Argv } from './argv.js';
import { assertHostPath, assertNetworkName } from './names.js';

function netCommand(uri: string, command: string, name: string, ...flags: string[]): Argv {
  assertConnectionUri(uri);
  // Positional, as people type it; safe only because validated names cannot start with '-'.
  assertNetworkName(name, 'name');
  return ['virsh', '-c', uri, command, name, ...flags];
}

export function netListAllArgv(uri: string): Argv {
  assertConnectionUri(uri);
  return ['virsh', '-c', uri, 'net-list', '--all'];
}
/** The persistent definition (what an edit replaces), not the running one. */
export function netDumpxmlInactiveArgv(uri: string, name: string): Argv {
  return netCommand(uri, 'net-dumpxml', name, '--inactive');
}
/** Same stdin convention as `define` (see XML_FROM_STDIN in argv.ts). */
export function netDefineArgv(uri: string, file: string): Argv {
  assertConnectionUri(uri);
  assertHostPath(file, 'file');
  return ['virsh', '-c', uri, 'net-define', file];
}
export function netStartArgv(uri: string, name: string): Argv {
  return netCommand(uri, 'net-start', name);
}
/** Stops the network (bridge and dnsmasq go away); the definition stays. */
export function netDestroyArgv(uri: string, name: string): Argv {
  return netCommand(uri, 'net-destroy', name);
}
export function netUndefineArgv(uri: string, name: string): Argv {
  return netCommand(uri, 'net-undefine', name);
}
export function netAutostartArgv(uri: string, name: string, enabled: boolean): Argv {
  return netCommand(uri, 'net-autostart', name, ...(enabled ? [] : ['--disable']));
}
export function netDhcpLeasesArgv(uri: string, name: string): Argv {
  return netCommand(uri, 'net-dhcp-leases', name);
}

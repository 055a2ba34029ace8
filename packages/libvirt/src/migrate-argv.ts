/**
 * virsh argv for live migration (migrate, domjobinfo, domjobabort) and the one remote URI Mirador ever
 * builds: the destination of `virsh migrate`, which the *source* host's virsh (or libvirtd with --p2p)
 * opens over SSH.
 *
 * uri.ts keeps `-c` to local endpoints; a migration needs a remote one, so it is built here from the
 * destination host's inventory fields (user, address, port, its libvirt endpoint), each validated, and is
 * always `qemu+ssh://user@host:port/system|session` with no query parameters: `?keyfile=`, `?command=`,
 * `?netcat=`, `?known_hosts=` would name files and programs on the source host. The SSH login therefore uses
 * the source user's own ~/.ssh (key and known_hosts), exactly as `virsh migrate` typed by an admin would.
 */
import { assertConnectionUri, type Argv } from './argv.js';
import { LibvirtValidationError, assertDomainName } from './names.js';
import { parseLibvirtUri, type LibvirtMode } from './uri.js';

/** POSIX-portable login names (useradd's default rule), no leading '-'. */
const SSH_USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;
/** DNS names (RFC 1123 labels) or dotted IPv4; IPv6 goes in brackets and is checked apart. */
const HOSTNAME_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_PATTERN = /^[0-9A-Fa-f:.]{2,45}$/;

export interface MigrationDestination {
  /** The destination host's local libvirt URI as stored in the inventory (qemu:///system or qemu:///session). */
  libvirtUri: string;
  /** How the source reaches the destination over SSH: the destination host's inventory address. */
  sshUser: string;
  sshHost: string;
  sshPort: number;
}

function invalid(field: string, message: string): never {
  throw new LibvirtValidationError('invalid-value', field, message);
}

function hostPart(host: string, field: string): string {
  if (HOSTNAME_PATTERN.test(host)) return host;
  if (host.includes(':') && IPV6_PATTERN.test(host)) return `[${host}]`;
  return invalid(field, `${JSON.stringify(host.slice(0, 80))} is not a host name or IP address.`);
}

/** `qemu+ssh://user@host:port/<mode>`: what the source host's virsh connects to. Only qemu migrates here. */
export function migrationDestinationUri(dest: MigrationDestination): string {
  const endpoint = parseLibvirtUri(dest.libvirtUri);
  if (!endpoint || endpoint.driver !== 'qemu') {
    invalid('destination.libvirtUri', 'Live migration is offered between QEMU/KVM hosts only (qemu:///system or qemu:///session).');
  }
  if (typeof dest.sshUser !== 'string' || !SSH_USER_PATTERN.test(dest.sshUser)) {
    invalid('destination.sshUser', 'The destination SSH user must be a plain login name (letters, digits, "_" and "-").');
  }
  if (!Number.isInteger(dest.sshPort) || dest.sshPort < 1 || dest.sshPort > 65535) {
    invalid('destination.sshPort', 'The destination SSH port must be between 1 and 65535.');
  }
  const mode: LibvirtMode = endpoint.mode;
  return `qemu+ssh://${dest.sshUser}@${hostPart(String(dest.sshHost), 'destination.sshHost')}:${dest.sshPort}/${mode}`;
}

/** Accepts only URIs this module builds (the migrate argv's positional destination). */
export function assertMigrationDestinationUri(uri: unknown, field = 'destination'): asserts uri is string {
  const refuse = () => invalid(field, 'The migration destination must be a qemu+ssh:// URI Mirador builds from the inventory.');
  const m = typeof uri === 'string' ? /^qemu\+ssh:\/\/([^@/?#]+)@(\[[^\]]+\]|[^:/?#]+):(\d{1,5})\/(system|session)$/.exec(uri) : null;
  if (!m) return refuse();
  const [, sshUser = '', bracketed = '', port = '', mode = ''] = m;
  const sshHost = bracketed.startsWith('[') ? bracketed.slice(1, -1) : bracketed;
  let rebuilt: string;
  try {
    rebuilt = migrationDestinationUri({ libvirtUri: `qemu:///${mode}`, sshUser, sshHost, sshPort: Number(port) });
  } catch {
    return refuse();
  }
  if (rebuilt !== uri) refuse();
}

export interface MigrateOptions {
  /** Keep the guest running while its memory is copied (default); false suspends it first. */
  live: boolean;
  /** Define the guest on the destination too (else it is transient there). */
  persistent: boolean;
  /** Remove the definition from the source once the destination runs it. */
  undefineSource: boolean;
  /**
   * The address the destination QEMU listens on for the memory stream, as tcp://<address>. Without it the
   * destination announces its own hostname, which must resolve from the source.
   */
  migrateAddress?: string;
  /** Copy every disk's contents over the migration stream (--copy-storage-all): no shared storage needed. */
  copyStorageAll?: boolean;
}

/** `virsh migrate` run on the source host; progress is polled with domjobinfo from another connection. */
export function migrateArgv(sourceUri: string, name: string, destinationUri: string, opts: MigrateOptions): Argv {
  assertConnectionUri(sourceUri);
  assertDomainName(name);
  assertMigrationDestinationUri(destinationUri);
  const flags = [
    ...(opts.live ? ['--live'] : []),
    ...(opts.persistent ? ['--persistent'] : []),
    ...(opts.undefineSource ? ['--undefinesource'] : []),
    ...(opts.copyStorageAll ? ['--copy-storage-all'] : []),
  ];
  if (opts.migrateAddress !== undefined) {
    flags.push('--migrateuri', `tcp://${hostPart(opts.migrateAddress, 'migrateAddress')}`);
  }
  // --verbose prints "Migration: [ 42 %]" to stderr; the task reads domjobinfo instead, which also has the speed.
  return ['virsh', '-c', sourceUri, 'migrate', ...flags, name, destinationUri];
}

/**
 * `virsh -c <destination> uri`, run on the SOURCE host: proves the source's own SSH login reaches the
 * destination's libvirt exactly as `virsh migrate` will. The URI is one built by migrationDestinationUri.
 */
export function migrationReachArgv(destinationUri: string): Argv {
  assertMigrationDestinationUri(destinationUri);
  return ['virsh', '-c', destinationUri, 'uri'];
}

/** `virsh freecell`: "Total: 19166280 KiB", the memory free for new guests on the host. */
export function freecellArgv(uri: string): Argv {
  assertConnectionUri(uri);
  return ['virsh', '-c', uri, 'freecell'];
}

/** Free memory in bytes from `virsh freecell` (the "Total:" line, or the one cell's line). */
export function parseFreecellBytes(text: string): number | undefined {
  const m = /(?:Total|\d+):\s*(\d+)\s*KiB/.exec(text);
  return m?.[1] ? Number(m[1]) * 1024 : undefined;
}

/** Active networks only (`net-list --name`): a NIC can only be plugged into a started network. */
export function activeNetworksArgv(uri: string): Argv {
  assertConnectionUri(uri);
  return ['virsh', '-c', uri, 'net-list', '--name'];
}

/**
 * The inactive definition WITH secrets (the VNC password), for an offline migration: it is defined on the
 * destination as it is, never stored or shown.
 */
export function offlineDumpxmlArgv(uri: string, name: string): Argv {
  assertConnectionUri(uri);
  assertDomainName(name);
  return ['virsh', '-c', uri, 'dumpxml', name, '--inactive', '--security-info'];
}

export function domjobinfoArgv(uri: string, name: string): Argv {
  assertConnectionUri(uri);
  assertDomainName(name);
  return ['virsh', '-c', uri, 'domjobinfo', name];
}

export function domjobabortArgv(uri: string, name: string): Argv {
  assertConnectionUri(uri);
  assertDomainName(name);
  return ['virsh', '-c', uri, 'domjobabort', name];
}

export interface MigrationJobInfo {
  /** "None" when no job runs (the migration finished or has not started). */
  jobType: string;
  operation?: string;
  elapsedMs?: number;
  dataProcessedBytes?: number;
  dataRemainingBytes?: number;
  dataTotalBytes?: number;
  /** Fraction done, from data processed / total, when both are known. */
  fraction?: number;
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

function bytesOf(value: string | undefined): number | undefined {
  const m = value ? /^([\d.]+)\s*(B|KiB|MiB|GiB|TiB)$/.exec(value) : null;
  return m?.[1] && m[2] ? Math.round(Number(m[1]) * (UNITS[m[2]] ?? 1)) : undefined;
}

/** `virsh domjobinfo` text ("Job type:  Unbounded", "Data remaining: 123.551 MiB", …). */
export function parseDomjobinfo(text: string): MigrationJobInfo {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const elapsed = /^(\d+)\s*ms$/.exec(fields.get('Time elapsed') ?? '');
  const info: MigrationJobInfo = {
    jobType: fields.get('Job type') ?? 'None',
    operation: fields.get('Operation'),
    elapsedMs: elapsed ? Number(elapsed[1]) : undefined,
    dataProcessedBytes: bytesOf(fields.get('Data processed')),
    dataRemainingBytes: bytesOf(fields.get('Data remaining')),
    dataTotalBytes: bytesOf(fields.get('Data total')),
  };
  if (info.dataProcessedBytes !== undefined && info.dataTotalBytes) {
    info.fraction = Math.min(1, info.dataProcessedBytes / info.dataTotalBytes);
  }
  return info;
}

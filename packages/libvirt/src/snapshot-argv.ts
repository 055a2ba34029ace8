/**
 * virsh argv for domain snapshots (snapshot-create-as, -list, -current, -dumpxml, -revert, -delete).
 * Like argv.ts, every builder returns the full argv starting with 'virsh' so the server runs and
 * shows the same line; names are checked here, the last point before they become arguments.
 */
import { assertConnectionUri, type Argv } from './argv.js';
import { LibvirtValidationError, assertDomainName } from './names.js';

/** Same shape as domain names: the name is a positional argument and lands in libvirt's metadata file name. */
export const SNAPSHOT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
export const SNAPSHOT_DESCRIPTION_MAX = 1000;

export function isValidSnapshotName(name: string): boolean {
  return SNAPSHOT_NAME_PATTERN.test(name);
}

export function assertSnapshotName(name: unknown, field = 'snapshot'): asserts name is string {
  if (typeof name !== 'string') throw new LibvirtValidationError('invalid-name', field, 'Snapshot name must be text.');
  if (SNAPSHOT_NAME_PATTERN.test(name)) return;
  if (name.length === 0) throw new LibvirtValidationError('invalid-name', field, 'Snapshot name cannot be empty.');
  if (name.length > 64)
    throw new LibvirtValidationError('invalid-name', field, `Snapshot name is ${name.length} characters long; the limit is 64.`);
  if (!/^[A-Za-z0-9]/.test(name))
    throw new LibvirtValidationError('invalid-name', field, 'Snapshot name must start with a letter or digit.');
  const bad = [...name].find((ch) => !/[A-Za-z0-9._+-]/.test(ch));
  const shown = bad === ' ' ? 'a space' : JSON.stringify(bad);
  throw new LibvirtValidationError(
    'invalid-name',
    field,
    `Snapshot name "${name}" contains ${shown}; use only letters, digits, ".", "_", "+" and "-".`,
  );
}

/** Free text stored in the snapshot's XML: one virsh argument (`--description=…`), printable, bounded. */
export function assertSnapshotDescription(text: unknown, field = 'description'): asserts text is string {
  if (typeof text !== 'string') throw new LibvirtValidationError('invalid-value', field, 'Description must be text.');
  if (text.length > SNAPSHOT_DESCRIPTION_MAX) {
    throw new LibvirtValidationError('invalid-value', field, `Description is longer than ${SNAPSHOT_DESCRIPTION_MAX} characters.`);
  }
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) {
    throw new LibvirtValidationError('invalid-value', field, 'Description must not contain control characters (line breaks are fine).');
  }
}

function snapshotCommand(uri: string, command: string, domain: string, ...args: string[]): Argv {
  assertConnectionUri(uri);
  assertDomainName(domain);
  return ['virsh', '-c', uri, command, domain, ...args];
}

export interface SnapshotCreateSpec {
  name: string;
  description?: string;
}

/**
 * An internal snapshot (QEMU savevm / qemu-img snapshot into each qcow2 disk). On a running VM it
 * always holds the memory too; --atomic makes a failure leave no half-made snapshot behind.
 */
export function snapshotCreateAsArgv(uri: string, domain: string, spec: SnapshotCreateSpec): Argv {
  assertSnapshotName(spec.name, 'name');
  const extra: string[] = [];
  if (spec.description) {
    assertSnapshotDescription(spec.description);
    // The '=' form keeps a description that starts with '-' from reading as an option.
    extra.push(`--description=${spec.description}`);
  }
  return snapshotCommand(uri, 'snapshot-create-as', domain, '--name', spec.name, ...extra, '--atomic');
}

export function snapshotListNamesArgv(uri: string, domain: string): Argv {
  return snapshotCommand(uri, 'snapshot-list', domain, '--name');
}
/** Prints nothing (and an error on stderr) when the VM has no current snapshot. */
export function snapshotCurrentArgv(uri: string, domain: string): Argv {
  return snapshotCommand(uri, 'snapshot-current', domain, '--name');
}
/**
 * Reads one snapshot. Listing also reads snapshots made outside Mirador, whose names may not
 * follow its rules: those go as one `--snapshotname=` argument (never positional), and only
 * printable names are accepted.
 */
export function snapshotDumpxmlArgv(uri: string, domain: string, snapshot: string): Argv {
  if (typeof snapshot !== 'string' || snapshot === '' || /[\u0000-\u001f\u007f]/.test(snapshot)) {
    throw new LibvirtValidationError('invalid-name', 'snapshot', 'Snapshot name must be printable text.');
  }
  return snapshotCommand(uri, 'snapshot-dumpxml', domain, `--snapshotname=${snapshot}`);
}

/** Back to the snapshot's disks (and memory, if it holds it); `running` starts the VM from a disk-only one. */
export function snapshotRevertArgv(uri: string, domain: string, snapshot: string, opts: { running?: boolean } = {}): Argv {
  assertSnapshotName(snapshot);
  return snapshotCommand(uri, 'snapshot-revert', domain, snapshot, ...(opts.running ? ['--running'] : []));
}

/** Without `children`, libvirt re-parents the children onto the deleted snapshot's parent. */
export function snapshotDeleteArgv(uri: string, domain: string, snapshot: string, opts: { children?: boolean } = {}): Argv {
  assertSnapshotName(snapshot);
  return snapshotCommand(uri, 'snapshot-delete', domain, snapshot, ...(opts.children ? ['--children'] : []));
}

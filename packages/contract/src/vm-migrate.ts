import { Type, type Static } from 'typebox';

/**
 * Live migration of a running VM to another host of the inventory (`virsh migrate --live`). The
 * destination is always an inventory host (never a typed URI): Mirador builds the `qemu+ssh://`
 * destination from that host's SSH user, address, port and libvirt endpoint, and the SOURCE host's
 * virsh opens it with its own SSH login. A pre-flight checklist runs first; the migration is refused
 * (409) unless every check passes or could not be checked. A shut-off VM is moved offline: its inactive
 * definition is defined on the destination (disks must already be there) and undefined on the source.
 */
export const MigrateVmBody = Type.Object(
  {
    /** The inventory host to move the VM to (a host id, never a URI). */
    destinationHostId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
    /** Remove the definition from the source once the destination runs it (default true). */
    undefineSource: Type.Optional(Type.Boolean()),
    /** Copy the disks' contents too (--copy-storage-all) instead of expecting them at the same paths. */
    copyStorage: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type MigrateVmBody = Static<typeof MigrateVmBody>;

export const MigrationCheck = Type.Object({
  /** Stable id: destination, reach, name, machine, cpu, networks, disks, memory, state, same-host. */
  id: Type.String(),
  /** true: passed; false: fails (migration refused); null: could not be checked (allowed, said so). */
  ok: Type.Union([Type.Boolean(), Type.Null()]),
  title: Type.String(),
  detail: Type.String(),
  /** What to do about a failure: a command line or an instruction. */
  fix: Type.Optional(Type.String()),
});
export type MigrationCheck = Static<typeof MigrationCheck>;

export const MigrationPreflight = Type.Object({
  /** No check failed: the migration may run. */
  ok: Type.Boolean(),
  sourceHostName: Type.String(),
  destinationHostName: Type.String(),
  /** The qemu+ssh:// URI the source's virsh opens (null when the destination has no usable endpoint). */
  destinationUri: Type.Union([Type.String(), Type.Null()]),
  /** The lines that run: `virsh migrate …` on the source (live), or dumpxml / define / undefine (offline). */
  command: Type.Union([Type.String(), Type.Null()]),
  checks: Type.Array(MigrationCheck),
});
export type MigrationPreflight = Static<typeof MigrationPreflight>;

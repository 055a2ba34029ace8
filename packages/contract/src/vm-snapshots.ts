import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';
import { VmParams } from './vms.js';

/** Mirrors @mirador/libvirt's SNAPSHOT_NAME_PATTERN (the server checks again before anything runs). */
export const SNAPSHOT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$';

export const SnapshotName = Type.String({ pattern: SNAPSHOT_NAME_PATTERN, minLength: 1, maxLength: 64 });
export const VmSnapshotParams = Type.Object({ ...VmParams.properties, snapshot: SnapshotName });
export type VmSnapshotParams = Static<typeof VmSnapshotParams>;

export const VmSnapshot = Type.Object({
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Union([Timestamp, Type.Null()]),
  /** The VM's state when it was taken (libvirt's words: running, paused, shutoff, disk-snapshot). */
  state: Type.String(),
  /** It holds the VM's memory: reverting resumes the guest where it was. */
  memory: Type.Boolean(),
  /** internal (inside the qcow2 disks) or external (overlay files). */
  location: Type.Union([Type.Literal('internal'), Type.Literal('external')]),
  parent: Type.Union([Type.String(), Type.Null()]),
  children: Type.Array(Type.String()),
  /** How far from its root (draws the tree; the list is in tree order). */
  depth: Type.Integer({ minimum: 0 }),
  /** libvirt's current snapshot: the one the VM's present state grew from. */
  current: Type.Boolean(),
  /** False for a snapshot made outside Mirador whose name Mirador will not pass to virsh. */
  manageable: Type.Boolean(),
  commands: Type.Object({ revert: Type.String(), delete: Type.String(), deleteWithChildren: Type.String() }),
});
export type VmSnapshot = Static<typeof VmSnapshot>;

export const VmSnapshotList = Type.Object({
  items: Type.Array(VmSnapshot),
  current: Type.Union([Type.String(), Type.Null()]),
  /** Whether a snapshot can be taken now, and if not, why (disk formats, no disk). */
  canCreate: Type.Boolean(),
  createRefusal: Type.Union([Type.String(), Type.Null()]),
  commands: Type.Object({ list: Type.String() }),
});
export type VmSnapshotList = Static<typeof VmSnapshotList>;

export const CreateSnapshotBody = Type.Object({
  name: SnapshotName,
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  /**
   * Keep the memory of a running VM (the default). An internal snapshot of a running VM always
   * holds it, so false is refused while it runs.
   */
  memory: Type.Optional(Type.Boolean()),
});
export type CreateSnapshotBody = Static<typeof CreateSnapshotBody>;

export const SnapshotPreview = Type.Object({ command: Type.String(), warnings: Type.Array(Type.String()) });
export type SnapshotPreview = Static<typeof SnapshotPreview>;

export const DeleteSnapshotQuery = Type.Object({
  /** Also delete every snapshot below it; otherwise they are re-attached to its parent. */
  children: Type.Optional(Type.Boolean()),
});
export type DeleteSnapshotQuery = Static<typeof DeleteSnapshotQuery>;

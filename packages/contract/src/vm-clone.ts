import { Type, type Static } from 'typebox';
import { VmName } from './vms.js';

/**
 * Clone a VM like `virt-clone --original SRC --name NEW --auto-clone`: a new definition with a new
 * UUID and new MAC addresses, every pool-volume disk copied into its own pool (`copy`, a full copy)
 * or made a qcow2 on top of the source's disk (`linked`, the source's disk becomes its backing file).
 * CD-ROMs are shared as they are. Runs as a task; a running source is only cloned with
 * `allowRunningSource` (it is paused for the copy and resumed after: a crash-consistent copy).
 */
export const CloneDiskMode = Type.Union([Type.Literal('copy'), Type.Literal('linked')]);
export type CloneDiskMode = Static<typeof CloneDiskMode>;

export const CloneVmBody = Type.Object(
  {
    name: VmName,
    disks: CloneDiskMode,
    /** Start the clone when it is defined (default false). */
    start: Type.Optional(Type.Boolean()),
    /** The source may be running: it is suspended for the copy and resumed after, always. */
    allowRunningSource: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CloneVmBody = Static<typeof CloneVmBody>;

export const ClonePlanDisk = Type.Object({
  target: Type.String(),
  device: Type.String(),
  /** What the source uses: pool/volume or a path. */
  source: Type.String(),
  /** copy | linked for pool volumes; shared for CD-ROMs (kept as they are). */
  action: Type.Union([Type.Literal('copy'), Type.Literal('linked'), Type.Literal('shared')]),
  /** The new volume (pool/volume), null when shared. */
  newVolume: Type.Union([Type.String(), Type.Null()]),
  format: Type.Union([Type.String(), Type.Null()]),
  capacityBytes: Type.Union([Type.Integer(), Type.Null()]),
});
export type ClonePlanDisk = Static<typeof ClonePlanDisk>;

/** What a clone request will do (the dialog shows it before confirming; nothing runs). */
export const ClonePreview = Type.Object({
  /** The virt-clone line a person would type for the same clone. */
  command: Type.String(),
  /** The virsh lines Mirador runs, in order. */
  commands: Type.Array(Type.String()),
  disks: Type.Array(ClonePlanDisk),
  /** The source is running: needs allowRunningSource (it will be suspended during the copy). */
  sourceRunning: Type.Boolean(),
  warnings: Type.Array(Type.String()),
});
export type ClonePreview = Static<typeof ClonePreview>;

import { Type, type Static } from 'typebox';
import { HostPath, POOL_NAME_PATTERN, VOLUME_NAME_PATTERN, VmParams, VmState } from './vms.js';

/**
 * Hot-plug devices of a VM: `/api/hosts/:hostId/vms/:name/disks` and `/nics`. Every change says
 * whether it goes to the running VM (`live`, virsh --live), the persistent definition (`persistent`,
 * --config) or both; left out, both apply where they can (live only when running, persistent only
 * for defined VMs). Every answer carries the virsh lines that ran.
 */

export const DiskBus = Type.Union([Type.Literal('virtio'), Type.Literal('sata'), Type.Literal('scsi'), Type.Literal('ide')]);
export type DiskBus = Static<typeof DiskBus>;
export const DiskCacheMode = Type.Union([
  Type.Literal('default'),
  Type.Literal('none'),
  Type.Literal('writeback'),
  Type.Literal('writethrough'),
  Type.Literal('directsync'),
  Type.Literal('unsafe'),
]);
export type DiskCacheMode = Static<typeof DiskCacheMode>;
export const NicModel = Type.Union([Type.Literal('virtio'), Type.Literal('e1000'), Type.Literal('e1000e'), Type.Literal('rtl8139')]);
export type NicModel = Static<typeof NicModel>;

/** Mirrors DISK_TARGET_PATTERN in @mirador/libvirt. */
export const DISK_TARGET_PATTERN = '^(?:vd|sd|hd|xvd)[a-z]{1,2}$';
/** Loose on purpose: the server says precisely what is wrong with a MAC (multicast, all zeros…). */
export const MacAddress = Type.String({ minLength: 1, maxLength: 32 });

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const VmDeviceDisk = Type.Object({
  target: Type.String(),
  /** disk | cdrom | floppy | lun */
  device: Type.String(),
  /** file | block | volume | network… */
  type: Type.String(),
  bus: Nullable(Type.String()),
  /** File or block path; null for pool volumes, network disks and an empty CD-ROM drive. */
  path: Nullable(Type.String()),
  pool: Nullable(Type.String()),
  volume: Nullable(Type.String()),
  format: Nullable(Type.String()),
  cache: Nullable(Type.String()),
  readonly: Type.Boolean(),
  /** Capacity as the storage pool reports it (vol-dumpxml); null when it cannot say. */
  capacityBytes: Type.Union([Type.Integer(), Type.Null()]),
  /** In the running VM now. */
  live: Type.Boolean(),
  /** In the persistent definition (there at the next boot). */
  persistent: Type.Boolean(),
});
export type VmDeviceDisk = Static<typeof VmDeviceDisk>;

export const VmDiskList = Type.Object({
  disks: Type.Array(VmDeviceDisk),
  /** The machine type (pc-q35-…, pc-i440fx-…): it decides which buses exist. */
  machine: Type.Union([Type.String(), Type.Null()]),
  state: VmState,
  persistent: Type.Boolean(),
});
export type VmDiskList = Static<typeof VmDiskList>;

const Scope = {
  /** Change the running VM (hot-plug). Default: when it runs. */
  live: Type.Optional(Type.Boolean()),
  /** Change the persistent definition. Default: when the VM is defined. */
  persistent: Type.Optional(Type.Boolean()),
};

export const AttachDiskSource = Type.Union([
  Type.Object({
    kind: Type.Literal('new'),
    pool: Type.String({ pattern: POOL_NAME_PATTERN, maxLength: 64 }),
    name: Type.String({ pattern: VOLUME_NAME_PATTERN, maxLength: 128 }),
    sizeMiB: Type.Integer({ minimum: 1, maximum: 16 * 1024 * 1024 }),
    format: Type.Optional(Type.Union([Type.Literal('qcow2'), Type.Literal('raw')])),
  }),
  Type.Object({
    kind: Type.Literal('volume'),
    pool: Type.String({ pattern: POOL_NAME_PATTERN, maxLength: 64 }),
    volume: Type.String({ pattern: VOLUME_NAME_PATTERN, maxLength: 128 }),
  }),
  /** An ISO image on the host, attached as a CD-ROM. */
  Type.Object({ kind: Type.Literal('iso'), path: HostPath }),
]);
export type AttachDiskSource = Static<typeof AttachDiskSource>;

export const AttachDiskBody = Type.Object({
  source: AttachDiskSource,
  /** Default: virtio for disks; SATA (q35) or IDE (pc) for a CD-ROM. */
  bus: Type.Optional(DiskBus),
  cache: Type.Optional(DiskCacheMode),
  readonly: Type.Optional(Type.Boolean()),
  ...Scope,
});
export type AttachDiskBody = Static<typeof AttachDiskBody>;

/** What an attach/detach/change did (or, for a preview, would do). */
export const VmDeviceChange = Type.Object({
  /** The virsh lines, in order, as they run (the XML goes on stdin: `< disk.xml`). */
  commands: Type.Array(Type.String()),
  /** The device XML sent to libvirt, when there is one. */
  xml: Type.Optional(Type.String()),
  /** The disk target or NIC MAC the change was about (chosen by the server when attaching). */
  device: Type.String(),
  warnings: Type.Array(Type.String()),
});
export type VmDeviceChange = Static<typeof VmDeviceChange>;

export const VmDiskParams = Type.Object({ ...VmParams.properties, target: Type.String({ pattern: DISK_TARGET_PATTERN, maxLength: 8 }) });
export type VmDiskParams = Static<typeof VmDiskParams>;

export const DetachDiskQuery = Type.Object({
  ...Scope,
  /** Also delete the volume (vol-delete) once detached. Never the default. */
  deleteVolume: Type.Optional(Type.Boolean({ default: false })),
});
export type DetachDiskQuery = Static<typeof DetachDiskQuery>;

/** One object rather than a union, so a bad path is reported as `path` (a union names only its first branch). */
export const DiskMediaBody = Type.Object({
  action: Type.Union([Type.Literal('eject'), Type.Literal('insert')]),
  /** The ISO to insert (required for insert). */
  path: Type.Optional(HostPath),
  ...Scope,
});
export type DiskMediaBody = Static<typeof DiskMediaBody>;

export const VmDeviceNic = Type.Object({
  mac: Nullable(Type.String()),
  /** network | bridge | direct | user… */
  type: Type.String(),
  /** Network name, bridge or host device. */
  source: Nullable(Type.String()),
  /** The host bridge a running network NIC is plugged into. */
  bridge: Nullable(Type.String()),
  model: Nullable(Type.String()),
  link: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  /** Host-side tap device while running (vnet0). */
  targetDev: Nullable(Type.String()),
  live: Type.Boolean(),
  persistent: Type.Boolean(),
});
export type VmDeviceNic = Static<typeof VmDeviceNic>;

export const VmNicList = Type.Object({ nics: Type.Array(VmDeviceNic), state: VmState, persistent: Type.Boolean() });
export type VmNicList = Static<typeof VmNicList>;

export const AttachNicBody = Type.Object({
  kind: Type.Union([Type.Literal('network'), Type.Literal('bridge')]),
  /** The libvirt network's name, or the host bridge's. */
  source: Type.String({ minLength: 1, maxLength: 64 }),
  model: Type.Optional(NicModel),
  /** Left out: Mirador makes a 52:54:00:xx:xx:xx no NIC on the host has. */
  mac: Type.Optional(MacAddress),
  ...Scope,
});
export type AttachNicBody = Static<typeof AttachNicBody>;

export const VmNicParams = Type.Object({ ...VmParams.properties, mac: MacAddress });
export type VmNicParams = Static<typeof VmNicParams>;

export const DetachNicQuery = Type.Object({ ...Scope });
export type DetachNicQuery = Static<typeof DetachNicQuery>;

export const SetNicLinkBody = Type.Object({ link: Type.Union([Type.Literal('up'), Type.Literal('down')]), ...Scope });
export type SetNicLinkBody = Static<typeof SetNicLinkBody>;

import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

/**
 * The lecture's "VMs vs containers" made from the inventory (`GET /api/compare`) and measured on real
 * runs a user triggers (`POST /api/compare/measurements`, a task that makes and removes a throwaway VM
 * and container). Sizes are bytes, durations milliseconds.
 */

/** Every object the measurement makes starts with this, so a leftover is recognisable (and cleaned). */
export const COMPARE_NAME_PREFIX = 'mirador-compare-';

/** How much memory a host has free right now, and where that figure comes from. */
export const CompareMemory = Type.Object({
  totalBytes: Type.Number(),
  freeBytes: Type.Number(),
  /** `libvirt`: `virsh nodememstats` (free + buffers + cached); `engine`: the engine's MemTotal minus its containers' RSS. */
  source: Type.Union([Type.Literal('libvirt'), Type.Literal('engine')]),
});
export type CompareMemory = Static<typeof CompareMemory>;

export const CompareVm = Type.Object({
  name: Type.String(),
  state: Type.String(),
  /** What the definition gives the guest (`<memory>`). */
  memoryBytes: Type.Number(),
  /** QEMU's resident memory (balloon.rss) while running; null when shut off. */
  memoryUsedBytes: Type.Union([Type.Number(), Type.Null()]),
  /** Sum of the disks' virtual sizes (what the guest sees). */
  diskCapacityBytes: Type.Number(),
  /** Sum of what the disks take on the host (sparse/qcow2 files grow as written). */
  diskAllocationBytes: Type.Number(),
});
export type CompareVm = Static<typeof CompareVm>;

export const CompareContainer = Type.Object({
  id: Type.String(),
  name: Type.String(),
  image: Type.String(),
  imageId: Type.String(),
  state: Type.String(),
  /** Memory in use without page cache (`docker stats`); null when not running. */
  rssBytes: Type.Union([Type.Number(), Type.Null()]),
});
export type CompareContainer = Static<typeof CompareContainer>;

/** One image as `docker system df -v` lists it. */
export const CompareImage = Type.Object({
  id: Type.String(),
  tags: Type.Array(Type.String()),
  sizeBytes: Type.Number(),
  /** Bytes of layers this image shares with at least one other image. */
  sharedBytes: Type.Number(),
  uniqueBytes: Type.Number(),
  containers: Type.Integer(),
});
export type CompareImage = Static<typeof CompareImage>;

/** How many more of a typical guest/container fit the host's free memory. */
export const CompareDensity = Type.Object({
  typicalBytes: Type.Union([Type.Number(), Type.Null()]),
  /** `median` of what runs there now, or the `default` size when nothing does (VMs: 512 MiB; containers: none). */
  basis: Type.Union([Type.Literal('median'), Type.Literal('default'), Type.Literal('none')]),
  fits: Type.Union([Type.Integer(), Type.Null()]),
});
export type CompareDensity = Static<typeof CompareDensity>;

export const CompareVmSide = Type.Object({
  items: Type.Array(CompareVm),
  memoryBytes: Type.Number(),
  memoryUsedBytes: Type.Number(),
  diskCapacityBytes: Type.Number(),
  diskAllocationBytes: Type.Number(),
  /** `kvm` (hardware virtualisation) or `qemu` (TCG emulation), from the host's capabilities / definitions. */
  hypervisor: Type.Union([Type.String(), Type.Null()]),
});
export type CompareVmSide = Static<typeof CompareVmSide>;

export const CompareContainerSide = Type.Object({
  items: Type.Array(CompareContainer),
  rssBytes: Type.Number(),
  images: Type.Array(CompareImage),
  /** Every image's size added up, as `docker images` shows them: shared layers counted once per image. */
  imagesListedBytes: Type.Number(),
  /** What the layers take on disk, shared layers counted ONCE (`docker system df`: LayersSize). */
  imagesOnDiskBytes: Type.Number(),
  /** The difference: what sharing layers saves. */
  imagesSavedBytes: Type.Number(),
  /** The one kernel every container shares (the engine's host kernel). */
  kernel: Type.Union([Type.String(), Type.Null()]),
  runtime: Type.Union([Type.String(), Type.Null()]),
  /** The engine's security options (seccomp, apparmor, selinux, userns, rootless, cgroupns). */
  securityOptions: Type.Array(Type.String()),
});
export type CompareContainerSide = Static<typeof CompareContainerSide>;

export const CompareHost = Type.Object({
  hostId: Type.String(),
  hostName: Type.String(),
  memory: Type.Union([CompareMemory, Type.Null()]),
  vms: Type.Union([CompareVmSide, Type.Null()]),
  containers: Type.Union([CompareContainerSide, Type.Null()]),
  density: Type.Object({ vm: CompareDensity, container: CompareDensity }),
  /** The command lines that read the same figures by hand. */
  commands: Type.Array(Type.String()),
  /** What could not be read (the rest is still shown). */
  problems: Type.Array(Type.String()),
});
export type CompareHost = Static<typeof CompareHost>;

export const CompareOverview = Type.Object({ at: Timestamp, hosts: Type.Array(CompareHost) });
export type CompareOverview = Static<typeof CompareOverview>;

/** Start a measurement: which libvirt host makes the VM and which engine makes the container. */
export const CompareMeasureBody = Type.Object(
  {
    vmHostId: Type.String({ minLength: 1, maxLength: 64 }),
    engineHostId: Type.String({ minLength: 1, maxLength: 64 }),
    /** An image already on the engine (never pulled); default: the lab's small image when present. */
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);
export type CompareMeasureBody = Static<typeof CompareMeasureBody>;

/** One step of a measurement, with the command a person would type for it. */
export const CompareStep = Type.Object({
  what: Type.String(),
  command: Type.String(),
  ms: Type.Number(),
});
export type CompareStep = Static<typeof CompareStep>;

export const CompareMeasurement = Type.Object({
  measuredAt: Timestamp,
  taskId: Type.String(),
  userName: Type.Union([Type.String(), Type.Null()]),
  vm: Type.Object({
    hostId: Type.String(),
    hostName: Type.String(),
    name: Type.String(),
    hypervisor: Type.String(),
    /** `virsh start` to the guest's shell prompt on the serial console. */
    bootMs: Type.Number(),
    memoryBytes: Type.Number(),
    memoryRssBytes: Type.Union([Type.Number(), Type.Null()]),
    diskCapacityBytes: Type.Number(),
    diskAllocationBytes: Type.Number(),
    /** Kernel + initrd the guest boots from (host files). */
    bootFilesBytes: Type.Number(),
  }),
  container: Type.Object({
    hostId: Type.String(),
    hostName: Type.String(),
    name: Type.String(),
    image: Type.String(),
    /** `docker start` to the container's first log line. */
    startMs: Type.Number(),
    rssBytes: Type.Union([Type.Number(), Type.Null()]),
    imageBytes: Type.Number(),
  }),
  steps: Type.Array(CompareStep),
});
export type CompareMeasurement = Static<typeof CompareMeasurement>;

export const CompareMeasurements = Type.Object({ last: Type.Union([CompareMeasurement, Type.Null()]) });
export type CompareMeasurements = Static<typeof CompareMeasurements>;

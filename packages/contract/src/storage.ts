import { Type, type Static } from 'typebox';
import { HOST_PATH_PATTERN, POOL_NAME_PATTERN, VOLUME_NAME_PATTERN } from './vms.js';

/** 1 PiB: far beyond any lab disk, well inside what libvirt and JSON numbers hold exactly. */
export const VOLUME_BYTES_MAX = 1024 ** 5;

export const PoolName = Type.String({ pattern: POOL_NAME_PATTERN, minLength: 1, maxLength: 64 });
export const VolumeName = Type.String({ pattern: VOLUME_NAME_PATTERN, minLength: 1, maxLength: 128 });
const Bytes = Type.Integer({ minimum: 1, maximum: VOLUME_BYTES_MAX });

export const StoragePoolParams = Type.Object({ hostId: Type.String({ minLength: 1, maxLength: 64 }), pool: PoolName });
export type StoragePoolParams = Static<typeof StoragePoolParams>;
export const StorageVolumeParams = Type.Object({ ...StoragePoolParams.properties, volume: VolumeName });
export type StorageVolumeParams = Static<typeof StorageVolumeParams>;

export const PoolState = Type.Union([
  Type.Literal('running'),
  Type.Literal('inactive'),
  Type.Literal('building'),
  Type.Literal('degraded'),
  Type.Literal('inaccessible'),
  Type.Literal('unknown'),
]);
export type PoolState = Static<typeof PoolState>;

export const StoragePoolSummary = Type.Object({
  name: Type.String(),
  uuid: Type.Union([Type.String(), Type.Null()]),
  /** dir, fs, netfs, logical, iscsi… (Mirador creates only dir). */
  type: Type.String(),
  state: PoolState,
  autostart: Type.Boolean(),
  persistent: Type.Boolean(),
  capacityBytes: Type.Union([Type.Number(), Type.Null()]),
  allocationBytes: Type.Union([Type.Number(), Type.Null()]),
  availableBytes: Type.Union([Type.Number(), Type.Null()]),
  targetPath: Type.Union([Type.String(), Type.Null()]),
  /** Null while the pool is not running (libvirt lists no volumes then). */
  volumeCount: Type.Union([Type.Integer(), Type.Null()]),
});
export type StoragePoolSummary = Static<typeof StoragePoolSummary>;

export const StoragePoolList = Type.Object({ items: Type.Array(StoragePoolSummary) });
export type StoragePoolList = Static<typeof StoragePoolList>;

/** The virsh line of every action on a pool (teaching aid, shown next to the buttons). */
export const PoolCommands = Type.Object({
  start: Type.String(),
  stop: Type.String(),
  refresh: Type.String(),
  autostartOn: Type.String(),
  autostartOff: Type.String(),
  delete: Type.Array(Type.String()),
});
export type PoolCommands = Static<typeof PoolCommands>;

export const StoragePoolDetail = Type.Object({ ...StoragePoolSummary.properties, xml: Type.String(), commands: PoolCommands });
export type StoragePoolDetail = Static<typeof StoragePoolDetail>;

export const CreatePoolBody = Type.Object({
  name: PoolName,
  /** Absolute directory on the host; created by `pool-build` when missing. */
  path: Type.String({ pattern: HOST_PATH_PATTERN, minLength: 2, maxLength: 4096 }),
  autostart: Type.Optional(Type.Boolean({ default: true })),
});
export type CreatePoolBody = Static<typeof CreatePoolBody>;

export const CreatePoolPreview = Type.Object({
  xml: Type.String(),
  /** pool-define, pool-build (only when the directory is missing), pool-start, pool-autostart. */
  commands: Type.Array(Type.String()),
  /** The directory after following symbolic links on the host: what the definition names. */
  resolvedPath: Type.String(),
  /** False when the directory does not exist yet (pool-build creates it). */
  exists: Type.Boolean(),
});
export type CreatePoolPreview = Static<typeof CreatePoolPreview>;

/** Every mutation answers with the virsh lines it ran, in order. */
export const StorageActionResult = Type.Object({ commands: Type.Array(Type.String()) });
export type StorageActionResult = Static<typeof StorageActionResult>;
export const PoolActionResult = Type.Object({ pool: StoragePoolSummary, commands: Type.Array(Type.String()) });
export type PoolActionResult = Static<typeof PoolActionResult>;

export const PoolAutostartBody = Type.Object({ enabled: Type.Boolean() });
export type PoolAutostartBody = Static<typeof PoolAutostartBody>;

export const StorageVolume = Type.Object({
  name: Type.String(),
  path: Type.Union([Type.String(), Type.Null()]),
  /** From vol-dumpxml: qcow2, raw, iso…; null when libvirt does not know. */
  format: Type.Union([Type.String(), Type.Null()]),
  type: Type.String(),
  capacityBytes: Type.Number(),
  allocationBytes: Type.Number(),
  /** Names of the VMs (any state) whose definition uses this volume. */
  usedBy: Type.Array(Type.String()),
});
export type StorageVolume = Static<typeof StorageVolume>;
export const StorageVolumeList = Type.Object({ items: Type.Array(StorageVolume) });
export type StorageVolumeList = Static<typeof StorageVolumeList>;

export const VolumeFormat = Type.Union([Type.Literal('qcow2'), Type.Literal('raw')]);
export type VolumeFormat = Static<typeof VolumeFormat>;

export const CreateStorageVolumeBody = Type.Object({ name: VolumeName, format: VolumeFormat, capacityBytes: Bytes });
export type CreateStorageVolumeBody = Static<typeof CreateStorageVolumeBody>;
export const ResizeVolumeBody = Type.Object({ capacityBytes: Bytes });
export type ResizeVolumeBody = Static<typeof ResizeVolumeBody>;
export const VolumeActionResult = Type.Object({ volume: StorageVolume, commands: Type.Array(Type.String()) });
export type VolumeActionResult = Static<typeof VolumeActionResult>;

/** An ISO is stored as a raw volume; the format only decides how libvirt labels the file. */
export const UploadVolumeFormat = Type.Union([Type.Literal('raw'), Type.Literal('iso'), Type.Literal('qcow2')]);
export type UploadVolumeFormat = Static<typeof UploadVolumeFormat>;
/** The upload's body is the file itself (application/octet-stream, content-length required). */
export const UploadVolumeQuery = Type.Object({ name: VolumeName, format: UploadVolumeFormat });
export type UploadVolumeQuery = Static<typeof UploadVolumeQuery>;

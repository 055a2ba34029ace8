import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';
import { DOCKER_NETWORK_NAME_PATTERN, DOCKER_VOLUME_NAME_PATTERN, IMAGE_REF_PATTERN } from './docker.js';

// ---- images --------------------------------------------------------------------------------------------

/** `:image` is an image ID (`sha256:…` or a prefix) or a URL-encoded reference (`labbox%3Alatest`). */
export const ImageParams = Type.Object({
  hostId: Type.String({ minLength: 1, maxLength: 64 }),
  image: Type.String({ minLength: 1, maxLength: 512, pattern: IMAGE_REF_PATTERN }),
});
export type ImageParams = Static<typeof ImageParams>;

export const ImageSummary = Type.Object({
  hostId: Type.String(),
  id: Type.String(),
  tags: Type.Array(Type.String()),
  digests: Type.Array(Type.String()),
  sizeBytes: Type.Number(),
  createdAt: Timestamp,
  dangling: Type.Boolean(),
  /** Names of the containers (any state) created from it. */
  containers: Type.Array(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
});
export type ImageSummary = Static<typeof ImageSummary>;
export const ImageList = Type.Object({ items: Type.Array(ImageSummary) });
export type ImageList = Static<typeof ImageList>;

export const ImageHistoryEntry = Type.Object({
  id: Type.String(),
  createdAt: Timestamp,
  createdBy: Type.String(),
  sizeBytes: Type.Number(),
  comment: Type.String(),
  tags: Type.Array(Type.String()),
});
export const ImageDetail = Type.Object({
  image: ImageSummary,
  history: Type.Array(ImageHistoryEntry),
  /** RootFS layer digests. */
  layers: Type.Array(Type.String()),
  inspect: Type.Unknown(),
  /** True when environment, ARG and build-argument values show as `[hidden]` to this reader (viewers, unless the engine allows it); the export download is refused then too. */
  envValuesHidden: Type.Optional(Type.Boolean()),
});
export type ImageDetail = Static<typeof ImageDetail>;

export const PullImageBody = Type.Object({
  image: Type.String({ minLength: 1, maxLength: 512, pattern: IMAGE_REF_PATTERN }),
  /** Stored registry credentials to use; default: the one whose address matches the image's registry. */
  registryId: Type.Optional(Type.String({ maxLength: 64 })),
});
export type PullImageBody = Static<typeof PullImageBody>;

export const TagImageBody = Type.Object({
  /** The new reference, e.g. `registry.lab:5000/course/web:1.0`. */
  target: Type.String({ minLength: 1, maxLength: 512, pattern: IMAGE_REF_PATTERN }),
});
export type TagImageBody = Static<typeof TagImageBody>;

export const PushImageBody = Type.Object({ registryId: Type.Optional(Type.String({ maxLength: 64 })) });
export type PushImageBody = Static<typeof PushImageBody>;

export const RemoveImageQuery = Type.Object({
  force: Type.Optional(Type.Boolean()),
  /**
   * Remove only this tag (`docker rmi <repo:tag>`): the reference must be one of the image's tags
   * (never an ID or digest), and `force` never widens it to the image's other tags. The image
   * itself goes only when this was its last tag, as with the CLI.
   */
  untag: Type.Optional(Type.Boolean()),
});
export type RemoveImageQuery = Static<typeof RemoveImageQuery>;

export const RemoveImageResult = Type.Object({
  untagged: Type.Array(Type.String()),
  deleted: Type.Array(Type.String()),
  command: Type.String(),
});
export type RemoveImageResult = Static<typeof RemoveImageResult>;

export const PruneQuery = Type.Object({
  /** Images: every image without a container, not only dangling ones (`docker image prune -a`). */
  all: Type.Optional(Type.Boolean()),
});
export type PruneQuery = Static<typeof PruneQuery>;

/** What a prune would delete (preview) or deleted. */
export const PruneResult = Type.Object({
  items: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), sizeBytes: Type.Number() })),
  reclaimedBytes: Type.Number(),
  command: Type.String(),
});
export type PruneResult = Static<typeof PruneResult>;

export const BuildImageQuery = Type.Object({
  /** `name[:tag]` to give the result. */
  tag: Type.String({ minLength: 1, maxLength: 512, pattern: IMAGE_REF_PATTERN }),
  /** Path of the Dockerfile inside a context tarball (default `Dockerfile`). */
  dockerfile: Type.Optional(Type.String({ maxLength: 1024, pattern: '^[A-Za-z0-9._/-]{1,1024}$' })),
  pull: Type.Optional(Type.Boolean()),
  noCache: Type.Optional(Type.Boolean()),
});
export type BuildImageQuery = Static<typeof BuildImageQuery>;

export const ImportImageQuery = Type.Object({
  /**
   * `load`: a `docker save` archive (images with their tags); `rootfs`: a filesystem tarball
   * made into a one-layer image (`docker import`), which needs `tag`.
   */
  format: Type.Optional(Type.Union([Type.Literal('load'), Type.Literal('rootfs')])),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: IMAGE_REF_PATTERN })),
});
export type ImportImageQuery = Static<typeof ImportImageQuery>;

/** Per-layer progress of a pull or push (task detail, pushed as `task.progress` detail). */
export const LayerProgress = Type.Object({
  id: Type.String(),
  status: Type.String(),
  current: Type.Union([Type.Number(), Type.Null()]),
  total: Type.Union([Type.Number(), Type.Null()]),
});
export type LayerProgress = Static<typeof LayerProgress>;

// ---- volumes --------------------------------------------------------------------------------------------

export const VolumeParams = Type.Object({
  hostId: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.String({ pattern: DOCKER_VOLUME_NAME_PATTERN, minLength: 1, maxLength: 128 }),
});
export type VolumeParams = Static<typeof VolumeParams>;

export const VolumeSummary = Type.Object({
  hostId: Type.String(),
  name: Type.String(),
  driver: Type.String(),
  mountpoint: Type.String(),
  scope: Type.String(),
  createdAt: Type.Union([Timestamp, Type.Null()]),
  labels: Type.Record(Type.String(), Type.String()),
  options: Type.Record(Type.String(), Type.String()),
  /** Names of the containers (any state) that mount it. */
  containers: Type.Array(Type.String()),
  /** An unnamed volume docker created for a container (64 hex characters). */
  anonymous: Type.Boolean(),
});
export type VolumeSummary = Static<typeof VolumeSummary>;
export const VolumeList = Type.Object({ items: Type.Array(VolumeSummary) });
export type VolumeList = Static<typeof VolumeList>;

export const CreateVolumeBody = Type.Object({
  name: Type.String({ pattern: DOCKER_VOLUME_NAME_PATTERN, minLength: 1, maxLength: 128 }),
  driver: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.:/-]{0,127}$' })),
  driverOpts: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 4096 }))),
  labels: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 4096 }))),
});
export type CreateVolumeBody = Static<typeof CreateVolumeBody>;

export const RemoveVolumeQuery = Type.Object({ force: Type.Optional(Type.Boolean()) });

export const VolumeDetail = Type.Object({ volume: VolumeSummary, inspect: Type.Unknown() });
export type VolumeDetail = Static<typeof VolumeDetail>;

// ---- networks -------------------------------------------------------------------------------------------

export const NetworkParams = Type.Object({
  hostId: Type.String({ minLength: 1, maxLength: 64 }),
  /** Name or ID. */
  network: Type.String({ pattern: DOCKER_NETWORK_NAME_PATTERN, minLength: 1, maxLength: 128 }),
});
export type NetworkParams = Static<typeof NetworkParams>;

export const NetworkSummary = Type.Object({
  hostId: Type.String(),
  id: Type.String(),
  name: Type.String(),
  driver: Type.String(),
  scope: Type.String(),
  internal: Type.Boolean(),
  attachable: Type.Boolean(),
  /** Inter-container communication (`com.docker.network.bridge.enable_icc`). */
  icc: Type.Boolean(),
  subnets: Type.Array(Type.Object({ subnet: Type.String(), gateway: Type.Union([Type.String(), Type.Null()]) })),
  containers: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), ipv4: Type.Union([Type.String(), Type.Null()]) })),
  labels: Type.Record(Type.String(), Type.String()),
  createdAt: Type.Union([Timestamp, Type.Null()]),
  /** bridge, host, none: the engine's own, cannot be removed. */
  builtin: Type.Boolean(),
});
export type NetworkSummary = Static<typeof NetworkSummary>;
export const NetworkList = Type.Object({ items: Type.Array(NetworkSummary) });
export type NetworkList = Static<typeof NetworkList>;

export const CreateNetworkBody = Type.Object({
  name: Type.String({ pattern: DOCKER_NETWORK_NAME_PATTERN, minLength: 1, maxLength: 128 }),
  driver: Type.Optional(Type.Union([Type.Literal('bridge'), Type.Literal('macvlan'), Type.Literal('ipvlan'), Type.Literal('overlay')])),
  /** CIDR, e.g. `172.30.0.0/24`. */
  subnet: Type.Optional(Type.String({ maxLength: 64 })),
  gateway: Type.Optional(Type.String({ maxLength: 64 })),
  internal: Type.Optional(Type.Boolean()),
  attachable: Type.Optional(Type.Boolean()),
  /** false: containers on this network cannot talk to each other. Default true. */
  icc: Type.Optional(Type.Boolean()),
  labels: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 4096 }))),
});
export type CreateNetworkBody = Static<typeof CreateNetworkBody>;

export const NetworkConnectBody = Type.Object({
  container: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$' }),
  aliases: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 32 })),
  /** disconnect only. */
  force: Type.Optional(Type.Boolean()),
});
export type NetworkConnectBody = Static<typeof NetworkConnectBody>;

export const NetworkDetail = Type.Object({ network: NetworkSummary, inspect: Type.Unknown() });
export type NetworkDetail = Static<typeof NetworkDetail>;

import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

/**
 * Docker engines: the local socket (a host of kind `local`) or a host of the inventory whose
 * engine is reached over its SSH connection (`dockerMode: 'ssh'`). Every docker route lives under
 * `/api/hosts/:hostId/…`; fleet-wide views under `/api/docker/…`.
 */

/** Container names as the engine accepts them (`docker run --name`). Also matches IDs. */
export const CONTAINER_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$';
/** Volume names (`docker volume create`). */
export const DOCKER_VOLUME_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$';
/** Network names: same rule as volumes in practice, kept apart because the engine may diverge. */
export const DOCKER_NETWORK_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$';
/**
 * Image references: `[registry[:port]/]path[:tag][@digest]`, lowercase path components
 * (the full grammar is enforced by @mirador/docker's parser; this is the coarse gate).
 */
export const IMAGE_REF_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9._:/@+-]{0,510}$';

export const DockerHostParams = Type.Object({ hostId: Type.String({ minLength: 1, maxLength: 64 }) });
export type DockerHostParams = Static<typeof DockerHostParams>;

export const EngineState = Type.Union([Type.Literal('ok'), Type.Literal('loading'), Type.Literal('error')]);
export type EngineState = Static<typeof EngineState>;

/** One engine as the fleet views list it. */
export const DockerEngine = Type.Object({
  hostId: Type.String(),
  hostName: Type.String(),
  /** `socket`: this machine's engine; `ssh`: forwarded over the host's SSH connection. */
  transport: Type.Union([Type.Literal('socket'), Type.Literal('ssh')]),
  state: EngineState,
  message: Type.Union([Type.String(), Type.Null()]),
  version: Type.Union([Type.String(), Type.Null()]),
  containers: Type.Integer(),
  running: Type.Integer(),
});
export type DockerEngine = Static<typeof DockerEngine>;
export const DockerEngineList = Type.Object({ items: Type.Array(DockerEngine) });
export type DockerEngineList = Static<typeof DockerEngineList>;

export const DockerInfo = Type.Object({
  hostId: Type.String(),
  serverVersion: Type.String(),
  apiVersion: Type.String(),
  os: Type.String(),
  kernel: Type.String(),
  architecture: Type.String(),
  cpus: Type.Integer(),
  memoryBytes: Type.Number(),
  storageDriver: Type.String(),
  cgroupVersion: Type.String(),
  cgroupDriver: Type.String(),
  loggingDriver: Type.String(),
  dockerRootDir: Type.String(),
  containers: Type.Integer(),
  running: Type.Integer(),
  paused: Type.Integer(),
  stopped: Type.Integer(),
  images: Type.Integer(),
  security: Type.Object({
    seccomp: Type.Boolean(),
    seccompProfile: Type.Union([Type.String(), Type.Null()]),
    apparmor: Type.Boolean(),
    selinux: Type.Boolean(),
    userns: Type.Boolean(),
    rootless: Type.Boolean(),
    /** The engine's raw `SecurityOptions`, e.g. `name=seccomp,profile=builtin`. */
    options: Type.Array(Type.String()),
  }),
  liveRestore: Type.Boolean(),
  plugins: Type.Object({
    volume: Type.Array(Type.String()),
    network: Type.Array(Type.String()),
    log: Type.Array(Type.String()),
    authorization: Type.Array(Type.String()),
  }),
  runtimes: Type.Array(Type.String()),
  defaultRuntime: Type.String(),
  warnings: Type.Array(Type.String()),
});
export type DockerInfo = Static<typeof DockerInfo>;

/**
 * What non-admins may do on one engine (admins may do everything, with warnings).
 * Enforced on the server for create, run and recreate.
 */
export const DockerPolicy = Type.Object({
  allowPrivileged: Type.Boolean(),
  /** `--pid host`, `--network host`. */
  allowHostNamespaces: Type.Boolean(),
  allowDevices: Type.Boolean(),
  /** Capabilities non-admins may add (`--cap-add`), e.g. `NET_ADMIN`; `ALL` is never allowed. */
  allowedCapAdd: Type.Array(Type.String({ pattern: '^[A-Z_]{2,32}$' }), { maxItems: 64 }),
  /**
   * Host directories under which non-admins may bind-mount (`/srv/labs` allows `/srv/labs/x`).
   * `/` and the Docker socket are refused whatever this says.
   */
  bindMountAllowList: Type.Array(Type.String({ pattern: '^/.{0,4095}$' }), { maxItems: 64 }),
  /**
   * Viewers see the names of containers' environment variables, not their values (which often hold
   * passwords), unless this is true. Optional so older clients can still save a policy; default false.
   */
  viewersSeeEnvValues: Type.Optional(Type.Boolean()),
  /**
   * Non-admins may switch confinement off or choose their own (`seccomp=unconfined` or a custom
   * profile, `apparmor=unconfined` or another profile, `label=disable`, `label=type:…`). Optional
   * (older clients); default false. `allowPrivileged` implies it.
   */
  allowUnconfined: Type.Optional(Type.Boolean()),
});
export type DockerPolicy = Static<typeof DockerPolicy>;

export const DEFAULT_DOCKER_POLICY: DockerPolicy = {
  allowPrivileged: false,
  allowHostNamespaces: false,
  allowDevices: false,
  allowedCapAdd: [],
  bindMountAllowList: [],
  viewersSeeEnvValues: false,
  allowUnconfined: false,
};

export const Registry = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** e.g. `registry.example.org:5000`, `ghcr.io`; `docker.io` for Docker Hub. */
  serverAddress: Type.String(),
  username: Type.String(),
  /** Never the password itself. */
  hasPassword: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Registry = Static<typeof Registry>;
export const RegistryList = Type.Object({ items: Type.Array(Registry) });
export type RegistryList = Static<typeof RegistryList>;

const RegistryAddress = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}(:[0-9]{1,5})?(/[a-zA-Z0-9._/-]{0,200})?$' });
export const CreateRegistryBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\x00-\\x1f]+$' }),
  serverAddress: RegistryAddress,
  username: Type.String({ minLength: 1, maxLength: 256 }),
  password: Type.String({ minLength: 1, maxLength: 4096 }),
});
export type CreateRegistryBody = Static<typeof CreateRegistryBody>;
export const UpdateRegistryBody = Type.Partial(CreateRegistryBody);
export type UpdateRegistryBody = Static<typeof UpdateRegistryBody>;

/** "Test login" on unsaved settings (the registry form before saving); the name is not needed. */
export const TestRegistryBody = Type.Object({
  serverAddress: RegistryAddress,
  username: Type.String({ minLength: 1, maxLength: 256 }),
  password: Type.String({ minLength: 1, maxLength: 4096 }),
  /** The engine that logs in (as `docker login` on that host would); default: the first engine that answers. */
  hostId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
export type TestRegistryBody = Static<typeof TestRegistryBody>;
/** "Test login" of a stored registry, optionally with a new password typed in the edit form. */
export const TestStoredRegistryBody = Type.Object({
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  hostId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
export type TestStoredRegistryBody = Static<typeof TestStoredRegistryBody>;
export const RegistryTestResult = Type.Object({
  ok: Type.Boolean(),
  /** The registry's answer (never the password). */
  message: Type.String(),
  /** The engine that tried the login. */
  hostId: Type.String(),
  hostName: Type.String(),
  /** What the same check is on the command line. */
  command: Type.String(),
});
export type RegistryTestResult = Static<typeof RegistryTestResult>;

/** What changed on an engine, so lists re-read the warm inventory (pushed on topic `docker`). */
export const DockerResourceKind = Type.Union([
  Type.Literal('container'),
  Type.Literal('image'),
  Type.Literal('volume'),
  Type.Literal('network'),
  Type.Literal('engine'),
]);
export type DockerResourceKind = Static<typeof DockerResourceKind>;

/** Every docker action's equivalent command line (teaching aid). */
export const DockerCommand = Type.Object({ command: Type.String() });
export type DockerCommand = Static<typeof DockerCommand>;

import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';
import { CONTAINER_NAME_PATTERN, IMAGE_REF_PATTERN } from './docker.js';

export const ContainerRef = Type.String({ pattern: CONTAINER_NAME_PATTERN, minLength: 1, maxLength: 128 });
/** `:id` is a container name or (a prefix of) its ID, as with the docker CLI. */
export const ContainerParams = Type.Object({ hostId: Type.String({ minLength: 1, maxLength: 64 }), id: ContainerRef });
export type ContainerParams = Static<typeof ContainerParams>;

export const ContainerState = Type.Union([
  Type.Literal('created'),
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('restarting'),
  Type.Literal('removing'),
  Type.Literal('exited'),
  Type.Literal('dead'),
]);
export type ContainerState = Static<typeof ContainerState>;

export const ContainerHealth = Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy'), Type.Literal('starting'), Type.Null()]);

export const ContainerPort = Type.Object({
  ip: Type.Union([Type.String(), Type.Null()]),
  privatePort: Type.Integer(),
  publicPort: Type.Union([Type.Integer(), Type.Null()]),
  protocol: Type.String(),
});
export type ContainerPort = Static<typeof ContainerPort>;

export const ContainerMountInfo = Type.Object({
  type: Type.String(),
  /** Volume name for volumes, host path for binds, null for tmpfs. */
  source: Type.Union([Type.String(), Type.Null()]),
  destination: Type.String(),
  readOnly: Type.Boolean(),
});
export type ContainerMountInfo = Static<typeof ContainerMountInfo>;

export const ContainerSummary = Type.Object({
  hostId: Type.String(),
  hostName: Type.String(),
  id: Type.String(),
  name: Type.String(),
  image: Type.String(),
  imageId: Type.String(),
  command: Type.String(),
  createdAt: Timestamp,
  state: ContainerState,
  /** The engine's words: `Up 5 minutes`, `Exited (0) 2 hours ago`. */
  status: Type.String(),
  health: ContainerHealth,
  startedAt: Type.Union([Timestamp, Type.Null()]),
  /**
   * When an exited, dead or restarting container's process last ended (null while unknown: the
   * engine's list has no times, an inspect fills them in). With `startedAt`, `state`, `exitCode`
   * and `health`, what the UI renders relative to its own clock instead of the frozen `status`.
   */
  finishedAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  /** The exit code of the last run (`Exited (137)`), null when it has not exited. */
  exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  ports: Type.Array(ContainerPort),
  labels: Type.Record(Type.String(), Type.String()),
  composeProject: Type.Union([Type.String(), Type.Null()]),
  composeService: Type.Union([Type.String(), Type.Null()]),
  networks: Type.Array(Type.String()),
  mounts: Type.Array(ContainerMountInfo),
});
export type ContainerSummary = Static<typeof ContainerSummary>;

export const ContainerListQuery = Type.Object({
  state: Type.Optional(ContainerState),
  q: Type.Optional(Type.String({ maxLength: 128 })),
  composeProject: Type.Optional(Type.String({ maxLength: 128 })),
});
export type ContainerListQuery = Static<typeof ContainerListQuery>;

export const EngineStatus = Type.Object({
  hostId: Type.String(),
  hostName: Type.String(),
  state: Type.Union([Type.Literal('ok'), Type.Literal('loading'), Type.Literal('error')]),
  message: Type.Union([Type.String(), Type.Null()]),
});
export type EngineStatus = Static<typeof EngineStatus>;

export const ContainerList = Type.Object({
  items: Type.Array(ContainerSummary),
  /** Engines the list was gathered from, with the ones that could not answer. */
  engines: Type.Array(EngineStatus),
});
export type ContainerList = Static<typeof ContainerList>;

// ---- create / run -------------------------------------------------------------------------------

/** The tmpfs mount flags Mirador passes on: nothing that can carry a value, so nothing can be smuggled in. */
export const TmpfsOption = Type.Union([
  Type.Literal('ro'),
  Type.Literal('rw'),
  Type.Literal('noexec'),
  Type.Literal('exec'),
  Type.Literal('nosuid'),
  Type.Literal('suid'),
  Type.Literal('nodev'),
  Type.Literal('dev'),
]);
export type TmpfsOption = Static<typeof TmpfsOption>;
export const TMPFS_OPTIONS: readonly TmpfsOption[] = ['ro', 'rw', 'noexec', 'exec', 'nosuid', 'suid', 'nodev', 'dev'];

export const MountSpec = Type.Union([
  Type.Object({
    type: Type.Literal('volume'),
    /** Named volume (created when missing); omitted: an anonymous volume. */
    source: Type.Optional(Type.String({ maxLength: 128 })),
    target: Type.String({ minLength: 1, maxLength: 4096 }),
    readOnly: Type.Optional(Type.Boolean()),
  }),
  Type.Object({
    type: Type.Literal('bind'),
    /** Absolute host path. */
    source: Type.String({ minLength: 1, maxLength: 4096 }),
    target: Type.String({ minLength: 1, maxLength: 4096 }),
    readOnly: Type.Optional(Type.Boolean()),
  }),
  Type.Object({
    type: Type.Literal('tmpfs'),
    target: Type.String({ minLength: 1, maxLength: 4096 }),
    /** `64m`, `1g`, bytes. */
    size: Type.Optional(Type.String({ maxLength: 32 })),
    /** Octal permissions of the tmpfs root, e.g. `1777` (`--tmpfs /tmp:mode=1777`). */
    mode: Type.Optional(Type.String({ maxLength: 4 })),
    /** Mount flags from a closed list (`--tmpfs /tmp:noexec,nosuid`); anything else is refused. */
    options: Type.Optional(Type.Array(TmpfsOption, { maxItems: 8 })),
  }),
]);
export type MountSpec = Static<typeof MountSpec>;

export const RestartPolicyName = Type.Union([
  Type.Literal('no'),
  Type.Literal('always'),
  Type.Literal('unless-stopped'),
  Type.Literal('on-failure'),
]);
export type RestartPolicyName = Static<typeof RestartPolicyName>;

/** The largest seccomp profile (JSON text) a create body may carry; docker's own default profile is about 20 KiB. */
export const SECCOMP_PROFILE_MAX = 128 * 1024;

/** `--security-opt seccomp=…`: the engine's default profile, none at all, or a profile given as JSON text. */
export const SeccompMode = Type.Union([Type.Literal('default'), Type.Literal('unconfined'), Type.Literal('custom')]);
export type SeccompMode = Static<typeof SeccompMode>;

/** `--security-opt label=…` (SELinux): `disable`, or parts of the process label (`type:svirt_apache_t`, `level:s0:c100,c200`). */
export const SelinuxLabel = Type.Object({
  disable: Type.Optional(Type.Boolean()),
  user: Type.Optional(Type.String({ maxLength: 64 })),
  role: Type.Optional(Type.String({ maxLength: 64 })),
  type: Type.Optional(Type.String({ maxLength: 64 })),
  level: Type.Optional(Type.String({ maxLength: 128 })),
});
export type SelinuxLabel = Static<typeof SelinuxLabel>;

/** `--health-cmd/--health-interval/--health-timeout/--health-retries/--health-start-period`. Durations as `30s`, `1m30s`, `500ms`. */
export const HealthcheckSpec = Type.Object({
  /** Run by the container's shell (`CMD-SHELL`), as `--health-cmd` does; omitted: the image's test with new timings. */
  cmd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  interval: Type.Optional(Type.String({ maxLength: 32 })),
  timeout: Type.Optional(Type.String({ maxLength: 32 })),
  startPeriod: Type.Optional(Type.String({ maxLength: 32 })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
});
export type HealthcheckSpec = Static<typeof HealthcheckSpec>;

/**
 * `docker run` in JSON. Strings are validated by @mirador/docker on the server with messages that
 * name the field (`ports[1]: …`); the schema here is the coarse gate.
 */
export const CreateContainerBody = Type.Object({
  image: Type.String({ minLength: 1, maxLength: 512, pattern: IMAGE_REF_PATTERN }),
  name: Type.Optional(ContainerRef),
  /** argv after the image (`CMD`). */
  command: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 256 })),
  entrypoint: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 64 })),
  /** `KEY=value`. */
  env: Type.Optional(Type.Array(Type.String({ maxLength: 32768 }), { maxItems: 512 })),
  /** `[host_ip:][host_port:]container_port[/proto]`; an empty host port picks a random one. */
  ports: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 128 })),
  mounts: Type.Optional(Type.Array(MountSpec, { maxItems: 64 })),
  /** `bridge` (default), `host`, `none` or a user network's name. */
  network: Type.Optional(Type.String({ maxLength: 128 })),
  networkAliases: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 32 })),
  hostname: Type.Optional(Type.String({ maxLength: 253 })),
  restart: Type.Optional(
    Type.Object({
      name: RestartPolicyName,
      maxRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    }),
  ),
  user: Type.Optional(Type.String({ maxLength: 256 })),
  workingDir: Type.Optional(Type.String({ maxLength: 4096 })),
  labels: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 4096 }))),
  /** `256m`, `1g`. */
  memory: Type.Optional(Type.String({ maxLength: 32 })),
  /** CPUs, e.g. 0.5 (`--cpus`). */
  cpus: Type.Optional(Type.Number({ minimum: 0.01, maximum: 1024 })),
  capAdd: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 64 })),
  capDrop: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 64 })),
  noNewPrivileges: Type.Optional(Type.Boolean()),
  readOnlyRootfs: Type.Optional(Type.Boolean()),
  /** Admins only (or the engine's policy allows it). */
  privileged: Type.Optional(Type.Boolean()),
  /** `--pid host`. */
  pidHost: Type.Optional(Type.Boolean()),
  /** `--security-opt seccomp=…`; omitted or `default`: the engine's profile. `custom` needs `seccompProfile`. */
  seccomp: Type.Optional(SeccompMode),
  /** The seccomp profile as JSON text (what the docker CLI reads from a file and sends); never a path on the host. */
  seccompProfile: Type.Optional(Type.String({ maxLength: SECCOMP_PROFILE_MAX })),
  /** `--security-opt apparmor=<profile>`: a profile loaded on the host, or `unconfined`. */
  apparmor: Type.Optional(Type.String({ maxLength: 128 })),
  /** `--security-opt label=…` (SELinux). */
  selinux: Type.Optional(SelinuxLabel),
  /** `--userns host` (only meaningful when the engine remaps user namespaces); `default` = the engine's setting. */
  userns: Type.Optional(Type.Union([Type.Literal('default'), Type.Literal('host')])),
  /** `--pids-limit`: at most this many processes and threads. */
  pidsLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 4194304 })),
  /** `--ulimit name=soft[:hard]`, e.g. `nofile=1024:2048`. */
  ulimits: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
  /** `--cpuset-cpus 0-1,3`: the CPUs it may run on (checked against the engine's CPU count). */
  cpusetCpus: Type.Optional(Type.String({ maxLength: 128 })),
  /** `--blkio-weight` (10–1000): its share of block I/O. */
  blkioWeight: Type.Optional(Type.Integer({ minimum: 10, maximum: 1000 })),
  healthcheck: Type.Optional(HealthcheckSpec),
  /** `--no-healthcheck`: switch off the image's healthcheck. */
  noHealthcheck: Type.Optional(Type.Boolean()),
  /** `/dev/host[:/dev/container[:rwm]]`. */
  devices: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 32 })),
  /** `-it`: a terminal and an open stdin. */
  tty: Type.Optional(Type.Boolean()),
  /** `--rm`. */
  autoRemove: Type.Optional(Type.Boolean()),
  /** false: `docker create` (not started). Default true. */
  start: Type.Optional(Type.Boolean()),
});
export type CreateContainerBody = Static<typeof CreateContainerBody>;

export const CreateContainerResult = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** The engine's warnings plus ours (e.g. privileged mode). */
  warnings: Type.Array(Type.String()),
  command: Type.String(),
});
export type CreateContainerResult = Static<typeof CreateContainerResult>;

export const CreateContainerPreview = Type.Object({
  command: Type.String(),
  warnings: Type.Array(Type.String()),
  /** Why a non-admin would be refused (empty when allowed). */
  refusals: Type.Array(Type.String()),
});
export type CreateContainerPreview = Static<typeof CreateContainerPreview>;

// ---- actions --------------------------------------------------------------------------------------

export const ContainerAction = Type.Union([
  Type.Literal('start'),
  Type.Literal('stop'),
  Type.Literal('restart'),
  Type.Literal('kill'),
  Type.Literal('pause'),
  Type.Literal('unpause'),
]);
export type ContainerAction = Static<typeof ContainerAction>;
export const CONTAINER_ACTIONS: readonly ContainerAction[] = ['start', 'stop', 'restart', 'kill', 'pause', 'unpause'];

export const ContainerActionBody = Type.Object({
  /** Seconds before SIGKILL (stop, restart). */
  timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
  /** kill: `SIGTERM`, `HUP`, `9`… */
  signal: Type.Optional(Type.String({ pattern: '^(SIG)?[A-Z0-9+-]{1,12}$|^[0-9]{1,2}$' })),
});
export type ContainerActionBody = Static<typeof ContainerActionBody>;

export const ContainerActionResult = Type.Object({
  container: ContainerSummary,
  command: Type.String(),
});
export type ContainerActionResult = Static<typeof ContainerActionResult>;

export const RenameContainerBody = Type.Object({ name: ContainerRef });
export type RenameContainerBody = Static<typeof RenameContainerBody>;

export const RemoveContainerQuery = Type.Object({
  force: Type.Optional(Type.Boolean()),
  /** Also remove anonymous volumes (`docker rm -v`). */
  volumes: Type.Optional(Type.Boolean()),
});
export type RemoveContainerQuery = Static<typeof RemoveContainerQuery>;

export const RemoveResult = Type.Object({ command: Type.String() });
export type RemoveResult = Static<typeof RemoveResult>;

/** One healthcheck probe as the engine keeps it (the last five). */
export const HealthProbe = Type.Object({
  start: Timestamp,
  end: Type.Union([Timestamp, Type.Null()]),
  exitCode: Type.Integer(),
  /** What the probe printed (the engine keeps at most 4 KiB). */
  output: Type.String(),
});
export type HealthProbe = Static<typeof HealthProbe>;

export const ContainerHealthDetail = Type.Object({
  /** `starting`, `healthy`, `unhealthy` (`none` while the engine reports no status yet). */
  status: Type.String(),
  failingStreak: Type.Integer(),
  /** The healthcheck as configured (the container's own or inherited from its image). */
  test: Type.Array(Type.String()),
  log: Type.Array(HealthProbe),
});
export type ContainerHealthDetail = Static<typeof ContainerHealthDetail>;

export const ContainerDetail = Type.Object({
  container: ContainerSummary,
  /** The settings it was created with, in the create body's shape (for recreate / "run again"). */
  settings: CreateContainerBody,
  /** `docker inspect` verbatim (environment values hidden when `envValuesHidden`). */
  inspect: Type.Unknown(),
  /** `docker run` that would recreate it. */
  runCommand: Type.String(),
  /**
   * Settings it has that the create body cannot express (DNS, ulimits, extra networks…): a recreate
   * would drop them, so the UI says so before anyone recreates.
   */
  droppedSettings: Type.Array(Type.String()),
  /**
   * True when every environment value was replaced by `[hidden]` (`KEY=[hidden]`, the same in the
   * settings, the inspect JSON's `Config.Env` and the `docker run` line): viewers, unless the
   * engine's policy lets them read values. See HIDDEN_ENV_VALUE in @mirador/docker.
   */
  envValuesHidden: Type.Boolean(),
  /** Names of variables whose values look like credentials: show them masked until asked. */
  sensitiveEnv: Type.Array(Type.String()),
  /** The healthcheck's state and its last probes (null: the container has no healthcheck). */
  health: Type.Optional(Type.Union([ContainerHealthDetail, Type.Null()])),
});
export type ContainerDetail = Static<typeof ContainerDetail>;

export const ContainerTop = Type.Object({
  titles: Type.Array(Type.String()),
  processes: Type.Array(Type.Array(Type.String())),
});
export type ContainerTop = Static<typeof ContainerTop>;

// ---- logs -------------------------------------------------------------------------------------------

export const LogsQuery = Type.Object({
  /** Last N lines (default 500 for the websocket, all for a download). */
  tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
  /** Unix seconds or RFC 3339. */
  since: Type.Optional(Type.String({ maxLength: 40, pattern: '^[0-9T:.+Z-]{1,40}$' })),
  timestamps: Type.Optional(Type.Boolean()),
  stdout: Type.Optional(Type.Boolean()),
  stderr: Type.Optional(Type.Boolean()),
});
export type LogsQuery = Static<typeof LogsQuery>;

export const LogStream = Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]);
export type LogStream = Static<typeof LogStream>;

/** Websocket `…/containers/:id/logs/ws` pushes these. */
export const LogsServerMessage = Type.Union([
  Type.Object({ type: Type.Literal('log'), stream: LogStream, data: Type.String(), ts: Type.Optional(Type.String()) }),
  /** The container stopped (or was removed): the stream ends. */
  Type.Object({ type: Type.Literal('end'), reason: Type.String() }),
  Type.Object({ type: Type.Literal('error'), message: Type.String() }),
]);
export type LogsServerMessage = Static<typeof LogsServerMessage>;

// ---- terminals (exec and attach) ----------------------------------------------------------------------

export const ExecQuery = Type.Object({
  /** argv, JSON-encoded array or a single program; default `/bin/sh` (falls back to `sh`). */
  cmd: Type.Optional(Type.String({ maxLength: 4096 })),
  user: Type.Optional(Type.String({ maxLength: 256 })),
  cols: Type.Optional(Type.Integer({ minimum: 10, maximum: 1000, default: 80 })),
  rows: Type.Optional(Type.Integer({ minimum: 2, maximum: 500, default: 24 })),
});
export type ExecQuery = Static<typeof ExecQuery>;

export const TerminalClientMessage = Type.Union([
  Type.Object({ type: Type.Literal('input'), data: Type.String({ maxLength: 65536 }) }),
  Type.Object({
    type: Type.Literal('resize'),
    cols: Type.Integer({ minimum: 1, maximum: 1000 }),
    rows: Type.Integer({ minimum: 1, maximum: 500 }),
  }),
]);
export type TerminalClientMessage = Static<typeof TerminalClientMessage>;

export const TerminalServerMessage = Type.Union([
  Type.Object({ type: Type.Literal('ready'), command: Type.String(), readOnly: Type.Boolean() }),
  Type.Object({ type: Type.Literal('output'), data: Type.String() }),
  Type.Object({ type: Type.Literal('exit'), code: Type.Union([Type.Integer(), Type.Null()]) }),
  Type.Object({ type: Type.Literal('error'), message: Type.String() }),
]);
export type TerminalServerMessage = Static<typeof TerminalServerMessage>;

// ---- stats -------------------------------------------------------------------------------------------

export const ContainerStatsPoint = Type.Object({
  at: Timestamp,
  /** As `docker stats`: 100% = one CPU fully used. */
  cpuPercent: Type.Number(),
  onlineCpus: Type.Integer(),
  /** Usage minus page cache, as `docker stats`. */
  memoryBytes: Type.Number(),
  memoryLimitBytes: Type.Number(),
  memoryPercent: Type.Number(),
  netRxBytes: Type.Number(),
  netTxBytes: Type.Number(),
  blockReadBytes: Type.Number(),
  blockWriteBytes: Type.Number(),
  pids: Type.Integer(),
});
export type ContainerStatsPoint = Static<typeof ContainerStatsPoint>;

export const FleetStatsEntry = Type.Object({
  hostId: Type.String(),
  hostName: Type.String(),
  id: Type.String(),
  name: Type.String(),
  image: Type.String(),
  point: ContainerStatsPoint,
});
export type FleetStatsEntry = Static<typeof FleetStatsEntry>;

export const FleetStats = Type.Object({ items: Type.Array(FleetStatsEntry) });
export type FleetStats = Static<typeof FleetStats>;

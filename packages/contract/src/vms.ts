import { Type, type Static } from 'typebox';
import { MessageParams, Timestamp } from './common.js';

/** Mirrors @mirador/libvirt's rules (the server enforces them again before anything runs). */
export const VM_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$';
export const POOL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$';
export const VOLUME_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$';
/** A network install tree (`virt-install --location`): http(s), ftp or nfs, URL characters only. */
export const INSTALL_URL_PATTERN = '^(https?|ftp|nfs)://[A-Za-z0-9._~:/?#@!$&()*+,;=%-]+$';
/** Absolute path without `..` segments, shell or XML metacharacters. */
export const HOST_PATH_PATTERN = '^/(?!.*(?:^|/)\\.\\.(?:/|$))[A-Za-z0-9._+@%=:,/-]{0,4095}$';

export const VmName = Type.String({ pattern: VM_NAME_PATTERN, minLength: 1, maxLength: 64 });
export const VmParams = Type.Object({ hostId: Type.String({ minLength: 1, maxLength: 64 }), name: VmName });
export type VmParams = Static<typeof VmParams>;
export const HostIdParams = Type.Object({ hostId: Type.String({ minLength: 1, maxLength: 64 }) });
export type HostIdParams = Static<typeof HostIdParams>;

export const VmState = Type.Union([
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('shut off'),
  Type.Literal('crashed'),
  Type.Literal('pmsuspended'),
  Type.Literal('in shutdown'),
  Type.Literal('unknown'),
]);
export type VmState = Static<typeof VmState>;

export const VmDisk = Type.Object({
  target: Type.String(),
  device: Type.String(),
  bus: Type.Union([Type.String(), Type.Null()]),
  source: Type.Union([Type.String(), Type.Null()]),
  pool: Type.Union([Type.String(), Type.Null()]),
  volume: Type.Union([Type.String(), Type.Null()]),
  format: Type.Union([Type.String(), Type.Null()]),
  readonly: Type.Boolean(),
});
export type VmDisk = Static<typeof VmDisk>;

export const VmNic = Type.Object({
  mac: Type.Union([Type.String(), Type.Null()]),
  type: Type.String(),
  source: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
});
export type VmNic = Static<typeof VmNic>;

export const VmSummary = Type.Object({
  hostId: Type.String(),
  hostName: Type.String(),
  name: Type.String(),
  uuid: Type.String(),
  state: VmState,
  vcpus: Type.Integer(),
  memoryMiB: Type.Integer(),
  autostart: Type.Boolean(),
  persistent: Type.Boolean(),
  domainType: Type.String(),
  osinfoId: Type.Union([Type.String(), Type.Null()]),
  disks: Type.Array(VmDisk),
  nics: Type.Array(VmNic),
  graphics: Type.Array(Type.Object({ type: Type.String(), port: Type.Union([Type.Integer(), Type.Null()]) })),
  hasSerialConsole: Type.Boolean(),
  updatedAt: Timestamp,
  /** Set when part of this VM could not be read (the rest of the host was): what failed, in words. */
  problem: Type.Optional(Type.String()),
});
export type VmSummary = Static<typeof VmSummary>;

export const VmDetail = Type.Object({ ...VmSummary.properties, xml: Type.String() });
export type VmDetail = Static<typeof VmDetail>;

export const VmAction = Type.Union([
  Type.Literal('start'),
  Type.Literal('shutdown'),
  Type.Literal('reboot'),
  Type.Literal('destroy'),
  Type.Literal('suspend'),
  Type.Literal('resume'),
]);
export type VmAction = Static<typeof VmAction>;
export const VM_ACTIONS: readonly VmAction[] = ['start', 'shutdown', 'reboot', 'destroy', 'suspend', 'resume'];

/** The states in which each action is accepted: the server enforces it (409), the UI offers only these. */
export const VM_ACTION_STATES: Readonly<Record<VmAction, readonly VmState[]>> = {
  start: ['shut off', 'crashed'],
  shutdown: ['running'],
  reboot: ['running'],
  destroy: ['running', 'paused', 'in shutdown', 'crashed', 'pmsuspended'],
  suspend: ['running'],
  resume: ['paused'],
};

/** An unknown state allows everything: libvirt has the last word then. */
export const vmActionAllowed = (action: VmAction, state: VmState): boolean =>
  state === 'unknown' || VM_ACTION_STATES[action].includes(state);

/** What a lifecycle call did, with the command line a student could type instead. */
export const VmActionResult = Type.Object({ vm: VmSummary, command: Type.String() });
export type VmActionResult = Static<typeof VmActionResult>;

export const VmListQuery = Type.Object({
  hostId: Type.Optional(Type.String({ maxLength: 64 })),
  state: Type.Optional(VmState),
  q: Type.Optional(Type.String({ maxLength: 100 })),
});
export type VmListQuery = Static<typeof VmListQuery>;

export const VmHostStatus = Type.Object({
  hostId: Type.String(),
  hostName: Type.String(),
  ok: Type.Boolean(),
  /** True while the first inventory of this host is still being read. */
  loading: Type.Boolean(),
  error: Type.Union([Type.String(), Type.Null()]),
  loadedAt: Type.Union([Timestamp, Type.Null()]),
});

export const VmList = Type.Object({ items: Type.Array(VmSummary), hosts: Type.Array(VmHostStatus) });
export type VmList = Static<typeof VmList>;

export const DeleteVmQuery = Type.Object({
  removeStorage: Type.Optional(
    Type.Boolean({ default: false, description: 'Also delete the disk volumes/files the VM uses (not CD-ROMs)' }),
  ),
  force: Type.Optional(Type.Boolean({ default: false, description: 'Power off a running VM first' })),
});
export type DeleteVmQuery = Static<typeof DeleteVmQuery>;

export const AutostartBody = Type.Object({ enabled: Type.Boolean() });
export type AutostartBody = Static<typeof AutostartBody>;

export const HostPath = Type.String({ pattern: HOST_PATH_PATTERN, minLength: 2, maxLength: 4096 });

export const CreateVmBody = Type.Object({
  name: VmName,
  memoryMiB: Type.Integer({ minimum: 64, maximum: 1048576 }),
  vcpus: Type.Integer({ minimum: 1, maximum: 256 }),
  osinfoId: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._+:/-]{0,199}$' })),
  domainType: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('kvm'), Type.Literal('qemu')], { default: 'auto' })),
  disk: Type.Union([
    Type.Object({
      kind: Type.Literal('new'),
      pool: Type.String({ pattern: POOL_NAME_PATTERN }),
      sizeGiB: Type.Integer({ minimum: 1, maximum: 16384 }),
      format: Type.Optional(Type.Union([Type.Literal('qcow2'), Type.Literal('raw')])),
    }),
    Type.Object({
      kind: Type.Literal('volume'),
      pool: Type.String({ pattern: POOL_NAME_PATTERN }),
      volume: Type.String({ pattern: VOLUME_NAME_PATTERN }),
    }),
    Type.Object({ kind: Type.Literal('path'), path: HostPath }),
    Type.Object({ kind: Type.Literal('none') }),
  ]),
  install: Type.Union([
    Type.Object({
      kind: Type.Literal('kernel'),
      kernel: HostPath,
      initrd: Type.Optional(HostPath),
      cmdline: Type.Optional(Type.String({ maxLength: 2048, pattern: '^[\\x20-\\x7e]*$' })),
    }),
    Type.Object({ kind: Type.Literal('cdrom'), iso: HostPath }),
    Type.Object({ kind: Type.Literal('import') }),
    Type.Object({
      kind: Type.Literal('location'),
      url: Type.String({ maxLength: 2000, pattern: INSTALL_URL_PATTERN }),
      extraArgs: Type.Optional(Type.String({ maxLength: 2048, pattern: '^[\\x20-\\x7e]*$' })),
    }),
  ]),
  network: Type.Union([
    Type.Object({ kind: Type.Literal('network'), name: Type.String({ pattern: POOL_NAME_PATTERN }) }),
    Type.Object({ kind: Type.Literal('bridge'), name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$' }) }),
    Type.Object({ kind: Type.Literal('none') }),
  ]),
  start: Type.Optional(Type.Boolean({ default: true })),
  /**
   * The VM's screen: 'vnc' (default) adds a VNC display on the host's loopback, password-protected,
   * plus a VGA video device, reached through Mirador's Screen tab; 'none' keeps it serial-only.
   */
  graphics: Type.Optional(Type.Union([Type.Literal('vnc'), Type.Literal('none')], { default: 'vnc' })),
});
export type CreateVmBody = Static<typeof CreateVmBody>;

/** The create dialog shows what will run before anything does. */
export const CreateVmPreview = Type.Object({
  command: Type.String(),
  xml: Type.String(),
  /** For admins: host files an operator could not have used (outside the storage pools, say). */
  warnings: Type.Optional(Type.Array(Type.String())),
});
export type CreateVmPreview = Static<typeof CreateVmPreview>;

export const VmCommands = Type.Record(Type.String(), Type.String());
export type VmCommands = Static<typeof VmCommands>;

export const VmStatsPoint = Type.Object({
  at: Timestamp,
  cpuPercent: Type.Number(),
  memoryUsedKiB: Type.Number(),
  memoryTotalKiB: Type.Number(),
  diskReadBps: Type.Number(),
  diskWriteBps: Type.Number(),
  netRxBps: Type.Number(),
  netTxBps: Type.Number(),
});
export type VmStatsPoint = Static<typeof VmStatsPoint>;

/**
 * Where "memory used" comes from: 'guest' is the guest's own report (balloon driver); 'rss' is the
 * QEMU process on the host (includes QEMU's overhead, so it sits near the total); 'none' unknown.
 */
export const MemorySource = Type.Union([Type.Literal('guest'), Type.Literal('rss'), Type.Literal('none')]);
export type MemorySource = Static<typeof MemorySource>;

export const VmStatsHistory = Type.Object({
  name: Type.String(),
  hostId: Type.String(),
  points: Type.Array(VmStatsPoint),
  memorySource: Type.Optional(MemorySource),
});
export type VmStatsHistory = Static<typeof VmStatsHistory>;

/** Messages on the console websocket (`/api/hosts/:hostId/vms/:name/console`). */
export const ConsoleClientMessage = Type.Union([
  Type.Object({ type: Type.Literal('input'), data: Type.String({ maxLength: 65536 }) }),
  Type.Object({
    type: Type.Literal('resize'),
    cols: Type.Integer({ minimum: 1, maximum: 1000 }),
    rows: Type.Integer({ minimum: 1, maximum: 1000 }),
  }),
]);
export type ConsoleClientMessage = Static<typeof ConsoleClientMessage>;

export const ConsoleServerMessage = Type.Union([
  Type.Object({ type: Type.Literal('output'), data: Type.String() }),
  Type.Object({
    type: Type.Literal('status'),
    state: Type.Union([Type.Literal('attached'), Type.Literal('waiting'), Type.Literal('closed')]),
    message: Type.String(),
    /** Stable code + values the UI translates `message` with (which stays the English fallback). */
    code: Type.Optional(Type.String()),
    params: Type.Optional(MessageParams),
    readOnly: Type.Boolean(),
    viewers: Type.Integer(),
  }),
  Type.Object({
    type: Type.Literal('error'),
    message: Type.String(),
    code: Type.Optional(Type.String()),
    params: Type.Optional(MessageParams),
  }),
]);
export type ConsoleServerMessage = Static<typeof ConsoleServerMessage>;

/** What the create dialog offers: the host's storage pools, libvirt networks and known OS variants. */
export const StoragePool = Type.Object({
  name: Type.String(),
  type: Type.String(),
  active: Type.Boolean(),
  capacityBytes: Type.Union([Type.Number(), Type.Null()]),
  availableBytes: Type.Union([Type.Number(), Type.Null()]),
  targetPath: Type.Union([Type.String(), Type.Null()]),
});
export type StoragePool = Static<typeof StoragePool>;

export const LibvirtNetwork = Type.Object({
  name: Type.String(),
  active: Type.Boolean(),
  bridge: Type.Union([Type.String(), Type.Null()]),
  forwardMode: Type.Union([Type.String(), Type.Null()]),
});
export type LibvirtNetwork = Static<typeof LibvirtNetwork>;

export const OsVariant = Type.Object({ shortId: Type.String(), name: Type.String(), id: Type.Union([Type.String(), Type.Null()]) });
export type OsVariant = Static<typeof OsVariant>;

export const HostVirtResources = Type.Object({
  pools: Type.Array(StoragePool),
  networks: Type.Array(LibvirtNetwork),
  osVariants: Type.Array(OsVariant),
  kvm: Type.Boolean(),
});
export type HostVirtResources = Static<typeof HostVirtResources>;

import { Type, type Static } from 'typebox';

/**
 * A VM's settings and tuning: `/api/hosts/:hostId/vms/:name/config` (+ `/pinning`, `/tuning`).
 * Changes go to the persistent definition always and to the running VM where libvirt can; each
 * answer says per field whether it applied now or applies at the next boot.
 */

const Int = (opts: { minimum?: number; maximum?: number } = {}) => Type.Integer(opts);
const Optional = Type.Optional;

export const VmVcpuPin = Type.Object({ vcpu: Int({ minimum: 0 }), cpuset: Type.String() });
export type VmVcpuPin = Static<typeof VmVcpuPin>;

export const VmCputune = Type.Object({
  vcpupin: Type.Array(VmVcpuPin),
  emulatorpin: Optional(Type.String()),
  shares: Optional(Type.Integer()),
  period: Optional(Type.Integer()),
  quota: Optional(Type.Integer()),
});
export type VmCputune = Static<typeof VmCputune>;

export const VmConfigValues = Type.Object({
  vcpus: Type.Integer(),
  maxVcpus: Type.Integer(),
  memoryMiB: Type.Integer(),
  maxMemoryMiB: Type.Integer(),
  cpuMode: Type.String(),
  cpuModel: Optional(Type.String()),
  boot: Type.Array(Type.String()),
  title: Type.String(),
  description: Type.String(),
  onPoweroff: Type.String(),
  onReboot: Type.String(),
  onCrash: Type.String(),
  cputune: VmCputune,
  blkioWeight: Optional(Type.Integer()),
  memtune: Type.Object({ hardLimitKiB: Optional(Type.Integer()), softLimitKiB: Optional(Type.Integer()) }),
});
export type VmConfigValues = Static<typeof VmConfigValues>;

export const HostCpuTopology = Type.Object({
  sockets: Type.Integer(),
  cores: Type.Integer(),
  threads: Type.Integer(),
  cells: Type.Array(Type.Object({ id: Type.Integer(), memoryBytes: Optional(Type.Number()), cpus: Type.Array(Type.Integer()) })),
  cpus: Type.Array(
    Type.Object({
      id: Type.Integer(),
      socket: Type.Integer(),
      die: Type.Integer(),
      core: Type.Integer(),
      siblings: Type.Array(Type.Integer()),
      cell: Type.Integer(),
    }),
  ),
  onlineCpus: Type.Array(Type.Integer()),
  memoryBytes: Optional(Type.Number()),
  cpuModel: Optional(Type.String()),
});
export type HostCpuTopology = Static<typeof HostCpuTopology>;

/** Live pinning as `virsh vcpupin` / `emulatorpin` print it (running VMs only). */
export const VmLivePinning = Type.Object({ vcpus: Type.Array(VmVcpuPin), emulator: Optional(Type.String()) });
export type VmLivePinning = Static<typeof VmLivePinning>;

export const VmConfig = Type.Object({
  running: Type.Boolean(),
  persistent: Type.Boolean(),
  autostart: Type.Boolean(),
  /** The persistent definition's values (what the next boot uses). */
  config: VmConfigValues,
  /** The running VM's values, when it runs. */
  live: Optional(VmConfigValues),
  livePinning: Optional(VmLivePinning),
  /** The persistent <cputune> element as libvirt wrote it ('' when there is none). */
  cputuneXml: Type.String(),
  topology: HostCpuTopology,
  /** Choices the form offers (the server refuses anything else). */
  choices: Type.Object({ boot: Type.Array(Type.String()), lifecycle: Type.Array(Type.String()), cpuModes: Type.Array(Type.String()) }),
  /** How each kind of change is made, for the teaching aid. */
  commands: Type.Array(Type.String()),
});
export type VmConfig = Static<typeof VmConfig>;

export const VmConfigPatch = Type.Object(
  {
    vcpus: Optional(Type.Integer()),
    maxVcpus: Optional(Type.Integer()),
    memoryMiB: Optional(Type.Integer()),
    maxMemoryMiB: Optional(Type.Integer()),
    cpuMode: Optional(Type.String({ maxLength: 32 })),
    cpuModel: Optional(Type.String({ maxLength: 64 })),
    boot: Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 8 })),
    autostart: Optional(Type.Boolean()),
    title: Optional(Type.String({ maxLength: 1024 })),
    description: Optional(Type.String({ maxLength: 8192 })),
    onPoweroff: Optional(Type.String({ maxLength: 32 })),
    onReboot: Optional(Type.String({ maxLength: 32 })),
    onCrash: Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type VmConfigPatch = Static<typeof VmConfigPatch>;

export const VmConfigChange = Type.Object({
  field: Type.String(),
  /** 'now': in effect on the running VM (and saved); 'next-boot': saved, takes effect when the VM next starts. */
  applies: Type.Union([Type.Literal('now'), Type.Literal('next-boot')]),
  /** Why a live change was not possible (libvirt's words), when it was tried. */
  note: Optional(Type.String()),
});
export type VmConfigChange = Static<typeof VmConfigChange>;

export const VmConfigResult = Type.Object({
  changes: Type.Array(VmConfigChange),
  /** Every virsh line that ran, in order (the define reads the edited XML from stdin). */
  commands: Type.Array(Type.String()),
  config: VmConfig,
});
export type VmConfigResult = Static<typeof VmConfigResult>;

export const VmPinningBody = Type.Object(
  {
    /** '' (or all host CPUs) removes a vCPU's pin. */
    vcpus: Type.Array(Type.Object({ vcpu: Type.Integer(), cpuset: Type.String({ maxLength: 256 }) }, { additionalProperties: false }), {
      maxItems: 256,
    }),
    emulator: Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type VmPinningBody = Static<typeof VmPinningBody>;

export const VmTuningBody = Type.Object(
  {
    shares: Optional(Type.Integer()),
    period: Optional(Type.Integer()),
    quota: Optional(Type.Integer()),
    blkioWeight: Optional(Type.Integer()),
    hardLimitKiB: Optional(Type.Integer()),
    softLimitKiB: Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type VmTuningBody = Static<typeof VmTuningBody>;

import type { DockerInfo } from '@mirador/contract';

/** The fields of the engine's `GET /info` answer that Mirador reads (all optional: older engines lack some). */
export interface EngineInfoAnswer {
  SecurityOptions?: string[];
  Plugins?: { Volume?: string[]; Network?: string[]; Log?: string[]; Authorization?: string[] | null };
  ServerVersion?: string;
  OperatingSystem?: string;
  KernelVersion?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Driver?: string;
  CgroupVersion?: string | number;
  CgroupDriver?: string;
  LoggingDriver?: string;
  DockerRootDir?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  LiveRestoreEnabled?: boolean;
  Runtimes?: Record<string, unknown>;
  DefaultRuntime?: string;
  Warnings?: string[] | null;
}

/** `GET /info` + `GET /version` in the contract's shape; security options parsed from `name=…,k=v`. */
export function toDockerInfo(
  hostId: string,
  info: EngineInfoAnswer,
  version: { Version?: string; ApiVersion?: string } | null | undefined,
): DockerInfo {
  const options: string[] = info.SecurityOptions ?? [];
  const named = new Map<string, Map<string, string>>();
  for (const o of options) {
    const parts = new Map(
      o.split(',').map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 1)] as [string, string];
      }),
    );
    const name = parts.get('name');
    if (name) named.set(name, parts);
  }
  const plugins = info.Plugins ?? {};
  return {
    hostId,
    serverVersion: info.ServerVersion ?? version?.Version ?? '',
    apiVersion: version?.ApiVersion ?? '',
    os: info.OperatingSystem ?? '',
    kernel: info.KernelVersion ?? '',
    architecture: info.Architecture ?? '',
    cpus: info.NCPU ?? 0,
    memoryBytes: info.MemTotal ?? 0,
    storageDriver: info.Driver ?? '',
    cgroupVersion: String(info.CgroupVersion ?? ''),
    cgroupDriver: info.CgroupDriver ?? '',
    loggingDriver: info.LoggingDriver ?? '',
    dockerRootDir: info.DockerRootDir ?? '',
    containers: info.Containers ?? 0,
    running: info.ContainersRunning ?? 0,
    paused: info.ContainersPaused ?? 0,
    stopped: info.ContainersStopped ?? 0,
    images: info.Images ?? 0,
    security: {
      seccomp: named.has('seccomp'),
      seccompProfile: named.get('seccomp')?.get('profile') ?? null,
      apparmor: named.has('apparmor'),
      selinux: named.has('selinux'),
      userns: named.has('userns'),
      rootless: named.has('rootless'),
      options,
    },
    liveRestore: info.LiveRestoreEnabled === true,
    plugins: {
      volume: plugins.Volume ?? [],
      network: plugins.Network ?? [],
      log: plugins.Log ?? [],
      authorization: plugins.Authorization ?? [],
    },
    runtimes: Object.keys(info.Runtimes ?? {}),
    defaultRuntime: info.DefaultRuntime ?? '',
    warnings: info.Warnings ?? [],
  };
}

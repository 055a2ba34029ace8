import type { CreateContainerBody, HealthcheckSpec, MountSpec, SelinuxLabel, TmpfsOption } from '@mirador/contract';
import { toCommandLine } from '@mirador/argv';
import {
  TMPFS_OPTIONS,
  formatDuration,
  formatUlimit,
  parseCpuset,
  parseUlimit,
  selinuxOptions,
  validateApparmorProfile,
  validateSeccompProfile,
} from './hardening.js';
import { formatPortSpec, type PortProtocol } from './ports.js';
import { formatSize } from './sizes.js';
import { formatDevice, shortId } from './validate.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- `docker inspect` JSON is read defensively. */

function sameArgv(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function stripCap(c: string): string {
  return c.toUpperCase().replace(/^CAP_/, '');
}

function portsFrom(bindings: any): string[] {
  const out: string[] = [];
  if (!bindings || typeof bindings !== 'object') return out;
  for (const [key, list] of Object.entries(bindings as Record<string, any>)) {
    const m = /^([0-9]+)(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (!m || !Array.isArray(list)) continue;
    for (const b of list) {
      const hostPort = b?.HostPort ? Number(b.HostPort) : null;
      out.push(
        formatPortSpec({
          hostIp: b?.HostIp ? String(b.HostIp) : null,
          hostPort: hostPort !== null && Number.isInteger(hostPort) && hostPort > 0 ? hostPort : null,
          containerPort: Number(m[1]),
          protocol: (m[2] ?? 'tcp') as PortProtocol,
        }),
      );
    }
  }
  return out;
}

interface TmpfsSettings {
  size?: number;
  mode?: string;
  options: TmpfsOption[];
  /** Flags a create body cannot carry (`uid=1000`, `nr_inodes=…`). */
  dropped: string[];
}

/** `rw,noexec,size=65536k,mode=1777` (HostConfig.Tmpfs) → what a create body keeps of it. */
function parseTmpfsFlags(opts: string): TmpfsSettings {
  const out: TmpfsSettings = { options: [], dropped: [] };
  for (const flag of String(opts).split(',').filter(Boolean)) {
    const size = /^size=([0-9]+)([kmg]?)$/i.exec(flag);
    const mode = /^mode=([0-7]{3,4})$/.exec(flag);
    if (size) out.size = Number(size[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[size[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
    else if (mode) out.mode = mode[1];
    else if ((TMPFS_OPTIONS as readonly string[]).includes(flag)) {
      if (!out.options.includes(flag as TmpfsOption)) out.options.push(flag as TmpfsOption);
    } else out.dropped.push(flag);
  }
  // `rw` is the default; keeping it alone would only add noise to the command line.
  if (out.options.length === 1 && out.options[0] === 'rw') out.options = [];
  return out;
}

function mountsFrom(inspect: any): MountSpec[] {
  const hostMounts: any[] = Array.isArray(inspect?.HostConfig?.Mounts) ? inspect.HostConfig.Mounts : [];
  const tmpfsSettings = new Map<string, TmpfsSettings>();
  for (const m of hostMounts) {
    if (m?.Type !== 'tmpfs' || !m.Target) continue;
    const mode: unknown = m.TmpfsOptions?.Mode;
    tmpfsSettings.set(m.Target, {
      size: m.TmpfsOptions?.SizeBytes || undefined,
      ...(typeof mode === 'number' && mode > 0 ? { mode: mode.toString(8) } : {}),
      options: [],
      dropped: [],
    });
  }
  // `--tmpfs /run:size=64m` lands in HostConfig.Tmpfs instead.
  for (const [target, opts] of Object.entries((inspect?.HostConfig?.Tmpfs ?? {}) as Record<string, string>)) {
    if (!tmpfsSettings.has(target)) tmpfsSettings.set(target, parseTmpfsFlags(opts));
  }
  const out: MountSpec[] = [];
  const tmpfs = (target: string): MountSpec => {
    const t = tmpfsSettings.get(target);
    tmpfsSettings.delete(target);
    const flagsFit = !/[:,]/.test(target);
    return {
      type: 'tmpfs',
      target,
      ...(t?.size ? { size: formatSize(t.size) } : {}),
      ...(t?.mode !== undefined ? { mode: t.mode } : {}),
      ...(t?.options.length && flagsFit ? { options: t.options } : {}),
    };
  };
  const ro = (m: any): { readOnly?: true } => (m.RW === false ? { readOnly: true } : {});
  for (const m of Array.isArray(inspect?.Mounts) ? inspect.Mounts : []) {
    if (!m?.Destination) continue;
    if (m.Type === 'volume' && m.Name) out.push({ type: 'volume', source: m.Name, target: m.Destination, ...ro(m) });
    else if (m.Type === 'bind' && m.Source) out.push({ type: 'bind', source: m.Source, target: m.Destination, ...ro(m) });
    else if (m.Type === 'tmpfs') out.push(tmpfs(m.Destination));
  }
  for (const target of [...tmpfsSettings.keys()]) out.push(tmpfs(target));
  return out;
}

const NO_NEW_PRIVILEGES = /^no-new-privileges([:=]true)?$/;

/**
 * What one `HostConfig.SecurityOpt` entry means in a create body, or null when the body cannot
 * carry it (`systempaths=unconfined`, `label=nested`, a profile that does not validate): those
 * are listed by droppedInspectSettings instead.
 */
function securityOptSetting(o: string): Partial<CreateContainerBody> | null {
  if (NO_NEW_PRIVILEGES.test(o)) return { noNewPrivileges: true };
  const m = /^(seccomp|apparmor|label)[=:](.*)$/s.exec(o);
  if (!m) return null;
  const [, key, value = ''] = m;
  try {
    if (key === 'seccomp') {
      if (value === 'unconfined') return { seccomp: 'unconfined' };
      if (value === 'builtin' || value === 'default') return {};
      return { seccomp: 'custom', seccompProfile: validateSeccompProfile(value) };
    }
    if (key === 'apparmor') return { apparmor: validateApparmorProfile(value) };
    if (value === 'disable') return { selinux: { disable: true } };
    const part = /^(user|role|type|level):(.+)$/s.exec(value);
    if (!part) return null;
    const label: SelinuxLabel = { [part[1]!]: part[2]! };
    selinuxOptions(label);
    return { selinux: label };
  } catch {
    return null;
  }
}

/** The security options of `host` a create body carries, merged (several `label=` parts make one label). */
function securityFrom(host: any): Partial<CreateContainerBody> {
  const out: Partial<CreateContainerBody> = {};
  for (const o of strings(host.SecurityOpt)) {
    const s = securityOptSetting(o);
    if (!s) continue;
    const { selinux, ...rest } = s;
    Object.assign(out, rest);
    if (selinux) out.selinux = { ...out.selinux, ...selinux };
  }
  if (out.selinux?.disable && Object.keys(out.selinux).length > 1) delete out.selinux;
  return out;
}

/** Ulimits as `name=soft[:hard]`, the ones a create body cannot carry (negative, unknown names) left out. */
function ulimitsFrom(host: any): { kept: string[]; dropped: boolean } {
  const kept: string[] = [];
  let dropped = false;
  for (const u of Array.isArray(host.Ulimits) ? host.Ulimits : []) {
    try {
      kept.push(formatUlimit(parseUlimit(`${String(u?.Name)}=${String(u?.Soft)}:${String(u?.Hard)}`)));
    } catch {
      dropped = true;
    }
  }
  return { kept, dropped };
}

function cpusetFrom(host: any): string | undefined {
  if (typeof host.CpusetCpus !== 'string' || host.CpusetCpus === '') return undefined;
  try {
    return parseCpuset(host.CpusetCpus).spec;
  } catch {
    return undefined;
  }
}

/** The healthcheck settings the container has and its image does not (a recreate picks up a newer image's otherwise). */
function healthFrom(config: any, imageConfig: any): Pick<CreateContainerBody, 'healthcheck' | 'noHealthcheck'> {
  const mine = config?.Healthcheck;
  if (!mine || typeof mine !== 'object') return {};
  const image = imageConfig?.Healthcheck ?? {};
  const test = strings(mine.Test);
  if (test[0] === 'NONE') return strings(image.Test)[0] === 'NONE' ? {} : { noHealthcheck: true };
  const h: HealthcheckSpec = {};
  if (test.length > 1 && !(imageConfig && sameArgv(mine.Test, image.Test))) {
    if (test[0] === 'CMD-SHELL') h.cmd = test.slice(1).join(' ');
    else if (test[0] === 'CMD') h.cmd = toCommandLine(test.slice(1));
  }
  const timing = (k: 'Interval' | 'Timeout' | 'StartPeriod'): string | undefined => {
    const v: unknown = mine[k];
    return typeof v === 'number' && v >= 1e6 && v !== image[k] ? formatDuration(v) : undefined;
  };
  const interval = timing('Interval');
  const timeout = timing('Timeout');
  const startPeriod = timing('StartPeriod');
  if (interval) h.interval = interval;
  if (timeout) h.timeout = timeout;
  if (startPeriod) h.startPeriod = startPeriod;
  if (typeof mine.Retries === 'number' && mine.Retries > 0 && mine.Retries !== image.Retries) h.retries = mine.Retries;
  return Object.keys(h).length ? { healthcheck: h } : {};
}

/**
 * The create body that would recreate the container described by `inspect` (`GET /containers/{id}/json`).
 * With the image's inspect, values the container merely inherited from its image (Cmd, Entrypoint,
 * Env and Labels entries, WorkingDir, User) are left out, so a recreate picks up a newer image's.
 *
 * - Volumes come back by name, anonymous ones included (their 64-hex name), so a recreate keeps the data.
 * - The automatic network alias (the short container ID) and the container's own name are dropped.
 * - The host name is dropped when it is the engine's default (the short ID), or when the container
 *   shares the host's or another container's network (it is not the container's own then).
 * - Settings the body cannot express (other security options, DNS, negative ulimits…) are lost; see README.
 * - Hardening options (seccomp, AppArmor, SELinux label, userns, pids limit, ulimits, cpuset, blkio
 *   weight, healthcheck) come back when they validate; the rest is listed by droppedInspectSettings.
 */
export function settingsFromInspect(inspect: any, image?: { Config?: any } | null): CreateContainerBody {
  const config = inspect?.Config ?? {};
  const host = inspect?.HostConfig ?? {};
  const imageConfig = image?.Config ?? null;
  const id: string = typeof inspect?.Id === 'string' ? inspect.Id : '';
  const name: string = typeof inspect?.Name === 'string' ? inspect.Name.replace(/^\//, '') : '';
  const body: CreateContainerBody = { image: String(config.Image ?? inspect?.Image ?? '') };
  if (name) body.name = name;

  const entrypoint = strings(config.Entrypoint);
  if (entrypoint.length && !(imageConfig && sameArgv(config.Entrypoint, imageConfig.Entrypoint))) body.entrypoint = entrypoint;
  const cmd = strings(config.Cmd);
  if (cmd.length && !(imageConfig && sameArgv(config.Cmd, imageConfig.Cmd))) body.command = cmd;

  const imageEnv = new Set(strings(imageConfig?.Env));
  const env = strings(config.Env).filter((e) => !imageEnv.has(e));
  if (env.length) body.env = env;

  const imageLabels: Record<string, string> = imageConfig?.Labels ?? {};
  const labels = Object.fromEntries(
    Object.entries((config.Labels ?? {}) as Record<string, string>).filter(([k, v]) => imageLabels[k] !== v),
  );
  if (Object.keys(labels).length) body.labels = labels;

  const ports = portsFrom(host.PortBindings);
  if (ports.length) body.ports = ports;
  const mounts = mountsFrom(inspect);
  if (mounts.length) body.mounts = mounts;

  const networkMode: string = typeof host.NetworkMode === 'string' ? host.NetworkMode : '';
  const sharedNetwork = networkMode === 'host' || networkMode.startsWith('container:');
  if (networkMode && networkMode !== 'default' && networkMode !== 'bridge') body.network = networkMode;
  if (body.network && !['host', 'none'].includes(body.network) && !sharedNetwork) {
    const endpoint = inspect?.NetworkSettings?.Networks?.[body.network];
    const automatic = new Set([shortId(id), name]);
    const aliases = strings(endpoint?.Aliases).filter((a) => !automatic.has(a));
    if (aliases.length) body.networkAliases = [...new Set(aliases)];
  }

  const hostname: string = config.Hostname ?? '';
  if (hostname && hostname !== shortId(id) && !sharedNetwork) body.hostname = hostname;
  if (config.User && config.User !== (imageConfig?.User ?? '')) body.user = config.User;
  if (config.WorkingDir && config.WorkingDir !== (imageConfig?.WorkingDir ?? '')) body.workingDir = config.WorkingDir;

  const restart = host.RestartPolicy;
  if (restart?.Name && restart.Name !== 'no') {
    body.restart = { name: restart.Name };
    if (restart.Name === 'on-failure' && restart.MaximumRetryCount > 0) body.restart.maxRetries = restart.MaximumRetryCount;
  }
  if (host.Memory > 0) body.memory = formatSize(host.Memory);
  if (host.NanoCpus > 0) body.cpus = host.NanoCpus / 1e9;
  else if (host.CpuQuota > 0 && host.CpuPeriod > 0) body.cpus = Math.round((host.CpuQuota / host.CpuPeriod) * 100) / 100;
  const capAdd = strings(host.CapAdd).map(stripCap);
  if (capAdd.length) body.capAdd = capAdd;
  const capDrop = strings(host.CapDrop).map(stripCap);
  if (capDrop.length) body.capDrop = capDrop;
  Object.assign(body, securityFrom(host));
  if (host.UsernsMode === 'host') body.userns = 'host';
  if (host.PidsLimit > 0 && host.PidsLimit <= 4194304) body.pidsLimit = host.PidsLimit;
  const ulimits = ulimitsFrom(host).kept;
  if (ulimits.length) body.ulimits = ulimits;
  const cpuset = cpusetFrom(host);
  if (cpuset) body.cpusetCpus = cpuset;
  if (host.BlkioWeight >= 10 && host.BlkioWeight <= 1000) body.blkioWeight = host.BlkioWeight;
  Object.assign(body, healthFrom(config, imageConfig));
  if (host.ReadonlyRootfs) body.readOnlyRootfs = true;
  if (host.Privileged) body.privileged = true;
  if (host.PidMode === 'host') body.pidHost = true;
  const devices = (Array.isArray(host.Devices) ? host.Devices : [])
    .filter((d: any) => d?.PathOnHost)
    .map((d: any) =>
      formatDevice({
        pathOnHost: d.PathOnHost,
        pathInContainer: d.PathInContainer || d.PathOnHost,
        permissions: d.CgroupPermissions || 'rwm',
      }),
    );
  if (devices.length) body.devices = devices;
  if (config.Tty) body.tty = true;
  if (host.AutoRemove) body.autoRemove = true;
  return body;
}

/**
 * Settings of an existing container that the create body cannot carry, so a recreate from
 * `settingsFromInspect` would silently drop them. Each entry names the setting (`--dns`,
 * `--security-opt seccomp=unconfined`…) so the server can warn before recreating.
 */
export function droppedInspectSettings(inspect: any): string[] {
  const h = inspect?.HostConfig ?? {};
  const out: string[] = [];
  const nonEmpty = (v: unknown): boolean =>
    Array.isArray(v) ? v.length > 0 : v !== null && typeof v === 'object' ? Object.keys(v).length > 0 : false;
  if (nonEmpty(h.Dns)) out.push('--dns');
  if (nonEmpty(h.DnsSearch)) out.push('--dns-search');
  if (nonEmpty(h.DnsOptions)) out.push('--dns-option');
  if (nonEmpty(h.ExtraHosts)) out.push('--add-host');
  if (nonEmpty(h.Links)) out.push('--link');
  if (ulimitsFrom(h).dropped) out.push('--ulimit');
  if (nonEmpty(h.Sysctls)) out.push('--sysctl');
  if (nonEmpty(h.DeviceRequests)) out.push('--gpus');
  if (nonEmpty(h.GroupAdd)) out.push('--group-add');
  if (h.Init === true) out.push('--init');
  if (h.ShmSize > 0 && h.ShmSize !== 64 * 1024 * 1024) out.push('--shm-size');
  if (h.PidsLimit > 4194304) out.push('--pids-limit');
  if (h.CpuShares > 0) out.push('--cpu-shares');
  if (h.CpusetCpus && !cpusetFrom(h)) out.push('--cpuset-cpus');
  if (h.MemoryReservation > 0) out.push('--memory-reservation');
  if (h.MemorySwap > 0 && h.MemorySwap !== 2 * (h.Memory ?? 0)) out.push('--memory-swap');
  if (h.Runtime && h.Runtime !== 'runc') out.push(`--runtime ${h.Runtime}`);
  for (const mode of ['IpcMode', 'UTSMode', 'CgroupnsMode'] as const) {
    const v = h[mode];
    if (typeof v === 'string' && (v === 'host' || v.startsWith('container:')))
      out.push(`--${mode.replace(/Mode$/, '').toLowerCase()} ${v}`);
  }
  if (typeof h.PidMode === 'string' && h.PidMode.startsWith('container:')) out.push(`--pid ${h.PidMode}`);
  if (h.LogConfig?.Type && nonEmpty(h.LogConfig.Config)) out.push(`--log-driver ${h.LogConfig.Type} options`);
  for (const o of strings(h.SecurityOpt)) {
    if (securityOptSetting(o) === null) out.push(`--security-opt ${o.length > 60 ? `${o.slice(0, 60)}…` : o}`);
  }
  for (const [target, opts] of Object.entries((h.Tmpfs ?? {}) as Record<string, string>)) {
    const t = parseTmpfsFlags(opts);
    const lost = /[:,]/.test(target) ? [...t.options, ...t.dropped] : t.dropped;
    if (lost.length) out.push(`--tmpfs ${target}:${lost.join(',')}`);
  }
  const networks = Object.keys(inspect?.NetworkSettings?.Networks ?? {});
  const mode = typeof h.NetworkMode === 'string' ? h.NetworkMode : '';
  const extra = networks.filter((n) => n !== mode && !(mode === 'default' && n === 'bridge'));
  if (extra.length) out.push(`--network ${extra.join(', ')} (only the first network is kept)`);
  if (Object.values(inspect?.NetworkSettings?.Networks ?? {}).some((n: any) => n?.IPAMConfig?.IPv4Address || n?.IPAMConfig?.IPv6Address))
    out.push('--ip');
  const bindings = Object.keys(h.PortBindings ?? {}).filter((k) => /-/.test(k));
  if (bindings.length) out.push('port ranges');
  return out;
}

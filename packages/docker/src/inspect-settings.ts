import type { CreateContainerBody, MountSpec } from '@mirador/contract';
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

function mountsFrom(inspect: any): MountSpec[] {
  const hostMounts: any[] = Array.isArray(inspect?.HostConfig?.Mounts) ? inspect.HostConfig.Mounts : [];
  const tmpfsSize = new Map<string, number | undefined>();
  for (const m of hostMounts) if (m?.Type === 'tmpfs' && m.Target) tmpfsSize.set(m.Target, m.TmpfsOptions?.SizeBytes || undefined);
  // `--tmpfs /run:size=64m` lands in HostConfig.Tmpfs instead.
  for (const [target, opts] of Object.entries((inspect?.HostConfig?.Tmpfs ?? {}) as Record<string, string>)) {
    const size = /(?:^|,)size=([0-9]+)([kmg]?)/i.exec(String(opts));
    const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(size?.[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
    if (!tmpfsSize.has(target)) tmpfsSize.set(target, size ? Number(size[1]) * unit : undefined);
  }
  const out: MountSpec[] = [];
  const tmpfs = (target: string): MountSpec => {
    const size = tmpfsSize.get(target);
    tmpfsSize.delete(target);
    return size ? { type: 'tmpfs', target, size: formatSize(size) } : { type: 'tmpfs', target };
  };
  const ro = (m: any): { readOnly?: true } => (m.RW === false ? { readOnly: true } : {});
  for (const m of Array.isArray(inspect?.Mounts) ? inspect.Mounts : []) {
    if (!m?.Destination) continue;
    if (m.Type === 'volume' && m.Name) out.push({ type: 'volume', source: m.Name, target: m.Destination, ...ro(m) });
    else if (m.Type === 'bind' && m.Source) out.push({ type: 'bind', source: m.Source, target: m.Destination, ...ro(m) });
    else if (m.Type === 'tmpfs') out.push(tmpfs(m.Destination));
  }
  for (const target of [...tmpfsSize.keys()]) out.push(tmpfs(target));
  return out;
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
 * - Settings the body cannot express (other security options, DNS, ulimits…) are lost; see README.
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
  if (strings(host.SecurityOpt).some((o) => /^no-new-privileges([:=]true)?$/.test(o))) body.noNewPrivileges = true;
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
  if (nonEmpty(h.Ulimits)) out.push('--ulimit');
  if (nonEmpty(h.Sysctls)) out.push('--sysctl');
  if (nonEmpty(h.DeviceRequests)) out.push('--gpus');
  if (nonEmpty(h.GroupAdd)) out.push('--group-add');
  if (h.Init === true) out.push('--init');
  if (h.ShmSize > 0 && h.ShmSize !== 64 * 1024 * 1024) out.push('--shm-size');
  if (h.PidsLimit > 0) out.push('--pids-limit');
  if (h.CpuShares > 0) out.push('--cpu-shares');
  if (h.CpusetCpus) out.push('--cpuset-cpus');
  if (h.MemoryReservation > 0) out.push('--memory-reservation');
  if (h.MemorySwap > 0 && h.MemorySwap !== 2 * (h.Memory ?? 0)) out.push('--memory-swap');
  if (h.Runtime && h.Runtime !== 'runc') out.push(`--runtime ${h.Runtime}`);
  for (const mode of ['IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'] as const) {
    const v = h[mode];
    if (typeof v === 'string' && (v === 'host' || v.startsWith('container:')))
      out.push(`--${mode.replace(/Mode$/, '').toLowerCase()} ${v}`);
  }
  if (typeof h.PidMode === 'string' && h.PidMode.startsWith('container:')) out.push(`--pid ${h.PidMode}`);
  if (h.LogConfig?.Type && nonEmpty(h.LogConfig.Config)) out.push(`--log-driver ${h.LogConfig.Type} options`);
  for (const o of strings(h.SecurityOpt)) if (!/^no-new-privileges([:=]true)?$/.test(o)) out.push(`--security-opt ${o}`);
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

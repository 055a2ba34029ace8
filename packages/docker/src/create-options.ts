import type { CreateContainerBody, MountSpec } from '@mirador/contract';
import { healthcheckConfig, parseCpuset, parseUlimit, securityOptions, validateTmpfsOptions } from './hardening.js';
import { parseImageRef } from './image-ref.js';
import { validateContainerPath, validateHostPath } from './paths.js';
import { parsePortSpec } from './ports.js';
import { parseSize } from './sizes.js';
import { validateCapability, validateDevice } from './validate.js';
import { networkKind, validateCreateBody } from './validate-create.js';

export interface CreateOptions {
  /** `?name=` of `POST /containers/create`. */
  name?: string;
  /** The JSON body of `POST /containers/create` (Engine API v1.41+). */
  config: Record<string, unknown>;
}

/** The entrypoint and command as the engine takes them (an empty entrypoint list means "not set"). */
function argvOrUndefined(list: readonly string[] | undefined): string[] | undefined {
  return list && list.length > 0 ? [...list] : undefined;
}

/** Validates `body` and turns it into the engine's create request. Only fields that are set appear. */
export function toCreateOptions(body: CreateContainerBody): CreateOptions {
  validateCreateBody(body);
  const config: Record<string, unknown> = { Image: parseImageRef(body.image).normalized };
  const hostConfig: Record<string, unknown> = {};

  const cmd = argvOrUndefined(body.command);
  if (cmd) config.Cmd = cmd;
  const entrypoint = argvOrUndefined(body.entrypoint);
  if (entrypoint) config.Entrypoint = entrypoint;
  if (body.env?.length) config.Env = [...body.env];
  if (body.hostname !== undefined) config.Hostname = body.hostname;
  if (body.user !== undefined) config.User = body.user;
  if (body.workingDir !== undefined) config.WorkingDir = validateContainerPath(body.workingDir, 'workingDir');
  if (body.labels && Object.keys(body.labels).length > 0) config.Labels = { ...body.labels };
  if (body.tty) {
    // What `docker run -it` sends: a terminal, stdin kept open, all three streams attachable.
    Object.assign(config, { Tty: true, OpenStdin: true, StdinOnce: false, AttachStdin: true, AttachStdout: true, AttachStderr: true });
  }

  if (body.ports?.length) {
    const exposed: Record<string, Record<string, never>> = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    body.ports.forEach((spec, i) => {
      const p = parsePortSpec(spec, `ports[${i}]`);
      const key = `${p.containerPort}/${p.protocol}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.hostPort === null ? '' : String(p.hostPort) });
    });
    config.ExposedPorts = exposed;
    hostConfig.PortBindings = bindings;
  }

  if (body.mounts?.length) {
    // A tmpfs with flags or a mode goes to HostConfig.Tmpfs (`--tmpfs dst:opts`): the Mount API of
    // Engine 1.41 carries only a size and a mode. The flags come from a closed list, so nothing
    // else can ride along in the option string.
    const tmpfsOpts = (m: MountSpec, i: number): string | null => {
      if (m.type !== 'tmpfs' || !m.options?.length) return null;
      const flags: string[] = validateTmpfsOptions(m.options, `mounts[${i}].options`);
      if (m.size !== undefined) flags.push(`size=${parseSize(m.size, `mounts[${i}].size`)}`);
      if (m.mode !== undefined) flags.push(`mode=${m.mode}`);
      return flags.join(',');
    };
    const tmpfs: Record<string, string> = {};
    body.mounts.forEach((m, i) => {
      const opts = tmpfsOpts(m, i);
      if (opts !== null) tmpfs[validateContainerPath(m.target, `mounts[${i}].target`)] = opts;
    });
    if (Object.keys(tmpfs).length) hostConfig.Tmpfs = tmpfs;
    const viaMounts = body.mounts.map((m, i) => ({ m, i })).filter(({ m, i }) => tmpfsOpts(m, i) === null);
    if (viaMounts.length)
      hostConfig.Mounts = viaMounts.map(({ m, i }) => {
        const Target = validateContainerPath(m.target, `mounts[${i}].target`);
        switch (m.type) {
          case 'volume':
            return { Type: 'volume', ...(m.source ? { Source: m.source } : {}), Target, ReadOnly: m.readOnly === true };
          case 'bind':
            return { Type: 'bind', Source: validateHostPath(m.source, `mounts[${i}].source`), Target, ReadOnly: m.readOnly === true };
          case 'tmpfs':
            return {
              Type: 'tmpfs',
              Target,
              ...(m.size !== undefined || m.mode !== undefined
                ? {
                    TmpfsOptions: {
                      ...(m.size !== undefined ? { SizeBytes: parseSize(m.size, `mounts[${i}].size`) } : {}),
                      ...(m.mode !== undefined ? { Mode: parseInt(m.mode, 8) } : {}),
                    },
                  }
                : {}),
            };
        }
      });
  }

  const network = body.network ?? 'bridge';
  hostConfig.NetworkMode = network;
  let networkingConfig: Record<string, unknown> | undefined;
  if (networkKind(body.network) === 'user') {
    const endpoint = body.networkAliases?.length ? { Aliases: [...body.networkAliases] } : {};
    networkingConfig = { EndpointsConfig: { [network]: endpoint } };
  }
  if (body.restart) {
    hostConfig.RestartPolicy = {
      Name: body.restart.name,
      MaximumRetryCount: body.restart.name === 'on-failure' ? (body.restart.maxRetries ?? 0) : 0,
    };
  }
  if (body.memory !== undefined) hostConfig.Memory = parseSize(body.memory, 'memory');
  if (body.cpus !== undefined) hostConfig.NanoCpus = Math.round(body.cpus * 1e9);
  if (body.capAdd?.length) hostConfig.CapAdd = body.capAdd.map((c, i) => validateCapability(c, `capAdd[${i}]`));
  if (body.capDrop?.length) hostConfig.CapDrop = body.capDrop.map((c, i) => validateCapability(c, `capDrop[${i}]`));
  const securityOpt = securityOptions(body);
  if (securityOpt.length) hostConfig.SecurityOpt = securityOpt;
  if (body.userns === 'host') hostConfig.UsernsMode = 'host';
  if (body.pidsLimit !== undefined) hostConfig.PidsLimit = body.pidsLimit;
  if (body.ulimits?.length) {
    hostConfig.Ulimits = body.ulimits.map((u, i) => {
      const l = parseUlimit(u, `ulimits[${i}]`);
      return { Name: l.name, Soft: l.soft, Hard: l.hard };
    });
  }
  if (body.cpusetCpus !== undefined) hostConfig.CpusetCpus = parseCpuset(body.cpusetCpus).spec;
  if (body.blkioWeight !== undefined) hostConfig.BlkioWeight = body.blkioWeight;
  const healthcheck = healthcheckConfig(body);
  if (healthcheck) config.Healthcheck = healthcheck;
  if (body.readOnlyRootfs) hostConfig.ReadonlyRootfs = true;
  if (body.privileged) hostConfig.Privileged = true;
  if (body.pidHost) hostConfig.PidMode = 'host';
  if (body.devices?.length) {
    hostConfig.Devices = body.devices.map((d, i) => {
      const dev = validateDevice(d, `devices[${i}]`);
      return { PathOnHost: dev.pathOnHost, PathInContainer: dev.pathInContainer, CgroupPermissions: dev.permissions };
    });
  }
  if (body.autoRemove) hostConfig.AutoRemove = true;

  config.HostConfig = hostConfig;
  if (networkingConfig) config.NetworkingConfig = networkingConfig;
  return body.name !== undefined ? { name: body.name, config } : { config };
}

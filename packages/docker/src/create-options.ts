import type { CreateContainerBody } from '@mirador/contract';
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
    hostConfig.Mounts = body.mounts.map((m, i) => {
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
            ...(m.size !== undefined ? { TmpfsOptions: { SizeBytes: parseSize(m.size, `mounts[${i}].size`) } } : {}),
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
  if (body.noNewPrivileges) hostConfig.SecurityOpt = ['no-new-privileges:true'];
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

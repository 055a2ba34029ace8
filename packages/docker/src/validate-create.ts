import type { CreateContainerBody } from '@mirador/contract';
import { fail, requireString, show } from './errors.js';
import { validateHardening, validateTmpfsMode, validateTmpfsOptions } from './hardening.js';
import { parseImageRef } from './image-ref.js';
import { validateContainerPath, validateHostPath } from './paths.js';
import { parsePortSpec } from './ports.js';
import { parseSize } from './sizes.js';
import {
  isBuiltinNetwork,
  validateCapability,
  validateContainerName,
  validateDevice,
  validateEnv,
  validateHostname,
  validateLabels,
  validateNetworkName,
  validateUser,
  validateVolumeName,
} from './validate.js';

/** The engine refuses memory limits under 6 MiB; saying so here gives a better message. */
export const MEMORY_MIN_BYTES = 6 * 1024 * 1024;

export type NetworkKind = 'builtin' | 'user' | 'container';

/** `bridge|host|none` (builtin), `container:<name>` (shares another container's stack), else a user network. */
export function networkKind(network: string | undefined): NetworkKind {
  if (network === undefined || isBuiltinNetwork(network)) return 'builtin';
  return network.startsWith('container:') ? 'container' : 'user';
}

export function validateNetworkMode(network: unknown, field = 'network'): string {
  const s = requireString(network, field, 'Network');
  if (isBuiltinNetwork(s)) return s;
  if (s.startsWith('container:')) {
    validateContainerName(s.slice('container:'.length), field);
    return s;
  }
  if (s.includes(':')) fail(field, `${show(s)} is not a network; use "bridge", "host", "none", a network's name or "container:<name>".`);
  return validateNetworkName(s, field);
}

function validateArgv(list: unknown, field: string): void {
  if (!Array.isArray(list)) fail(field, 'Must be a list of arguments.');
  list.forEach((arg, i) => {
    if (typeof arg !== 'string') fail(`${field}[${i}]`, 'Arguments must be text.');
    if (arg.includes('\0')) fail(`${field}[${i}]`, 'Arguments cannot contain NUL bytes.');
  });
}

function eachOf<T>(list: readonly T[] | undefined, field: string, check: (item: T, field: string) => unknown): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) fail(field, 'Must be a list.');
  list.forEach((item, i) => check(item, `${field}[${i}]`));
}

/**
 * The fields a create body may have. Anything else (`volumesFrom`, `pid`, `ipc`, raw `securityOpt`…) is
 * refused rather than ignored: a caller must not believe a setting took effect, and a field added
 * here later must pass the engine policy first. Typed so a new contract field cannot be forgotten.
 */
const CREATE_FIELDS: Record<keyof CreateContainerBody, true> = {
  image: true,
  name: true,
  command: true,
  entrypoint: true,
  env: true,
  ports: true,
  mounts: true,
  network: true,
  networkAliases: true,
  hostname: true,
  restart: true,
  user: true,
  workingDir: true,
  labels: true,
  memory: true,
  cpus: true,
  capAdd: true,
  capDrop: true,
  noNewPrivileges: true,
  readOnlyRootfs: true,
  privileged: true,
  pidHost: true,
  seccomp: true,
  seccompProfile: true,
  apparmor: true,
  selinux: true,
  userns: true,
  pidsLimit: true,
  ulimits: true,
  cpusetCpus: true,
  blkioWeight: true,
  healthcheck: true,
  noHealthcheck: true,
  devices: true,
  tty: true,
  autoRemove: true,
  start: true,
};

/**
 * Every check on every field of a create body. Throws the first problem as a DockerValidationError
 * whose field is the path in the body (`mounts[1].source`, `env[2]`…).
 */
export function validateCreateBody(body: CreateContainerBody): void {
  if (body === null || typeof body !== 'object') fail('body', 'The container settings are missing.');
  for (const key of Object.keys(body)) {
    if (!Object.hasOwn(CREATE_FIELDS, key)) fail(key, `${show(key)} is not a setting Mirador can create containers with; leave it out.`);
  }
  parseImageRef(body.image, 'image');
  if (body.name !== undefined) validateContainerName(body.name, 'name');
  if (body.command !== undefined) validateArgv(body.command, 'command');
  if (body.entrypoint !== undefined) validateArgv(body.entrypoint, 'entrypoint');
  eachOf(body.env, 'env', validateEnv);

  const kind = networkKind(body.network);
  if (body.network !== undefined) validateNetworkMode(body.network, 'network');
  eachOf(body.ports, 'ports', (p, f) => {
    parsePortSpec(p, f);
    if (kind === 'container')
      fail(
        f,
        `Ports cannot be published when the container uses another container's network (${show(body.network)}); publish them on that container.`,
      );
  });
  eachOf(body.networkAliases, 'networkAliases', (a, f) => {
    if (kind !== 'user') {
      fail(
        f,
        `Network aliases work only on user-defined networks, not on ${show(body.network ?? 'bridge')}; create a network and attach the container to it.`,
      );
    }
    validateHostname(a, f);
  });
  if (body.hostname !== undefined) {
    validateHostname(body.hostname, 'hostname');
    if (kind === 'container')
      fail('hostname', `A host name cannot be set when the container uses another container's network (${show(body.network)}).`);
  }

  const targets = new Map<string, number>();
  eachOf(body.mounts, 'mounts', (m, f) => {
    if (m === null || typeof m !== 'object') fail(f, 'Each mount must be an object.');
    const known = m.type === 'tmpfs' ? ['type', 'target', 'size', 'mode', 'options', 'source'] : ['type', 'source', 'target', 'readOnly'];
    const extra = Object.keys(m).find((k) => !known.includes(k));
    if (extra !== undefined)
      fail(`${f}.${extra}`, `${show(extra)} is not a mount setting Mirador passes on (volume options, propagation…); leave it out.`);
    const target = validateContainerPath(m.target, `${f}.target`);
    const previous = targets.get(target);
    if (previous !== undefined)
      fail(`${f}.target`, `${show(target)} is already used by mounts[${previous}]; each mount needs its own target.`);
    targets.set(target, targets.size);
    switch (m.type) {
      case 'volume':
        if (m.source !== undefined && m.source !== '') validateVolumeName(m.source, `${f}.source`);
        break;
      case 'bind':
        validateHostPath(m.source, `${f}.source`);
        break;
      case 'tmpfs':
        if ('source' in m && (m as { source?: unknown }).source !== undefined)
          fail(`${f}.source`, 'A tmpfs mount has no source; leave it empty.');
        if (m.size !== undefined) parseSize(m.size, `${f}.size`);
        if (m.mode !== undefined) validateTmpfsMode(m.mode, `${f}.mode`);
        if (m.options !== undefined) validateTmpfsOptions(m.options, `${f}.options`);
        // Flags travel as `--tmpfs dst:flags`, which a ":" or "," in the target would split wrongly.
        if (m.options?.length && /[:,]/.test(target))
          fail(`${f}.options`, `Mount flags need a target without ":" or ","; ${show(target)} has one.`);
        break;
      default:
        fail(`${f}.type`, `${show((m as { type?: unknown }).type)} is not a mount type; use "volume", "bind" or "tmpfs".`);
    }
  });

  if (body.restart !== undefined) {
    const { name, maxRetries } = body.restart;
    if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
      fail('restart.name', `${show(name)} is not a restart policy; use "no", "always", "unless-stopped" or "on-failure".`);
    }
    if (maxRetries !== undefined) {
      if (!Number.isInteger(maxRetries) || maxRetries < 0)
        fail('restart.maxRetries', 'The number of retries must be a whole number, 0 or more.');
      if (maxRetries > 0 && name !== 'on-failure')
        fail('restart.maxRetries', `A maximum number of retries only applies to the "on-failure" policy, not to ${show(name)}.`);
    }
  }
  if (body.user !== undefined) validateUser(body.user, 'user');
  if (body.workingDir !== undefined) validateContainerPath(body.workingDir, 'workingDir');
  if (body.labels !== undefined) validateLabels(body.labels, 'labels');
  if (body.memory !== undefined) {
    const bytes = parseSize(body.memory, 'memory');
    if (bytes < MEMORY_MIN_BYTES) fail('memory', `${show(body.memory)} is below the engine's minimum of 6 MiB; give at least "6m".`);
  }
  if (body.cpus !== undefined && !(typeof body.cpus === 'number' && Number.isFinite(body.cpus) && body.cpus >= 0.01 && body.cpus <= 1024)) {
    fail('cpus', `${show(body.cpus)} is not a CPU count; give a number from 0.01 to 1024, e.g. 0.5 or 2.`);
  }
  eachOf(body.capAdd, 'capAdd', validateCapability);
  eachOf(body.capDrop, 'capDrop', validateCapability);
  eachOf(body.devices, 'devices', validateDevice);
  validateHardening(body);
}

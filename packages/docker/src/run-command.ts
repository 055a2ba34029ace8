import type { CreateContainerBody, MountSpec } from '@mirador/contract';
import { toCommandLine } from '@mirador/argv';
import {
  SECCOMP_FILE_PLACEHOLDER,
  formatDuration,
  formatUlimit,
  parseCpuset,
  parseDuration,
  parseUlimit,
  selinuxOptions,
  validateApparmorProfile,
} from './hardening.js';
import { validateContainerPath, validateHostPath } from './paths.js';
import { formatPortSpec, parsePortSpec } from './ports.js';
import { formatSize, parseSize } from './sizes.js';
import { formatDevice, validateCapability, validateDevice } from './validate.js';
import { validateCreateBody } from './validate-create.js';

/** One `--mount` field, CSV-quoted as the CLI parses it (encoding/csv) when it holds "," or a quote. */
function csvField(field: string): string {
  return /[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/**
 * The CLI flag(s) for one mount. `-v src:dst[:ro]` and `--tmpfs dst[:size=…]` are what people
 * type; a path holding ":" or "," would be split wrongly by those short forms, so such mounts
 * (and read-only anonymous volumes, which `-v` cannot express unambiguously) use `--mount`.
 */
function mountArgs(m: MountSpec, i: number): string[] {
  const target = validateContainerPath(m.target, `mounts[${i}].target`);
  const awkward = (s: string): boolean => /[:,"\n]/.test(s);
  if (m.type === 'tmpfs') {
    const size = m.size !== undefined ? formatSize(parseSize(m.size, `mounts[${i}].size`)) : undefined;
    const flags = [...(m.options ?? []), ...(size ? [`size=${size}`] : []), ...(m.mode !== undefined ? [`mode=${m.mode}`] : [])];
    if (!awkward(target)) return ['--tmpfs', flags.length ? `${target}:${flags.join(',')}` : target];
    // validateCreateBody refuses flags (options) on such a target; size and mode have --mount fields.
    const fields = [
      'type=tmpfs',
      csvField(`dst=${target}`),
      ...(size ? [`tmpfs-size=${parseSize(m.size!)}`] : []),
      ...(m.mode !== undefined ? [`tmpfs-mode=${m.mode}`] : []),
    ];
    return ['--mount', fields.join(',')];
  }
  const source = m.type === 'bind' ? validateHostPath(m.source, `mounts[${i}].source`) : m.source || undefined;
  const ro = m.readOnly === true;
  const anonymousReadOnly = m.type === 'volume' && source === undefined && ro;
  if (!awkward(target) && !(source && awkward(source)) && !anonymousReadOnly) {
    return ['-v', [...(source ? [source] : []), target, ...(ro ? ['ro'] : [])].join(':')];
  }
  const fields = [`type=${m.type}`, ...(source ? [csvField(`src=${source}`)] : []), csvField(`dst=${target}`), ...(ro ? ['readonly'] : [])];
  return ['--mount', fields.join(',')];
}

/** `--security-opt` (confinement), `--userns`, limits and healthcheck flags, in that order. */
function hardeningArgs(body: CreateContainerBody): string[] {
  const argv: string[] = [];
  // The CLI reads a seccomp profile from a file; Mirador sends the content, so the line names a file to save it in.
  if (body.seccomp === 'unconfined') argv.push('--security-opt', 'seccomp=unconfined');
  else if (body.seccomp === 'custom') argv.push('--security-opt', `seccomp=${SECCOMP_FILE_PLACEHOLDER}`);
  if (body.apparmor !== undefined) argv.push('--security-opt', `apparmor=${validateApparmorProfile(body.apparmor)}`);
  for (const o of selinuxOptions(body.selinux)) argv.push('--security-opt', o);
  if (body.userns === 'host') argv.push('--userns', 'host');
  if (body.pidsLimit !== undefined) argv.push('--pids-limit', String(body.pidsLimit));
  (body.ulimits ?? []).forEach((u, i) => argv.push('--ulimit', formatUlimit(parseUlimit(u, `ulimits[${i}]`))));
  if (body.cpusetCpus !== undefined) argv.push('--cpuset-cpus', parseCpuset(body.cpusetCpus).spec);
  if (body.blkioWeight !== undefined) argv.push('--blkio-weight', String(body.blkioWeight));
  if (body.noHealthcheck) argv.push('--no-healthcheck');
  const h = body.healthcheck;
  if (h) {
    if (h.cmd !== undefined) argv.push('--health-cmd', h.cmd);
    if (h.interval !== undefined) argv.push('--health-interval', formatDuration(parseDuration(h.interval, 'healthcheck.interval')));
    if (h.timeout !== undefined) argv.push('--health-timeout', formatDuration(parseDuration(h.timeout, 'healthcheck.timeout')));
    if (h.startPeriod !== undefined)
      argv.push('--health-start-period', formatDuration(parseDuration(h.startPeriod, 'healthcheck.startPeriod')));
    if (h.retries !== undefined) argv.push('--health-retries', String(h.retries));
  }
  return argv;
}

/** The argv of the `docker run` (or `docker create`) equivalent to `body`, without quoting. */
export function dockerRunArgv(body: CreateContainerBody): string[] {
  validateCreateBody(body);
  const argv = body.start === false ? ['docker', 'create'] : ['docker', 'run', '-d'];
  if (body.tty) argv.push('-it');
  if (body.autoRemove) argv.push('--rm');
  if (body.name !== undefined) argv.push('--name', body.name);
  if (body.hostname !== undefined) argv.push('-h', body.hostname);
  if (body.user !== undefined) argv.push('-u', body.user);
  if (body.workingDir !== undefined) argv.push('-w', validateContainerPath(body.workingDir, 'workingDir'));
  for (const e of body.env ?? []) argv.push('-e', e);
  for (const [k, v] of Object.entries(body.labels ?? {})) argv.push('-l', `${k}=${v}`);
  (body.ports ?? []).forEach((p, i) => argv.push('-p', formatPortSpec(parsePortSpec(p, `ports[${i}]`))));
  (body.mounts ?? []).forEach((m, i) => argv.push(...mountArgs(m, i)));
  if (body.network !== undefined && body.network !== 'bridge') argv.push('--network', body.network);
  for (const a of body.networkAliases ?? []) argv.push('--network-alias', a);
  if (body.restart && body.restart.name !== 'no') {
    const retries = body.restart.name === 'on-failure' && body.restart.maxRetries ? `:${body.restart.maxRetries}` : '';
    argv.push('--restart', `${body.restart.name}${retries}`);
  }
  if (body.memory !== undefined) argv.push('--memory', formatSize(parseSize(body.memory, 'memory')));
  if (body.cpus !== undefined) argv.push('--cpus', String(body.cpus));
  if (body.readOnlyRootfs) argv.push('--read-only');
  if (body.privileged) argv.push('--privileged');
  if (body.pidHost) argv.push('--pid', 'host');
  (body.capAdd ?? []).forEach((c, i) => argv.push('--cap-add', validateCapability(c, `capAdd[${i}]`)));
  (body.capDrop ?? []).forEach((c, i) => argv.push('--cap-drop', validateCapability(c, `capDrop[${i}]`)));
  if (body.noNewPrivileges) argv.push('--security-opt', 'no-new-privileges');
  argv.push(...hardeningArgs(body));
  (body.devices ?? []).forEach((d, i) => argv.push('--device', formatDevice(validateDevice(d, `devices[${i}]`))));
  // `--entrypoint` takes ONE string, used as the program (it is not split into words). An entrypoint
  // of several elements therefore becomes `--entrypoint first`, and the other elements go right after
  // the image, before the command: the container runs exactly the same argv (entrypoint + cmd).
  const [program, ...entrypointRest] = body.entrypoint ?? [];
  if (program !== undefined) argv.push('--entrypoint', program);
  argv.push(body.image, ...entrypointRest, ...(body.command ?? []));
  return argv;
}

/** `docker run -d --name web -p 8080:80 … image cmd…`, every argument quoted by `toCommandLine`. */
export function dockerRunCommand(body: CreateContainerBody): string {
  return toCommandLine(dockerRunArgv(body));
}

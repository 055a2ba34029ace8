import type { CreateContainerBody, MountSpec } from '@mirador/contract';
import { toCommandLine } from '@mirador/argv';
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
    if (!awkward(target)) return ['--tmpfs', size ? `${target}:size=${size}` : target];
    return ['--mount', ['type=tmpfs', csvField(`dst=${target}`), ...(size ? [`tmpfs-size=${parseSize(m.size!)}`] : [])].join(',')];
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

import type { ContainerAction, ContainerActionBody, CreateNetworkBody, CreateVolumeBody, LogsQuery } from '@mirador/contract';
import { toCommandLine } from '@mirador/argv';
import { fail, requireString, show } from './errors.js';
import { parseImageRef, validateImageOrId } from './image-ref.js';
import { isIPv4, isIPv6 } from './ports.js';
import {
  validateContainerRef,
  validateHostname,
  validateLabels,
  validateNetworkName,
  validateSignal,
  validateUser,
  validateVolumeName,
} from './validate.js';

/*
 * The command lines shown next to every action (teaching aid): what a person would type to do the
 * same with the docker CLI. Every user-supplied value is validated, then quoted by `toCommandLine`.
 * The few shell redirections (`2>/dev/null`; a build's `- < Dockerfile` in build-plan.ts) are constants appended after quoting.
 */

function cidr(value: unknown, field: string): string {
  const s = requireString(value, field, 'Subnet');
  const m = /^(.+)\/([0-9]{1,3})$/.exec(s);
  // Both groups are required, so a successful match has them.
  const ok = m !== null && ((isIPv4(m[1]!) && Number(m[2]) <= 32) || (isIPv6(m[1]!) && Number(m[2]) <= 128));
  if (!ok) fail(field, `${show(s)} is not a subnet; write it in CIDR form, e.g. "172.30.0.0/24".`);
  return s;
}

function ip(value: unknown, field: string): string {
  const s = requireString(value, field, 'Address');
  if (!isIPv4(s) && !isIPv6(s)) fail(field, `${show(s)} is not an IP address, e.g. "172.30.0.1".`);
  return s;
}

function noNul(value: unknown, field: string): string {
  const s = requireString(value, field, 'Argument');
  if (s.includes('\0')) fail(field, 'Arguments cannot contain NUL bytes.');
  return s;
}

function labelArgs(labels: Record<string, string> | undefined): string[] {
  if (!labels) return [];
  validateLabels(labels, 'labels');
  return Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
}

function registryServer(server: unknown): string {
  const s = requireString(server, 'serverAddress', 'Registry');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}(:[0-9]{1,5})?(\/[a-zA-Z0-9._/-]{0,200})?$/.test(s)) {
    fail(
      'serverAddress',
      `${show(s)} is not a registry address; use a host name with an optional :port, e.g. "registry.example.org:5000".`,
    );
  }
  return s;
}

export const dockerCommands = {
  /** `docker start web`, `docker stop -t 10 web`, `docker kill -s SIGHUP web`… */
  action(action: ContainerAction, ref: string, body: ContainerActionBody = {}): string {
    if (!['start', 'stop', 'restart', 'kill', 'pause', 'unpause'].includes(action))
      fail('action', `${show(action)} is not a container action.`);
    const argv = ['docker', action];
    if ((action === 'stop' || action === 'restart') && body.timeout !== undefined) {
      if (!Number.isInteger(body.timeout) || body.timeout < 0) fail('timeout', 'The timeout must be a whole number of seconds.');
      argv.push('-t', String(body.timeout));
    }
    if (action === 'kill' && body.signal !== undefined) argv.push('-s', validateSignal(body.signal, 'signal'));
    return toCommandLine([...argv, validateContainerRef(ref, 'id')]);
  },
  rename(ref: string, newName: string): string {
    return toCommandLine(['docker', 'rename', validateContainerRef(ref, 'id'), validateContainerRef(newName, 'name')]);
  },
  /** `docker rm -f -v web` (-v: also its anonymous volumes). */
  rm(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): string {
    return toCommandLine(['docker', 'rm', ...(opts.force ? ['-f'] : []), ...(opts.volumes ? ['-v'] : []), validateContainerRef(ref, 'id')]);
  },
  /**
   * `docker logs -f --tail 500 -t web`. The CLI has no stdout/stderr switch: leaving one out is shown
   * as a redirection (`2>/dev/null` hides stderr, `2>&1 >/dev/null` keeps only stderr).
   */
  logs(ref: string, q: LogsQuery & { follow?: boolean } = {}): string {
    const argv = ['docker', 'logs'];
    if (q.follow) argv.push('-f');
    if (q.tail !== undefined) argv.push('--tail', String(Math.max(0, Math.floor(q.tail))));
    if (q.since !== undefined) {
      if (!/^[0-9T:.+Z-]{1,40}$/.test(q.since))
        fail('since', `${show(q.since)} is not a time; use Unix seconds or RFC 3339 (e.g. "2024-05-01T12:00:00Z").`);
      argv.push('--since', q.since);
    }
    if (q.timestamps) argv.push('-t');
    argv.push(validateContainerRef(ref, 'id'));
    const line = toCommandLine(argv);
    if (q.stderr === false && q.stdout === false) return `${line} >/dev/null 2>&1`;
    if (q.stderr === false) return `${line} 2>/dev/null`;
    if (q.stdout === false) return `${line} 2>&1 >/dev/null`;
    return line;
  },
  top(ref: string): string {
    return toCommandLine(['docker', 'top', validateContainerRef(ref, 'id')]);
  },
  /** `docker exec -it web /bin/sh`. */
  exec(ref: string, argv: readonly string[], opts: { user?: string; tty?: boolean } = {}): string {
    if (argv.length === 0) fail('cmd', 'Give the program to run, e.g. "/bin/sh".');
    const cmd = argv.map((a, i) => noNul(a, `cmd[${i}]`));
    return toCommandLine([
      'docker',
      'exec',
      ...(opts.tty ? ['-it'] : []),
      ...(opts.user !== undefined ? ['-u', validateUser(opts.user, 'user')] : []),
      validateContainerRef(ref, 'id'),
      ...cmd,
    ]);
  },
  attach(ref: string): string {
    return toCommandLine(['docker', 'attach', validateContainerRef(ref, 'id')]);
  },
  pull(image: string): string {
    parseImageRef(image, 'image');
    return toCommandLine(['docker', 'pull', image]);
  },
  tag(source: string, target: string): string {
    parseImageRef(target, 'target');
    return toCommandLine(['docker', 'tag', validateImageOrId(source, 'image'), target]);
  },
  push(image: string): string {
    parseImageRef(image, 'image');
    return toCommandLine(['docker', 'push', image]);
  },
  rmi(image: string, force = false): string {
    return toCommandLine(['docker', 'rmi', ...(force ? ['-f'] : []), validateImageOrId(image, 'image')]);
  },
  /** `-f` because the UI has already asked for confirmation. */
  imagePrune(all = false): string {
    return toCommandLine(['docker', 'image', 'prune', '-f', ...(all ? ['-a'] : [])]);
  },
  // A build's line comes with its engine call from `buildPlan` (build-plan.ts): the two cannot differ.
  /** Loading a `docker save` archive. */
  load(): string {
    return toCommandLine(['docker', 'load', '-i', 'images.tar']);
  },
  /** A root file system tarball made into a one-layer image. */
  import(tag: string): string {
    parseImageRef(tag, 'tag');
    return toCommandLine(['docker', 'import', 'rootfs.tar', tag]);
  },
  save(image: string): string {
    return toCommandLine(['docker', 'save', '-o', 'image.tar', validateImageOrId(image, 'image')]);
  },
  volumeCreate(body: CreateVolumeBody): string {
    const argv = ['docker', 'volume', 'create'];
    if (body.driver !== undefined) {
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.:/-]{0,127}$/.test(body.driver)) fail('driver', `${show(body.driver)} is not a volume driver name.`);
      argv.push('-d', body.driver);
    }
    for (const [k, v] of Object.entries(body.driverOpts ?? {})) {
      if (!/^[A-Za-z0-9_.-]{1,128}$/.test(k))
        fail('driverOpts', `${show(k)} is not a driver option name; use letters, digits, ".", "_" and "-".`);
      argv.push('-o', `${k}=${noNul(v, `driverOpts.${k}`)}`);
    }
    argv.push(...labelArgs(body.labels), validateVolumeName(body.name, 'name'));
    return toCommandLine(argv);
  },
  volumeRm(name: string, force = false): string {
    return toCommandLine(['docker', 'volume', 'rm', ...(force ? ['-f'] : []), validateVolumeName(name, 'name')]);
  },
  volumePrune(): string {
    return toCommandLine(['docker', 'volume', 'prune', '-f']);
  },
  networkCreate(body: CreateNetworkBody): string {
    const argv = ['docker', 'network', 'create'];
    if (body.driver !== undefined) {
      if (!['bridge', 'macvlan', 'ipvlan', 'overlay'].includes(body.driver))
        fail('driver', `${show(body.driver)} is not a network driver; use bridge, macvlan, ipvlan or overlay.`);
      argv.push('-d', body.driver);
    }
    if (body.subnet !== undefined) argv.push('--subnet', cidr(body.subnet, 'subnet'));
    if (body.gateway !== undefined) {
      if (body.subnet === undefined) fail('gateway', 'A gateway needs a subnet; give the subnet too.');
      argv.push('--gateway', ip(body.gateway, 'gateway'));
    }
    if (body.internal) argv.push('--internal');
    if (body.attachable) argv.push('--attachable');
    if (body.icc === false) argv.push('-o', 'com.docker.network.bridge.enable_icc=false');
    argv.push(...labelArgs(body.labels), validateNetworkName(body.name, 'name'));
    return toCommandLine(argv);
  },
  networkConnect(net: string, container: string, aliases: readonly string[] = []): string {
    const aliasArgs = aliases.flatMap((a, i) => ['--alias', validateHostname(a, `aliases[${i}]`)]);
    return toCommandLine([
      'docker',
      'network',
      'connect',
      ...aliasArgs,
      validateNetworkName(net, 'network'),
      validateContainerRef(container, 'container'),
    ]);
  },
  networkDisconnect(net: string, container: string, force = false): string {
    return toCommandLine([
      'docker',
      'network',
      'disconnect',
      ...(force ? ['-f'] : []),
      validateNetworkName(net, 'network'),
      validateContainerRef(container, 'container'),
    ]);
  },
  networkRm(net: string): string {
    return toCommandLine(['docker', 'network', 'rm', validateNetworkName(net, 'network')]);
  },
  /** `docker login -u user server`: the password is never part of a command line (the CLI prompts). */
  login(server: string, username: string): string {
    const user = requireString(username, 'username', 'User name');
    if (user.length === 0 || /[\u0000-\u001f\u007f]/.test(user)) fail('username', 'The user name must be one line of text.');
    return toCommandLine(['docker', 'login', '-u', user, registryServer(server)]);
  },
};

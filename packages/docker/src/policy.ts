import type { CreateContainerBody, DockerPolicy } from '@mirador/contract';
import { show } from './errors.js';
import { isPathAtOrUnder, validateHostPath } from './paths.js';

/**
 * Engine sockets: whoever can reach one controls the engine, hence the host. The parents are listed
 * because binding a directory hands over everything below it; `/var/run` is usually a symlink to
 * `/run`, but not everywhere. The containerd socket is as powerful as Docker's.
 */
export const DOCKER_SOCKET_PATHS: readonly string[] = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run/containerd/containerd.sock',
  '/var/run/containerd/containerd.sock',
];

export interface PolicyOptions {
  isAdmin: boolean;
  /** Further engine sockets of this host (e.g. a rootless engine's `/run/user/1000/docker.sock`). */
  dockerSocketPaths?: string[];
  /**
   * Containers (as named in `network: container:<x>`) whose namespaces the server has judged this
   * caller may join: their own settings pass this policy. Any other join is refused for non-admins.
   */
  allowedJoins?: readonly string[];
}

export interface PolicyResult {
  /** Why a non-admin may not create this container (always empty for admins). */
  refusals: string[];
  /** Risks worth saying out loud, for admins too. */
  warnings: string[];
}

function normalizedOrNull(p: string): string | null {
  try {
    return validateHostPath(p);
  } catch {
    return null;
  }
}

/** The socket this bind would expose (the source is the socket or one of its parent directories), if any. */
function exposedSocket(source: string, sockets: readonly string[]): string | undefined {
  return sockets.find((sock) => source !== '/' && isPathAtOrUnder(sock, source));
}

/** `container:<x>` → x; anything else → null. */
export function joinedContainer(mode: unknown): string | null {
  return typeof mode === 'string' && mode.startsWith('container:') ? mode.slice('container:'.length) : null;
}

/**
 * Confinement switched off or replaced (seccomp, AppArmor, SELinux) and the host's user namespace:
 * refused to non-admins unless the engine allows it (`allowUnconfined`, implied by `allowPrivileged`;
 * `allowHostNamespaces` for `--userns host`). A profile of one's own is judged like none at all:
 * nothing here can tell whether it allows more than the default.
 */
function judgeConfinement(body: CreateContainerBody, policy: DockerPolicy, warnings: string[], refuse: (msg: string) => void): void {
  const unconfinedOk = policy.allowPrivileged || policy.allowUnconfined === true;
  const needsAdmin = "needs an administrator (this engine's policy does not allow it)";
  const judge = (field: string, risk: string): void => {
    warnings.push(`${field}: ${risk}.`);
    if (!unconfinedOk) refuse(`${field}: ${risk}; that ${needsAdmin}.`);
  };
  if (body.seccomp === 'unconfined')
    judge('seccomp', 'seccomp=unconfined lets the container make every system call, including the ones the default profile blocks');
  if (body.seccomp === 'custom')
    judge('seccompProfile', 'a seccomp profile of your own replaces the default one and may allow what it blocks');
  if (body.apparmor === 'unconfined') judge('apparmor', 'apparmor=unconfined switches AppArmor confinement off');
  else if (body.apparmor !== undefined && body.apparmor !== 'docker-default')
    judge('apparmor', `the AppArmor profile ${show(body.apparmor)} replaces the engine's default one (docker-default)`);
  if (body.selinux?.disable) judge('selinux', 'label=disable switches SELinux separation off for this container');
  else if (body.selinux?.type !== undefined)
    judge('selinux', `the SELinux type ${show(body.selinux.type)} replaces the container type the engine would give it`);
  if (body.userns === 'host') {
    warnings.push("userns: --userns host runs the container's root as the host's root when the engine remaps user namespaces.");
    if (!policy.allowHostNamespaces) refuse(`userns: using the host's user namespace (--userns host) ${needsAdmin}.`);
  }
}

/**
 * What an engine's policy says about a create body. Admins are never refused but get the same
 * warnings. For non-admins, binding `/` or an engine socket (or a directory holding one) is refused
 * whatever the allow-list says. Paths are compared as written (normalized, segment by segment):
 * a symlink under an allowed directory is not resolved here — the server judges the body a second
 * time with every path resolved on the engine's machine. Joining another container's network is
 * refused unless the server judged that container (`opts.allowedJoins`). Named volumes are judged
 * by the server too (their driver options, with checkVolumePolicy).
 */
export function checkPolicy(body: CreateContainerBody, policy: DockerPolicy, opts: PolicyOptions): PolicyResult {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const refuse = (msg: string): void => {
    if (!opts.isAdmin) refusals.push(msg);
  };
  const needsAdmin = "needs an administrator (this engine's policy does not allow it)";
  const sockets = [...DOCKER_SOCKET_PATHS, ...(opts.dockerSocketPaths ?? [])].map((s) => normalizedOrNull(s) ?? s);

  if (body.privileged) {
    warnings.push('privileged: privileged mode gives the container root on the host (all devices, all capabilities, no confinement).');
    if (!policy.allowPrivileged) refuse(`privileged: privileged mode ${needsAdmin}.`);
  }
  if (body.pidHost) {
    warnings.push("pidHost: sharing the host's process namespace lets the container see and signal every process on the host.");
    if (!policy.allowHostNamespaces) refuse(`pidHost: sharing the host's process namespace (--pid host) ${needsAdmin}.`);
  }
  if (body.network === 'host') {
    warnings.push("network: the host network gives the container the host's interfaces and ports, including services bound to localhost.");
    if (!policy.allowHostNamespaces) refuse(`network: using the host's network namespace (--network host) ${needsAdmin}.`);
  }
  const joined = joinedContainer(body.network);
  if (joined !== null) {
    warnings.push(
      `network: the container shares the network stack of ${show(joined)}: its interfaces, ports and whatever that container can reach.`,
    );
    if (!(opts.allowedJoins ?? []).includes(joined)) {
      refuse(
        `network: joining the network namespace of ${show(joined)} needs an administrator unless that container is one you could have created on this engine.`,
      );
    }
  }
  judgeConfinement(body, policy, warnings, refuse);
  (body.devices ?? []).forEach((d, i) => {
    if (!policy.allowDevices) refuse(`devices[${i}]: giving the container the host device ${show(d.split(':')[0])} ${needsAdmin}.`);
  });

  const allowedCaps = new Set(policy.allowedCapAdd.map((c) => c.toUpperCase().replace(/^CAP_/, '')));
  (body.capAdd ?? []).forEach((c, i) => {
    const cap = c.toUpperCase().replace(/^CAP_/, '');
    if (cap === 'ALL' || cap === 'SYS_ADMIN') {
      warnings.push(
        `capAdd[${i}]: ${cap === 'ALL' ? 'adding every capability' : 'SYS_ADMIN'} gives the container close to root on the host.`,
      );
    }
    if (cap === 'ALL') refuse(`capAdd[${i}]: adding every capability (ALL) needs an administrator.`);
    else if (!allowedCaps.has(cap)) refuse(`capAdd[${i}]: adding the capability ${cap} ${needsAdmin}.`);
  });

  const allowList = policy.bindMountAllowList.map(normalizedOrNull).filter((p): p is string => p !== null);
  (body.mounts ?? []).forEach((m, i) => {
    if (m.type !== 'bind') return;
    const field = `mounts[${i}].source`;
    const source = normalizedOrNull(m.source);
    if (source === null) {
      refuse(`${field}: ${show(m.source)} is not a clean absolute host path, so it cannot be checked against the allowed directories.`);
      return;
    }
    const socket = exposedSocket(source, sockets);
    if (source === '/') {
      warnings.push(
        `${field}: binding "/" gives the container the host's whole file system${m.readOnly ? ' (read-only, but secrets included)' : ''}.`,
      );
      refuse(`${field}: binding "/" into a container needs an administrator.`);
    } else if (socket !== undefined) {
      warnings.push(`${field}: binding ${show(source)} exposes the engine socket ${show(socket)}; access to it equals root on the host.`);
      refuse(`${field}: binding ${show(source)} exposes the engine socket ${show(socket)} and needs an administrator.`);
    } else if (!allowList.some((base) => isPathAtOrUnder(source, base))) {
      const where = allowList.length ? `only under ${allowList.map((p) => show(p)).join(', ')}` : 'nowhere on this engine';
      refuse(`${field}: binding ${show(source)} needs an administrator; non-administrators may bind host directories ${where}.`);
    }
  });
  return { refusals, warnings };
}

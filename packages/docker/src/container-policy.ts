import type { CreateContainerBody, DockerPolicy } from '@mirador/contract';
import { show } from './errors.js';
import { settingsFromInspect } from './inspect-settings.js';
import { checkPolicy, joinedContainer, type PolicyOptions, type PolicyResult } from './policy.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- `docker inspect` JSON is read defensively. */

export type NamespaceField = 'network' | 'pid' | 'ipc';

/** A namespace an existing container shares with another container (`--network container:db`). */
export interface NamespaceJoin {
  field: NamespaceField;
  container: string;
}

/** The namespaces `inspect` shares with other containers; the server judges each of those too. */
export function containerJoins(inspect: any): NamespaceJoin[] {
  const h = inspect?.HostConfig ?? {};
  const out: NamespaceJoin[] = [];
  for (const [field, mode] of [
    ['network', h.NetworkMode],
    ['pid', h.PidMode],
    ['ipc', h.IpcMode],
  ] as const) {
    const container = joinedContainer(mode);
    if (container) out.push({ field, container });
  }
  return out;
}

/** Security options that switch a confinement off (`--security-opt seccomp=unconfined`…). */
const UNCONFINED = /^(seccomp[=:]unconfined|apparmor[=:]unconfined|label[=:]disable|systempaths[=:]unconfined)$/;
/** Confinement set to a profile or SELinux type of the creator's choosing (not the engine's default). */
const CUSTOM_CONFINEMENT = /^(seccomp[=:](?!builtin$)|apparmor[=:](?!docker-default$)|label[=:]type:)/;
const DEFAULT_RUNTIMES = new Set(['runc', 'io.containerd.runc.v2']);

/**
 * Whether a non-admin could have created the container `inspect` describes under `policy` — the
 * question asked before letting them exec into it (a shell there has every power the container has),
 * and before letting their container join its namespaces. Its settings go through checkPolicy as if
 * they were a create body, plus what a create body cannot express: host IPC/UTS/user namespaces,
 * confinement switched off, device cgroup rules and GPU requests, `pid`/`ipc` joins.
 *
 * Not judged here (the server does, on the engine): bind sources after resolving symlinks, the
 * driver options of named volumes, and the containers it joins (`opts.allowedJoins`).
 */
export function checkContainerPolicy(
  inspect: any,
  policy: DockerPolicy,
  opts: PolicyOptions,
): PolicyResult & { settings: CreateContainerBody } {
  const settings = settingsFromInspect(inspect);
  // Confinement and the user namespace are judged below from the raw inspect (it sees options a body cannot carry).
  const { seccomp: _s, seccompProfile: _p, apparmor: _a, selinux: _l, userns: _u, ...rest } = settings;
  const { refusals, warnings } = checkPolicy(rest, policy, opts);
  const unconfinedOk = policy.allowPrivileged || policy.allowUnconfined === true;
  const refuse = (field: string, allowed: boolean, risk: string): void => {
    warnings.push(`${field}: ${risk}.`);
    if (!opts.isAdmin && !allowed) refusals.push(`${field}: ${risk}; that needs an administrator.`);
  };
  const h = inspect?.HostConfig ?? {};
  if (h.IpcMode === 'host') refuse('ipc', policy.allowHostNamespaces, "it shares the host's IPC namespace (--ipc host)");
  if (h.UTSMode === 'host') refuse('uts', policy.allowHostNamespaces, "it shares the host's UTS namespace (--uts host)");
  if (h.UsernsMode === 'host') refuse('userns', policy.allowHostNamespaces, "it runs in the host's user namespace (--userns host)");
  for (const join of containerJoins(inspect)) {
    if (join.field === 'network') continue; // checkPolicy judged it from the settings
    if (!(opts.allowedJoins ?? []).includes(join.container)) {
      refuse(
        join.field,
        false,
        `it shares the ${join.field.toUpperCase()} namespace of ${show(join.container)} (--${join.field} container:…)`,
      );
    }
  }
  const securityOpt: string[] = Array.isArray(h.SecurityOpt)
    ? h.SecurityOpt.filter((o: unknown): o is string => typeof o === 'string')
    : [];
  for (const o of securityOpt.filter((x) => UNCONFINED.test(x)))
    refuse(
      'securityOpt',
      o.startsWith('systempaths') ? policy.allowPrivileged : unconfinedOk,
      `--security-opt ${o} switches a confinement off`,
    );
  // A profile of one's own can allow everything the default forbids; inspect shows seccomp's JSON inline.
  for (const o of securityOpt.filter((x) => !UNCONFINED.test(x) && CUSTOM_CONFINEMENT.test(x))) {
    refuse(
      'securityOpt',
      unconfinedOk,
      `--security-opt ${show(o.length > 60 ? `${o.slice(0, 60)}…` : o)} replaces the default confinement with a profile of its own`,
    );
  }
  if (typeof h.Runtime === 'string' && h.Runtime !== '' && !DEFAULT_RUNTIMES.has(h.Runtime)) {
    refuse('runtime', policy.allowPrivileged, `it runs under the ${show(h.Runtime)} runtime instead of the engine's default`);
  }
  if (Array.isArray(h.DeviceCgroupRules) && h.DeviceCgroupRules.length)
    refuse('devices', policy.allowDevices, 'it has device cgroup rules (--device-cgroup-rule)');
  if (Array.isArray(h.DeviceRequests) && h.DeviceRequests.length)
    refuse('devices', policy.allowDevices, 'it requests host devices such as GPUs (--gpus)');
  return { refusals, warnings, settings };
}

import type { FindingFixAction, FindingTarget } from '@mirador/contract';
import { DOCKER_SOCKET_PATHS, isPathAtOrUnder } from '@mirador/docker';
import type { FindingDraft } from './finding-draft.js';
import { draft } from './docker-rule-catalog.js';

/**
 * The parts of `docker inspect <container>` the container rules read. Deliberately nothing from
 * `Config.Env` (nor labels, command or entrypoint): evidence quotes only these fields, so a secret
 * in the environment can never end up in a finding, an export or the audit log.
 */
export interface ContainerFacts {
  Name?: string;
  Config?: { User?: string; Image?: string; Healthcheck?: { Test?: string[] | null } | null } | null;
  HostConfig?: {
    Privileged?: boolean;
    CapAdd?: string[] | null;
    SecurityOpt?: string[] | null;
    Memory?: number;
    NanoCpus?: number;
    CpuQuota?: number;
    CpusetCpus?: string;
    PidsLimit?: number | null;
    ReadonlyRootfs?: boolean;
    NetworkMode?: string;
    PidMode?: string;
    IpcMode?: string;
    AutoRemove?: boolean;
  } | null;
  AppArmorProfile?: string;
  Mounts?: Array<{ Type?: string; Source?: string; Destination?: string; RW?: boolean }> | null;
}

/** What the engine tells about every container: whether AppArmor is in use, whether root is remapped. */
export interface EngineContext {
  apparmor: boolean;
  usernsRemap: boolean;
}

/** Docker's default capability set (moby's `oci/caps/defaults.go`): adding anything beyond these widens the container. */
export const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
]);

/**
 * Host paths a container should not see: the whole filesystem, configuration, the kernel's views,
 * root's home, boot files, devices, and Docker's own state. Binding one of these (or a parent of
 * one) is flagged; so is a writable bind of anything below them.
 */
export const SENSITIVE_HOST_PATHS: readonly string[] = [
  '/',
  '/etc',
  '/proc',
  '/sys',
  '/root',
  '/boot',
  '/dev',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/lib/libvirt',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
];

/** What a Mirador fix button changes when it recreates the container. */
export const FIX_DEFAULTS = { memory: '1g', cpus: 1, pidsLimit: 1024 } as const;

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');
const isNoNewPrivs = (o: string) => /^no-new-privileges([:=]true)?$/.test(o);
const isUnconfined = (o: string, lsm: 'seccomp' | 'apparmor') => new RegExp(`^${lsm}[:=]unconfined$`).test(o);

/** Only the container rules whose fix Mirador can apply itself carry one. */
function recreateFix(kind: string, label: string, name: string, flag: string): FindingFixAction {
  return {
    kind,
    label,
    command: `docker stop ${name} && docker rename ${name} ${name}-old && docker run --name ${name} ${flag} <the same settings> && docker rm ${name}-old`,
  };
}

/** Rules about one container (OWASP Docker D1–D8). Pure: the same inspect gives the same drafts. */
export function containerRules(c: ContainerFacts, engine: EngineContext): FindingDraft[] {
  const name = (c.Name ?? '').replace(/^\//, '');
  const target: FindingTarget = { kind: 'container', id: name, name };
  const h = c.HostConfig ?? {};
  const securityOpt = h.SecurityOpt ?? [];
  const out: FindingDraft[] = [];

  for (const m of c.Mounts ?? []) {
    if (m.Type !== 'bind' || !m.Source) continue;
    const mode = m.RW === false ? 'ro' : 'rw';
    const socket = m.Source !== '/' ? DOCKER_SOCKET_PATHS.find((s) => isPathAtOrUnder(s, m.Source!)) : undefined;
    if (socket) {
      out.push(
        draft('docker.container.docker-socket', target, {
          evidence: `Mounts: bind ${m.Source} → ${m.Destination ?? '?'} (${mode})${socket !== m.Source ? `, which contains ${socket}` : ''}`,
          why: 'OWASP Docker D1: whoever reaches the Docker socket controls the engine and can start a privileged container on the host — read-only does not help.',
          fix: `Remove -v ${m.Source}:${m.Destination ?? '…'}; if the container must manage Docker, use a socket proxy that allows only the needed API calls.`,
          params: { source: m.Source, destination: m.Destination ?? '' },
        }),
      );
      continue;
    }
    const exact = SENSITIVE_HOST_PATHS.find((p) => isPathAtOrUnder(p, m.Source!));
    const under = exact ? undefined : SENSITIVE_HOST_PATHS.find((p) => p !== '/' && isPathAtOrUnder(m.Source!, p));
    if (exact || (under && mode === 'rw')) {
      out.push(
        draft('docker.container.sensitive-mount', target, {
          severity: m.Source === '/' ? 'critical' : exact ? 'high' : 'medium',
          evidence: `Mounts: bind ${m.Source} → ${m.Destination ?? '?'} (${mode})`,
          why: `OWASP Docker D8: ${exact ? `${m.Source} exposes the host's ${exact === '/' ? 'whole filesystem' : exact}` : `a writable bind below ${under} lets the container change the host's ${under}`}, a direct path out of the container.`,
          fix: `Bind only the specific files the container needs, read-only (-v <file>:<target>:ro), or use a named volume instead of ${m.Source}.`,
          params: { source: m.Source, destination: m.Destination ?? '', mode },
        }),
      );
    }
  }

  if (h.Privileged) {
    out.push(
      draft('docker.container.privileged', target, {
        evidence: 'HostConfig.Privileged = true',
        why: 'OWASP Docker D3: a privileged container has every capability, every device and no seccomp/AppArmor confinement — root in it is root on the host.',
        fix: `Recreate ${name} without --privileged; add only the capabilities (--cap-add) or devices (--device) it really needs.`,
        fixAction: recreateFix('container.drop-privileged', `Recreate ${name} without --privileged`, name, '(without --privileged)'),
      }),
    );
  }

  const user = (c.Config?.User ?? '').trim();
  const uid = user.split(':')[0] ?? '';
  if (uid === '' || uid === '0' || uid === 'root') {
    out.push(
      draft('docker.container.root-user', target, {
        severity: engine.usernsRemap ? 'low' : 'medium',
        evidence: `Config.User = ${user === '' ? '"" (the image sets no USER: root)' : `"${user}"`}${engine.usernsRemap ? '; the engine remaps user namespaces' : ''}`,
        why: 'OWASP Docker D2: a process running as root in a container is root on the host as soon as it escapes (a kernel bug, a bad mount).',
        fix: 'Run as an unprivileged user: docker run --user 1000:1000 (or add USER to the Dockerfile).',
        params: { user: user || 'root' },
      }),
    );
  }

  const added = [...new Set((h.CapAdd ?? []).map(capName))].filter((cap) => !DEFAULT_CAPABILITIES.has(cap));
  if (added.length && !h.Privileged) {
    out.push(
      draft('docker.container.cap-add', target, {
        severity: added.some((cap) => cap === 'ALL' || cap === 'SYS_ADMIN') ? 'critical' : 'high',
        evidence: `HostConfig.CapAdd = [${(h.CapAdd ?? []).join(', ')}] (beyond Docker's default set: ${added.join(', ')})`,
        why: 'OWASP Docker D3: every capability beyond the default set hands the container part of root’s power on the host kernel.',
        fix: `Recreate without --cap-add ${added.join(' --cap-add ')}; better still, --cap-drop ALL and add back only what is needed.`,
        params: { capabilities: added.join(', ') },
        fixAction: recreateFix(
          'container.drop-added-caps',
          `Recreate ${name} without ${added.join(', ')}`,
          name,
          `(without --cap-add ${added.join(', ')})`,
        ),
      }),
    );
  }

  if (!securityOpt.some(isNoNewPrivs) && !h.Privileged) {
    out.push(
      draft('docker.container.no-new-privileges', target, {
        evidence: `HostConfig.SecurityOpt = [${securityOpt.join(', ')}] (no no-new-privileges)`,
        why: 'OWASP Docker D4: without no-new-privileges a process can gain privileges through setuid/setgid binaries inside the container.',
        fix: 'docker run --security-opt no-new-privileges:true (or "no-new-privileges": true in daemon.json for every container).',
        fixAction: recreateFix(
          'container.no-new-privileges',
          `Recreate ${name} with no-new-privileges`,
          name,
          '--security-opt no-new-privileges:true',
        ),
      }),
    );
  }

  // A privileged container is unconfined anyway; its own finding says so.
  if (!h.Privileged) {
    const seccomp = securityOpt.find((o) => isUnconfined(o, 'seccomp'));
    if (seccomp) {
      out.push(
        draft('docker.container.seccomp-unconfined', target, {
          evidence: `HostConfig.SecurityOpt contains ${seccomp}`,
          why: 'OWASP Docker D6: without seccomp the container may call every system call, including the ones container escapes use.',
          fix: 'Recreate without --security-opt seccomp=unconfined (the default profile applies), or with a custom profile that allows just the extra calls.',
        }),
      );
    }
    const apparmorOpt = securityOpt.find((o) => isUnconfined(o, 'apparmor'));
    if (apparmorOpt || (engine.apparmor && c.AppArmorProfile === 'unconfined')) {
      out.push(
        draft('docker.container.apparmor-unconfined', target, {
          evidence: apparmorOpt ? `HostConfig.SecurityOpt contains ${apparmorOpt}` : 'AppArmorProfile = unconfined',
          why: 'OWASP Docker D6: without an AppArmor profile nothing limits which files and mounts the container’s processes may touch.',
          fix: 'Recreate without --security-opt apparmor=unconfined (docker-default applies), or with a profile loaded on the host.',
        }),
      );
    }
  }

  if (!(h.Memory && h.Memory > 0)) {
    out.push(
      draft('docker.container.no-memory-limit', target, {
        evidence: `HostConfig.Memory = ${h.Memory ?? 0} (unlimited)`,
        why: 'OWASP Docker D7: without a memory limit one container can exhaust the host’s memory and get other workloads killed.',
        fix: `docker run --memory ${FIX_DEFAULTS.memory} (size it to the workload; the fix button uses ${FIX_DEFAULTS.memory}).`,
        fixAction: recreateFix(
          'container.set-memory-limit',
          `Recreate ${name} with --memory ${FIX_DEFAULTS.memory}`,
          name,
          `--memory ${FIX_DEFAULTS.memory}`,
        ),
      }),
    );
  }
  if (!(h.NanoCpus && h.NanoCpus > 0) && !(h.CpuQuota && h.CpuQuota > 0) && !h.CpusetCpus) {
    out.push(
      draft('docker.container.no-cpu-limit', target, {
        evidence: `HostConfig.NanoCpus = ${h.NanoCpus ?? 0}, CpuQuota = ${h.CpuQuota ?? 0}, CpusetCpus = "${h.CpusetCpus ?? ''}" (unlimited)`,
        why: 'OWASP Docker D7: without a CPU limit one container can starve the host and its neighbours.',
        fix: `docker run --cpus ${FIX_DEFAULTS.cpus} (or --cpuset-cpus); the fix button uses --cpus ${FIX_DEFAULTS.cpus}.`,
        fixAction: recreateFix(
          'container.set-cpu-limit',
          `Recreate ${name} with --cpus ${FIX_DEFAULTS.cpus}`,
          name,
          `--cpus ${FIX_DEFAULTS.cpus}`,
        ),
      }),
    );
  }
  if (!(typeof h.PidsLimit === 'number' && h.PidsLimit > 0)) {
    out.push(
      draft('docker.container.no-pids-limit', target, {
        evidence: `HostConfig.PidsLimit = ${h.PidsLimit ?? 'null'} (unlimited)`,
        why: 'OWASP Docker D7: without a pids limit a fork bomb in one container exhausts the host’s process table.',
        fix: `docker run --pids-limit ${FIX_DEFAULTS.pidsLimit} (threads count too); the fix button uses ${FIX_DEFAULTS.pidsLimit}.`,
        fixAction: recreateFix(
          'container.set-pids-limit',
          `Recreate ${name} with --pids-limit ${FIX_DEFAULTS.pidsLimit}`,
          name,
          `--pids-limit ${FIX_DEFAULTS.pidsLimit}`,
        ),
      }),
    );
  }
  if (!h.ReadonlyRootfs) {
    out.push(
      draft('docker.container.writable-rootfs', target, {
        evidence: 'HostConfig.ReadonlyRootfs = false',
        why: 'OWASP Docker D8: a writable root filesystem lets an intruder change the container’s programs and persist there.',
        // No button: many images write below / at run time; that has to be checked per image.
        fix: 'docker run --read-only with --tmpfs /tmp (and volumes for the paths the application writes).',
      }),
    );
  }

  const namespaces: Array<
    [string | undefined, 'docker.container.host-network' | 'docker.container.host-pid' | 'docker.container.host-ipc', string, string]
  > = [
    [h.NetworkMode, 'docker.container.host-network', 'NetworkMode', '--network host'],
    [h.PidMode, 'docker.container.host-pid', 'PidMode', '--pid host'],
    [h.IpcMode, 'docker.container.host-ipc', 'IpcMode', '--ipc host'],
  ];
  for (const [value, ruleId, field, flag] of namespaces) {
    if (value !== 'host') continue;
    out.push(
      draft(ruleId, target, {
        evidence: `HostConfig.${field} = host`,
        why:
          ruleId === 'docker.container.host-network'
            ? 'OWASP Docker D5: sharing the host’s network namespace removes network isolation — the container sees and binds every host interface and local-only service.'
            : `OWASP Docker D3: sharing the host's ${field === 'PidMode' ? 'process' : 'IPC'} namespace lets the container see and signal (or read the shared memory of) host processes.`,
        fix: `Recreate ${name} without ${flag}.`,
        params: { namespace: field },
      }),
    );
  }
  return out;
}

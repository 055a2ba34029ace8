import type { FindingSeverity, FindingTarget } from '@mirador/contract';
import type { FindingDraft } from './finding-draft.js';
import type { ConfFile, ConfLine, HostPosture, Listener, SshdConfig } from './host-posture-parse.js';
import { beyondLoopback, isLoopback } from './listen-address.js';

export { isLoopback };

/**
 * The host half of the lecture's VM security advice — protect the host, libvirt access control,
 * sVirt/SELinux/AppArmor, TLS and firewalls — plus SSH and a Docker daemon on TCP, judged from what
 * the posture probe read. Pure: posture in, drafts out. A rule whose input could not be read says so
 * with an `info` draft under `<ruleId>.unknown` (its own id, so acknowledging "could not check" never
 * hides a real finding later).
 */

export const REF = {
  access: 'libvirt: access control',
  svirt: 'libvirt: sVirt',
  tls: 'libvirt: TLS and firewalls',
  host: 'libvirt: protect the host',
  docker: 'OWASP Docker D1',
} as const;

export interface Rule {
  ruleId: string;
  reference: string;
  title: string;
  why: string;
}

export const RULES = {
  access: {
    ruleId: 'libvirt.access-control',
    reference: REF.access,
    title: 'Everyone allowed to manage libvirt is root on this host',
    why: "The lecture's libvirt access control advice: whoever may open libvirt's read-write socket without an ACL driver can define a VM that mounts the host's disks, so every such user is root; grant access per user and per VM (polkit ACL) instead of to a whole group.",
  },
  svirt: {
    ruleId: 'libvirt.svirt',
    reference: REF.svirt,
    title: 'Guests are not confined by sVirt (SELinux/AppArmor)',
    why: "The lecture's sVirt advice: without a mandatory access control label per guest, a QEMU process taken over by its guest can read and write every other guest's disks and the host's files.",
  },
  tcp: {
    ruleId: 'libvirt.tcp-without-tls',
    reference: REF.tls,
    title: 'libvirt listens on TCP without TLS',
    why: "The lecture's TLS and firewalls advice: libvirt's plain TCP socket carries full control of every VM unencrypted (and with auth_tcp = none, unauthenticated) to anyone who can reach the port; use TLS (or SSH) and keep the port behind a firewall.",
  },
  qemuRoot: {
    ruleId: 'libvirt.qemu-root',
    reference: REF.host,
    title: 'QEMU runs as root',
    why: "The lecture's protect-the-host advice: QEMU parses everything a guest sends it; run as root, one QEMU escape is a root shell on the host instead of an unprivileged, sVirt-labelled process.",
  },
  updates: {
    ruleId: 'host.security-updates',
    reference: REF.host,
    title: 'Security updates are pending on this host',
    why: "The lecture's protect-the-host advice (and OWASP Docker D0): a hypervisor or container host is only as safe as its kernel, QEMU, libvirt and Docker packages; published security fixes left uninstalled are known ways in.",
  },
  ssh: {
    ruleId: 'host.ssh-password-login',
    reference: REF.host,
    title: 'SSH accepts password logins',
    why: "The lecture's protect-the-host advice: SSH is the door to the hypervisor host (and Mirador's own way in); passwords can be guessed or reused, keys cannot, so password login should be off.",
  },
  dockerTcp: {
    ruleId: 'host.docker-tcp-without-tls',
    reference: REF.docker,
    title: 'The Docker daemon listens on TCP without TLS client verification',
    why: 'OWASP Docker D1 (never expose the Docker daemon; and the TLS and firewalls advice): the Docker API is root on the host; on TCP without --tlsverify anyone who reaches the port can start a privileged container.',
  },
} satisfies Record<string, Rule>;

type Params = Record<string, string | number>;

function draft(
  rule: Rule,
  target: FindingTarget,
  severity: FindingSeverity,
  evidence: string,
  fix: string,
  params: Params = {},
): FindingDraft {
  return {
    ruleId: rule.ruleId,
    reference: rule.reference,
    severity,
    target,
    title: rule.title,
    evidence,
    why: rule.why,
    fix,
    params,
    fixAction: null,
  };
}

/** "Could not check": its own rule id, severity info, the reason as evidence. */
export function unknown(rule: Rule, target: FindingTarget, reason: string, fix: string): FindingDraft {
  return {
    ruleId: `${rule.ruleId}.unknown`,
    reference: rule.reference,
    severity: 'info',
    target,
    title: `Could not check: ${rule.title}`,
    evidence: `could not read: ${reason}`,
    why: rule.why,
    fix,
    params: { reason },
    fixAction: null,
  };
}

const READ_AS_ROOT = 'Let Mirador log in to this host as root (or a user who may read the files named) so the advisor can check it.';

export const at = (l: ConfLine) => `${l.file}:${l.line}: ${l.raw}`;
export const fileOf = (p: HostPosture, path: string): ConfFile | undefined => p.files.find((f) => f.path === path);
/** libvirt's parser keeps the last assignment of a key. */
export const setting = (f: ConfFile | undefined, key: string): ConfLine | undefined => f?.lines.filter((l) => l.key === key).at(-1);

const processes = (p: HostPosture) => (p.processes.ok ? p.processes.value : []);

/** Which daemon serves QEMU: the modular virtqemud when it runs (or only its config exists), else libvirtd. */
function libvirtDaemon(p: HostPosture): { name: 'libvirtd' | 'virtqemud'; conf: string; socket: string } | null {
  const running = new Set(processes(p).map((x) => x.comm));
  const exists = (path: string) => fileOf(p, path)?.status !== 'missing';
  const virtqemud = { name: 'virtqemud' as const, conf: '/etc/libvirt/virtqemud.conf', socket: '/run/libvirt/virtqemud-sock' };
  const libvirtd = { name: 'libvirtd' as const, conf: '/etc/libvirt/libvirtd.conf', socket: '/run/libvirt/libvirt-sock' };
  if (running.has('virtqemud')) return virtqemud;
  if (running.has('libvirtd')) return libvirtd;
  if (p.sockets.some((s) => s.path === virtqemud.socket)) return virtqemud;
  if (p.sockets.some((s) => s.path === libvirtd.socket)) return libvirtd;
  if (!p.processes.ok && exists(libvirtd.conf)) return libvirtd;
  return null;
}

/** Groups and users a polkit rule lets manage libvirt (`org.libvirt.unix.manage` → `polkit.Result.YES`), with the line that says so. */
export function polkitGrants(p: HostPosture): { who: string; kind: 'group' | 'user'; evidence: string }[] {
  const grants: { who: string; kind: 'group' | 'user'; evidence: string }[] = [];
  for (const f of p.polkit.files) {
    if (!f.text.includes('org.libvirt.unix.manage') || !/Result\.YES/.test(f.text)) continue;
    f.text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/is(InGroup|User)\(\s*["']([^"']+)["']\s*\)/g)) {
        grants.push({ who: m[2]!, kind: m[1] === 'User' ? 'user' : 'group', evidence: `${f.path}:${i + 1}: ${line.trim()}` });
      }
    });
  }
  return grants;
}

function accessControl(p: HostPosture, target: FindingTarget): FindingDraft[] {
  const daemon = libvirtDaemon(p);
  if (!daemon) return [];
  const conf = fileOf(p, daemon.conf);
  if (conf?.status === 'denied') return [unknown(RULES.access, target, `${daemon.conf} (permission denied)`, READ_AS_ROOT)];
  const acl = setting(conf, 'access_drivers');
  if (acl && /polkit/.test(acl.value)) return [];
  const auth = setting(conf, 'auth_unix_rw');
  const authValue = auth?.value ?? 'polkit';
  const aclEvidence = acl
    ? at(acl)
    : `access_drivers not set in ${daemon.conf} (no ACL driver: a connection that is let in may do everything)`;
  const authEvidence = auth ? at(auth) : `auth_unix_rw not set in ${daemon.conf} (default polkit)`;
  const socket = p.sockets.find((s) => s.path === daemon.socket);
  const groups = p.groups.ok ? p.groups.value : null;
  const grantees: string[] = [];
  const evidence: string[] = [aclEvidence, authEvidence];
  let everyone = false;

  if (authValue === 'none') {
    if (!socket) return [unknown(RULES.access, target, `the socket ${daemon.socket} could not be inspected`, READ_AS_ROOT)];
    evidence.push(`stat ${socket.path}: ${socket.owner}:${socket.group} mode ${socket.mode}`);
    const mode = parseInt(socket.mode, 8);
    if (mode & 0o002) everyone = true;
    else if (mode & 0o020 && socket.group !== 'root') {
      const members = groups?.get(socket.group) ?? [];
      evidence.push(`getent group ${socket.group}: ${members.join(',') || '(no members)'}`);
      grantees.push(...members.filter((u) => u !== 'root'));
    }
  } else if (authValue === 'polkit') {
    const denied = p.polkit.dirs.filter((d) => d.status === 'denied');
    if (denied.length > 0) {
      return [
        unknown(RULES.access, target, `the polkit rules in ${denied.map((d) => d.path).join(', ')} (permission denied)`, READ_AS_ROOT),
      ];
    }
    for (const g of polkitGrants(p)) {
      evidence.push(g.evidence);
      if (g.kind === 'user') {
        if (g.who !== 'root') grantees.push(g.who);
        continue;
      }
      const members = groups?.get(g.who) ?? [];
      evidence.push(`getent group ${g.who}: ${members.join(',') || '(no members)'}`);
      grantees.push(...members.filter((u) => u !== 'root'));
    }
  } else {
    // sasl (or another mechanism): each user logs in with their own credentials.
    return [];
  }
  const users = [...new Set(grantees)].sort();
  if (!everyone && users.length === 0) return [];
  const fix = `Turn on libvirt's ACL driver: set access_drivers = [ "polkit" ] in ${daemon.conf}, write polkit rules for org.libvirt.api.* per user and per VM, and restart ${daemon.name}${
    users.length ? `; or remove users from the group (gpasswd -d USER GROUP)` : ''
  }.`;
  if (everyone) {
    return [
      draft(RULES.access, target, 'critical', `${evidence.join('; ')} — every local user may manage libvirt`, fix, { users: 'everyone' }),
    ];
  }
  return [draft(RULES.access, target, 'medium', `${evidence.join('; ')}`, fix, { users: users.join(','), count: users.length })];
}

const MAC_MODELS = new Set(['selinux', 'apparmor']);

/** The MAC model libvirt confines guests with, if any (`apparmor`/`selinux`), from capabilities. */
export function macModel(p: HostPosture): string | null {
  return p.secModels?.ok ? (p.secModels.value.find((m) => MAC_MODELS.has(m)) ?? null) : null;
}

function svirt(p: HostPosture, target: FindingTarget): FindingDraft[] {
  const qemu = fileOf(p, '/etc/libvirt/qemu.conf');
  const fix =
    'Enable a MAC security driver for QEMU: install and enable AppArmor (apparmor, apparmor-utils; libvirt ships its profiles) or SELinux, set security_driver = "apparmor" (or "selinux") in /etc/libvirt/qemu.conf, keep security_default_confined = 1, and restart libvirt; guests get their label when they next start.';
  const driver = setting(qemu, 'security_driver');
  if (driver && /^\s*(none|\[\s*"none"\s*\])\s*$/.test(driver.value))
    return [draft(RULES.svirt, target, 'high', at(driver), fix, { driver: 'none' })];
  const confined = setting(qemu, 'security_default_confined');
  if (confined && confined.value === '0')
    return [draft(RULES.svirt, target, 'medium', `${at(confined)} (guests without their own <seclabel> run unconfined)`, fix)];
  if (!p.secModels) return [];
  if (!p.secModels.ok)
    return [unknown(RULES.svirt, target, p.secModels.reason, 'Check that libvirt answers on this host (virsh capabilities).')];
  if (macModel(p)) return [];
  const models = p.secModels.value.join(', ') || '(none listed)';
  const evidence = `virsh capabilities: security models ${models} (no selinux or apparmor)${driver ? `; ${at(driver)}` : ''}`;
  return [draft(RULES.svirt, target, 'medium', evidence, fix, { models })];
}

function tcpWithoutTls(p: HostPosture, target: FindingTarget): FindingDraft[] {
  const daemon = libvirtDaemon(p);
  const conf = fileOf(p, daemon?.conf ?? '/etc/libvirt/libvirtd.conf');
  const port = Number(setting(conf, 'tcp_port')?.value ?? 16509);
  const auth = setting(conf, 'auth_tcp');
  const authNone = auth?.value === 'none';
  const authEvidence = auth ? at(auth) : `auth_tcp not set (default sasl)`;
  const evidence: string[] = [];
  let exposed: boolean;
  if (p.listeners.ok) {
    const on = p.listeners.value.filter((l) => l.port === port && (l.process === null || /libvirtd|virtproxyd|systemd/.test(l.process)));
    for (const l of on) evidence.push(`ss -ltn: ${l.raw}`);
    exposed = on.some((l) => !isLoopback(l.address));
    if (on.length === 0) return [];
  } else {
    const listen = setting(conf, 'listen_tcp');
    const daemonArgs = processes(p).find((x) => x.comm === 'libvirtd')?.args ?? '';
    const active = [...(p.units ?? [])].filter(([u, s]) => /-tcp\.socket$/.test(u) && s === 'active').map(([u]) => u);
    const viaFlag = listen?.value === '1' && /(^|\s)(--listen|-l)(\s|$)/.test(daemonArgs);
    if (!viaFlag && active.length === 0) {
      return [
        unknown(RULES.tcp, target, p.listeners.reason, 'Install iproute2 (ss) on the host so the advisor can see its listening sockets.'),
      ];
    }
    if (listen) evidence.push(at(listen));
    if (viaFlag) evidence.push(`libvirtd ${daemonArgs}`);
    for (const u of active) evidence.push(`systemctl is-active ${u}: active`);
    exposed = true;
  }
  evidence.push(authEvidence);
  const severity: FindingSeverity = !exposed ? 'low' : authNone ? 'critical' : 'high';
  const fix = `Stop the plain TCP listener (listen_tcp = 0 in ${conf?.path ?? '/etc/libvirt/libvirtd.conf'}, systemctl disable --now libvirtd-tcp.socket) and reach libvirt over SSH (qemu+ssh://) or TLS (listen_tls = 1 with certificates, libvirtd-tls.socket on port 16514), with the port closed in the firewall.`;
  return [draft(RULES.tcp, target, severity, evidence.join('; '), fix, { port, auth: auth?.value ?? 'sasl' })];
}

function qemuRoot(p: HostPosture, target: FindingTarget): FindingDraft[] {
  const qemu = fileOf(p, '/etc/libvirt/qemu.conf');
  const evidence: string[] = [];
  const user = setting(qemu, 'user');
  if (user && /^(root|\+0)$/.test(user.value)) evidence.push(at(user));
  const asRoot = processes(p).filter((x) => /^qemu/.test(x.comm) && x.user === 'root');
  for (const x of asRoot.slice(0, 5)) evidence.push(`ps: pid ${x.pid} user root ${x.comm} ${x.args}`.trim());
  if (asRoot.length > 5) evidence.push(`and ${asRoot.length - 5} more QEMU processes as root`);
  const fix =
    'Run QEMU unprivileged: set user = "libvirt-qemu" and group = "libvirt-qemu" (Debian/Ubuntu) or "qemu" (Fedora/RHEL) in /etc/libvirt/qemu.conf (or remove the lines), restart libvirt and restart the guests.';
  if (evidence.length > 0) return [draft(RULES.qemuRoot, target, 'high', evidence.join('; '), fix, { processes: asRoot.length })];
  if (qemu?.status === 'denied' && asRoot.length === 0 && !p.processes.ok)
    return [unknown(RULES.qemuRoot, target, '/etc/libvirt/qemu.conf (permission denied)', READ_AS_ROOT)];
  return [];
}

/** Package lists older than this cannot say that nothing is pending. */
const STALE_LISTS_DAYS = 7;

function updates(p: HostPosture, target: FindingTarget): FindingDraft[] {
  if (p.updates === null) return [];
  if (!p.updates.ok)
    return [unknown(RULES.updates, target, p.updates.reason, 'Refresh the package metadata on the host (apt-get update / dnf makecache).')];
  const u = p.updates.value;
  const names = u.security.map((l) => (u.tool === 'apt' ? (/^([^/\s]+)\//.exec(l)?.[1] ?? l) : (l.trim().split(/\s+/).at(-1) ?? l)));
  const unique = [...new Set(names)];
  const age = u.listsAgeDays === null ? '' : ` (package lists ${u.listsAgeDays} day${u.listsAgeDays === 1 ? '' : 's'} old)`;
  if (unique.length === 0) {
    if (u.listsAgeDays !== null && u.listsAgeDays > STALE_LISTS_DAYS)
      return [unknown(RULES.updates, target, `apt's package lists are ${u.listsAgeDays} days old`, 'Run apt-get update on the host.')];
    return [];
  }
  const command = u.tool === 'apt' ? 'apt list --upgradable' : 'dnf -C updateinfo list --security';
  const shown = unique.slice(0, 15).join(', ') + (unique.length > 15 ? `, … (${unique.length - 15} more)` : '');
  const evidence = `${command}: ${unique.length} package${unique.length === 1 ? '' : 's'} with security updates${u.total !== null ? ` of ${u.total} upgradable` : ''}${age}: ${shown}; e.g. ${u.security[0]}`;
  const fix =
    u.tool === 'apt'
      ? 'apt-get update && apt-get upgrade (then restart the services, or reboot for a new kernel)'
      : 'dnf upgrade --security';
  return [draft(RULES.updates, target, unique.length >= 10 ? 'high' : 'medium', evidence, fix, { count: unique.length, tool: u.tool })];
}

/** Whether one sshd configuration lets a password in, and the lines that say so. */
export function sshPasswordLogin(c: SshdConfig): { allowed: boolean; root: boolean; evidence: string[] } {
  const v = (k: string) => c.values[k]?.value;
  const ev = (k: string, fallback: string) => c.values[k]?.evidence ?? fallback;
  const methods = v('authenticationmethods');
  if (methods && methods !== 'any' && !/password|keyboard-interactive/.test(methods)) return { allowed: false, root: false, evidence: [] };
  const evidence: string[] = [];
  const pw = v('passwordauthentication') ?? 'yes';
  if (pw === 'yes') evidence.push(ev('passwordauthentication', `PasswordAuthentication not set in ${c.config} (OpenSSH's default is yes)`));
  if (v('kbdinteractiveauthentication') === 'yes' && v('usepam') === 'yes')
    evidence.push(`${ev('kbdinteractiveauthentication', '')} with ${ev('usepam', '')} (PAM asks for the password)`);
  const root = evidence.length > 0 && v('permitrootlogin') === 'yes';
  if (root) evidence.push(ev('permitrootlogin', ''));
  return { allowed: evidence.length > 0, root, evidence };
}

function ssh(p: HostPosture, target: FindingTarget): FindingDraft[] {
  if (!p.sshd.ok) return [unknown(RULES.ssh, target, p.sshd.reason, READ_AS_ROOT)];
  const evidence: string[] = [];
  const notes: string[] = [];
  let root = false;
  for (const c of p.sshd.value.configs) {
    if (c.source === 'files' && c.denied.includes(c.config)) {
      notes.push(`${c.config} (permission denied)`);
      continue;
    }
    const judged = sshPasswordLogin(c);
    if (!judged.allowed) continue;
    root ||= judged.root;
    const how =
      c.source === 'files'
        ? ` [read from the files: sshd -T failed: ${c.failure ?? 'unknown'}${c.hasMatch ? '; Match blocks not judged' : ''}]`
        : '';
    evidence.push(judged.evidence.join('; ') + how);
  }
  if (evidence.length === 0) return notes.length ? [unknown(RULES.ssh, target, notes.join('; '), READ_AS_ROOT)] : [];
  if (!p.sshd.value.running) evidence.push('(no running sshd was found; the default config was read)');
  const fix =
    'Set PasswordAuthentication no and KbdInteractiveAuthentication no (and PermitRootLogin prohibit-password) in /etc/ssh/sshd_config or a file in /etc/ssh/sshd_config.d/, check with sshd -t, then reload sshd; log in with keys.';
  return [draft(RULES.ssh, target, root ? 'high' : 'medium', evidence.join(' | '), fix, { root: root ? 'yes' : 'no' })];
}

const TCP_HOST = /tcp:\/\/([^\s"',\]]*)/g;

function dockerTcp(p: HostPosture, target: FindingTarget): FindingDraft[] {
  const evidence: string[] = [];
  const hosts: string[] = [];
  let tlsVerify = false;
  for (const d of processes(p).filter((x) => x.comm === 'dockerd')) {
    const found = [...d.args.matchAll(TCP_HOST)].map((m) => m[1]!);
    if (found.length) {
      hosts.push(...found);
      evidence.push(`dockerd (pid ${d.pid}): ${d.args}`);
    }
    if (/--tlsverify(?!=false)/.test(d.args)) tlsVerify = true;
  }
  if (p.dockerJson?.status === 'ok') {
    try {
      const cfg = JSON.parse(p.dockerJson.text) as { hosts?: unknown; tlsverify?: unknown };
      const tcp = Array.isArray(cfg.hosts) ? cfg.hosts.filter((h): h is string => typeof h === 'string' && h.startsWith('tcp://')) : [];
      if (tcp.length) {
        hosts.push(...tcp.map((h) => h.slice(6)));
        evidence.push(`/etc/docker/daemon.json: "hosts": ${JSON.stringify(cfg.hosts)}`);
      }
      if (cfg.tlsverify === true) tlsVerify = true;
    } catch {
      evidence.push('/etc/docker/daemon.json is not valid JSON');
    }
  }
  if (p.listeners.ok) {
    for (const l of p.listeners.value.filter((x: Listener) => x.port === 2375 && (x.process === null || x.process === 'dockerd'))) {
      evidence.push(`ss -ltn: ${l.raw}`);
      hosts.push(`${l.address}:${l.port}`);
    }
  }
  if (hosts.length === 0 || tlsVerify) return [];
  const exposed = beyondLoopback(hosts);
  const fix =
    'Remove the tcp:// host from dockerd (its -H flags, or "hosts" in /etc/docker/daemon.json) and use the unix socket or SSH (DOCKER_HOST=ssh://…); if TCP is needed, run dockerd with --tlsverify --tlscacert --tlscert --tlskey on port 2376 and firewall it.';
  return [
    draft(RULES.dockerTcp, target, exposed ? 'critical' : 'high', evidence.join('; '), fix, { hosts: [...new Set(hosts)].join(',') }),
  ];
}

/** Every host rule on one posture. `target` is the host (`kind: 'host'`, id = host id). */
export function hostRules(p: HostPosture, target: FindingTarget): FindingDraft[] {
  return [
    ...accessControl(p, target),
    ...svirt(p, target),
    ...tcpWithoutTls(p, target),
    ...qemuRoot(p, target),
    ...updates(p, target),
    ...ssh(p, target),
    ...dockerTcp(p, target),
  ];
}

/** What each host rule is (for the advisor's rule list). */
export const HOST_RULES: readonly (Rule & { severity: FindingSeverity })[] = [
  { ...RULES.access, severity: 'medium' },
  { ...RULES.svirt, severity: 'medium' },
  { ...RULES.tcp, severity: 'high' },
  { ...RULES.qemuRoot, severity: 'high' },
  { ...RULES.updates, severity: 'high' },
  { ...RULES.ssh, severity: 'medium' },
  { ...RULES.dockerTcp, severity: 'critical' },
];

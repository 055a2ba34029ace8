import { CONTROL_CHARS, describeChar, fail, firstBadChar, requireString, show } from './errors.js';
import { validateContainerPath, validateHostPath } from './paths.js';

// ---- names -------------------------------------------------------------------------------------------

/** The engine's rule for container, volume and network names (`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`, 1 character allowed). */
export const DOCKER_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const DOCKER_NAME_MAX = 128;

function validateName(name: unknown, field: string, what: string): string {
  const s = requireString(name, field, what);
  if (s.length === 0) fail(field, `${what} cannot be empty.`);
  if (s.length > DOCKER_NAME_MAX) fail(field, `${what} is ${s.length} characters long; the limit is ${DOCKER_NAME_MAX}.`);
  if (!/^[a-zA-Z0-9]/.test(s)) fail(field, `${what} ${show(s)} must start with a letter or digit.`);
  const bad = firstBadChar(s, /[a-zA-Z0-9_.-]/);
  if (bad !== undefined) {
    fail(field, `${what} ${show(s)} contains ${describeChar(bad)}; use only letters, digits, ".", "_" and "-".`);
  }
  return s;
}

export function validateContainerName(name: unknown, field = 'name'): string {
  return validateName(name, field, 'Container name');
}
export function validateVolumeName(name: unknown, field = 'name'): string {
  return validateName(name, field, 'Volume name');
}
export function validateNetworkName(name: unknown, field = 'name'): string {
  return validateName(name, field, 'Network name');
}

/** A container name or (a prefix of) its ID, as the docker CLI accepts. */
export function validateContainerRef(ref: unknown, field = 'container'): string {
  return validateName(ref, field, 'Container name or ID');
}

const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none']);
/** The engine's own networks, which cannot be removed and take no aliases. */
export function isBuiltinNetwork(name: string): boolean {
  return BUILTIN_NETWORKS.has(name);
}

/** `sha256:4f3c…` → `4f3c…` (12 characters), as the CLI shows IDs. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

// ---- hostnames and users -----------------------------------------------------------------------------

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** RFC 1123 host name: labels of letters, digits and inner "-", joined by ".", 253 characters at most. */
export function validateHostname(name: unknown, field = 'hostname'): string {
  const s = requireString(name, field, 'Host name');
  if (s.length === 0) fail(field, 'Host name cannot be empty.');
  if (s.length > 253) fail(field, `Host name is ${s.length} characters long; the limit is 253.`);
  const bad = firstBadChar(s, /[A-Za-z0-9.-]/);
  if (bad !== undefined) fail(field, `Host name ${show(s)} contains ${describeChar(bad)}; use letters, digits, "-" and ".".`);
  for (const label of s.split('.')) {
    if (!HOST_LABEL.test(label)) {
      fail(
        field,
        `Host name ${show(s)} is not valid; each dot-separated part must be 1 to 63 letters, digits or "-", not starting or ending with "-".`,
      );
    }
  }
  return s;
}

const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
const NUMERIC_ID = /^[0-9]{1,10}$/;

function validUserPart(part: string): boolean {
  if (NUMERIC_ID.test(part)) return Number(part) <= 4294967294;
  return USER_NAME.test(part);
}

/** `name`, `uid`, `name:group`, `uid:gid` (`--user`). */
export function validateUser(user: unknown, field = 'user'): string {
  const s = requireString(user, field, 'User');
  const parts = s.split(':');
  if (s.length === 0 || parts.length > 2 || !parts.every(validUserPart)) {
    fail(
      field,
      `${show(s)} is not a user; use a user name or numeric uid, optionally followed by ":" and a group name or gid (e.g. "1000:1000" or "www-data").`,
    );
  }
  return s;
}

// ---- environment and labels ----------------------------------------------------------------------------

export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** `KEY=value`. The value may be empty or span lines; NUL bytes are refused (they cannot cross exec). */
export function validateEnv(entry: unknown, field = 'env'): string {
  const s = requireString(entry, field, 'Environment variable');
  const eq = s.indexOf('=');
  if (eq < 0) fail(field, `${show(s)} is not KEY=value; add "=" and a value (it may be empty).`);
  const key = s.slice(0, eq);
  if (!ENV_KEY_PATTERN.test(key)) {
    fail(field, `${show(key)} is not a variable name; start with a letter or "_" and use letters, digits, "_", "." and "-".`);
  }
  if (s.includes('\0')) fail(field, `The value of ${key} contains a NUL byte.`);
  return s;
}

export function validateLabelKey(key: unknown, field = 'labels'): string {
  const s = requireString(key, field, 'Label key');
  if (s.length === 0) fail(field, 'Label keys cannot be empty.');
  const bad = [...s].find((ch) => CONTROL_CHARS.test(ch) || ch === '=');
  if (bad !== undefined) fail(field, `Label key ${show(s)} contains ${describeChar(bad)}; keys cannot contain "=" or control characters.`);
  return s;
}

export function validateLabels(labels: unknown, field = 'labels'): Record<string, string> {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) fail(field, 'Labels must be an object of key → value.');
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    validateLabelKey(key, field);
    if (typeof value !== 'string') fail(field, `The value of label ${show(key)} must be text.`);
    if (value.includes('\0')) fail(field, `The value of label ${show(key)} contains a NUL byte.`);
  }
  return labels as Record<string, string>;
}

// ---- capabilities and signals ----------------------------------------------------------------------

/** Linux capabilities (capabilities(7), up to 6.x) without the `CAP_` prefix, plus docker's `ALL`. */
export const LINUX_CAPABILITIES: readonly string[] = [
  'ALL',
  'AUDIT_CONTROL',
  'AUDIT_READ',
  'AUDIT_WRITE',
  'BLOCK_SUSPEND',
  'BPF',
  'CHECKPOINT_RESTORE',
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'IPC_LOCK',
  'IPC_OWNER',
  'KILL',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'MKNOD',
  'NET_ADMIN',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_RAW',
  'PERFMON',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYSLOG',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_CHROOT',
  'SYS_MODULE',
  'SYS_NICE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'WAKE_ALARM',
];
const CAPABILITY_SET = new Set(LINUX_CAPABILITIES);

/** `net_admin`, `CAP_NET_ADMIN` → `NET_ADMIN`. */
export function validateCapability(cap: unknown, field = 'capAdd'): string {
  const s = requireString(cap, field, 'Capability');
  const normalized = s.toUpperCase().replace(/^CAP_/, '');
  if (!CAPABILITY_SET.has(normalized)) {
    fail(field, `${show(s)} is not a Linux capability; use a name such as "NET_ADMIN" or "CHOWN" (see capabilities(7)), or "ALL".`);
  }
  return normalized;
}

const SIGNAL_NAMES = new Set([
  'ABRT',
  'ALRM',
  'BUS',
  'CHLD',
  'CLD',
  'CONT',
  'FPE',
  'HUP',
  'ILL',
  'INT',
  'IO',
  'IOT',
  'KILL',
  'PIPE',
  'POLL',
  'PROF',
  'PWR',
  'QUIT',
  'SEGV',
  'STKFLT',
  'STOP',
  'SYS',
  'TERM',
  'TRAP',
  'TSTP',
  'TTIN',
  'TTOU',
  'URG',
  'USR1',
  'USR2',
  'VTALRM',
  'WINCH',
  'XCPU',
  'XFSZ',
  'RTMIN',
  'RTMAX',
]);

/** `term`, `SIGTERM` → `SIGTERM`; `RTMIN+3` → `SIGRTMIN+3`; `9` → `9` (1–64). */
export function validateSignal(sig: unknown, field = 'signal'): string {
  const s = requireString(sig, field, 'Signal');
  if (/^[0-9]{1,2}$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return String(n);
  } else {
    const name = s.toUpperCase().replace(/^SIG/, '');
    const rt = /^(RTMIN\+([0-9]{1,2})|RTMAX-([0-9]{1,2}))$/.exec(name);
    if (SIGNAL_NAMES.has(name) || (rt && Number(rt[2] ?? rt[3]) <= 30)) return `SIG${name}`;
  }
  return fail(field, `${show(s)} is not a signal; use a name such as "SIGTERM", "HUP" or "KILL", or a number from 1 to 64.`);
}

// ---- devices -----------------------------------------------------------------------------------------------

export interface DeviceSpec {
  pathOnHost: string;
  pathInContainer: string;
  /** A subset of `rwm` (default `rwm`). */
  permissions: string;
}

/** `/dev/host[:/dev/container[:rwm]]` (also `/dev/host:rw`, as the CLI accepts). */
export function validateDevice(spec: unknown, field = 'devices'): DeviceSpec {
  const s = requireString(spec, field, 'Device');
  const parts = s.split(':');
  const usage = 'use /dev/host[:/dev/container[:permissions]] with permissions a combination of r, w and m';
  if (parts.length > 3 || parts.some((p) => p === '')) fail(field, `${show(s)} is not a device; ${usage}.`);
  let permissions = 'rwm';
  if (parts.length === 3 || (parts.length === 2 && !parts[1]!.startsWith('/'))) permissions = parts.pop()!;
  if (!/^[rwm]{1,3}$/.test(permissions) || new Set(permissions).size !== permissions.length) {
    fail(field, `${show(permissions)} are not device permissions; ${usage}.`);
  }
  const pathOnHost = validateHostPath(parts[0], field);
  const pathInContainer = parts.length > 1 ? validateContainerPath(parts[1], field) : pathOnHost;
  return { pathOnHost, pathInContainer, permissions };
}

export function formatDevice(d: DeviceSpec): string {
  if (d.permissions === 'rwm') return d.pathInContainer === d.pathOnHost ? d.pathOnHost : `${d.pathOnHost}:${d.pathInContainer}`;
  return `${d.pathOnHost}:${d.pathInContainer}:${d.permissions}`;
}

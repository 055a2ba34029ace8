import type { CreateContainerBody, HealthcheckSpec, SelinuxLabel, TmpfsOption } from '@mirador/contract';
import { describeChar, fail, firstBadChar, requireString, show } from './errors.js';

/*
 * The hardening options of `docker run` (confinement, limits, healthcheck): one parser per value,
 * shared by validation, the engine's create request, the `docker run` line and the way back from
 * `docker inspect`, so the four cannot disagree.
 */

/** The contract's SECCOMP_PROFILE_MAX (this package imports only types from it; a test keeps the two equal). */
export const SECCOMP_PROFILE_MAX = 128 * 1024;
/** The contract's TmpfsOption list; the record makes the compiler check it is complete. */
const TMPFS_FLAG_SET: Record<TmpfsOption, true> = {
  ro: true,
  rw: true,
  noexec: true,
  exec: true,
  nosuid: true,
  suid: true,
  nodev: true,
  dev: true,
};
export const TMPFS_OPTIONS = Object.keys(TMPFS_FLAG_SET) as TmpfsOption[];

// ---- seccomp -------------------------------------------------------------------------------------------

/**
 * A seccomp profile given as JSON text: parsed, checked for the shape the engine needs
 * (`defaultAction: "SCMP_ACT_…"`), and compacted (what the CLI sends after reading the file). It is
 * content, never a path: the server must not open files on anyone's say-so.
 */
export function validateSeccompProfile(text: unknown, field = 'seccompProfile'): string {
  const s = requireString(text, field, 'The seccomp profile');
  if (s.length > SECCOMP_PROFILE_MAX) {
    fail(field, `The seccomp profile is ${s.length} characters long; the limit is ${SECCOMP_PROFILE_MAX} (128 KiB).`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    return fail(field, 'The seccomp profile is not valid JSON; paste the profile file\'s content (a JSON object with "defaultAction").');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    fail(field, 'The seccomp profile must be a JSON object with "defaultAction" (see docker\'s default profile).');
  }
  const p = parsed as Record<string, unknown>;
  if (typeof p.defaultAction !== 'string' || !/^SCMP_ACT_[A-Z_]{2,32}$/.test(p.defaultAction)) {
    fail(field, 'The seccomp profile needs "defaultAction", e.g. "SCMP_ACT_ERRNO".');
  }
  if (p.syscalls !== undefined && !Array.isArray(p.syscalls)) fail(field, 'The seccomp profile\'s "syscalls" must be a list.');
  return JSON.stringify(parsed);
}

// ---- AppArmor and SELinux ----------------------------------------------------------------------------------

/** A loaded profile's name (`docker-default`, `lab-restricted`) or `unconfined`; never a path or `..`. */
export function validateApparmorProfile(name: unknown, field = 'apparmor'): string {
  const s = requireString(name, field, 'AppArmor profile');
  if (s.length === 0) fail(field, "The AppArmor profile cannot be empty; leave it out for the engine's default.");
  if (s.length > 128) fail(field, `The AppArmor profile name is ${s.length} characters long; the limit is 128.`);
  if (s.includes('..')) fail(field, `${show(s)} contains ".."; give a loaded profile's name, not a path.`);
  const bad = firstBadChar(s, /[A-Za-z0-9_.-]/);
  if (bad !== undefined || !/^[A-Za-z0-9]/.test(s)) {
    fail(
      field,
      `${show(s)} is not an AppArmor profile name${bad !== undefined ? ` (it contains ${describeChar(bad)})` : ''}; use letters, digits, ".", "_" and "-", e.g. "docker-default".`,
    );
  }
  return s;
}

const SELINUX_WORD = /^[A-Za-z0-9_]{1,64}$/;
/** MLS/MCS level: `s0`, `s0:c100,c200`, `s0-s0:c0.c1023`. */
const SELINUX_LEVEL = /^s[0-9]{1,4}(-s[0-9]{1,4})?(:c[0-9]{1,4}([.,]c[0-9]{1,4}){0,255})?$/;

/** The `label=…` security options of `label` (empty when it sets nothing). */
export function selinuxOptions(label: SelinuxLabel | undefined, field = 'selinux'): string[] {
  if (label === undefined) return [];
  if (label === null || typeof label !== 'object' || Array.isArray(label)) fail(field, 'The SELinux label must be an object.');
  const known = ['disable', 'user', 'role', 'type', 'level'];
  const extra = Object.keys(label).find((k) => !known.includes(k));
  if (extra !== undefined)
    fail(`${field}.${extra}`, `${show(extra)} is not part of an SELinux label; use user, role, type, level or disable.`);
  const parts = (['user', 'role', 'type', 'level'] as const).filter((k) => label[k] !== undefined && label[k] !== '');
  if (label.disable === true) {
    if (parts.length) fail(`${field}.disable`, 'Labelling cannot be disabled and set at once; choose one.');
    return ['label=disable'];
  }
  return parts.map((k) => {
    const v = requireString(label[k], `${field}.${k}`, `The SELinux ${k}`);
    const ok = k === 'level' ? SELINUX_LEVEL.test(v) : SELINUX_WORD.test(v);
    if (!ok) {
      const example = { user: 'system_u', role: 'system_r', type: 'svirt_apache_t', level: 's0:c100,c200' }[k];
      fail(`${field}.${k}`, `${show(v)} is not an SELinux ${k}; e.g. ${show(example)}.`);
    }
    return `label=${k}:${v}`;
  });
}

/** The security options the engine receives (`HostConfig.SecurityOpt`), in the CLI's order. */
export function securityOptions(body: CreateContainerBody): string[] {
  const out: string[] = [];
  if (body.noNewPrivileges) out.push('no-new-privileges:true');
  if (body.seccomp === 'unconfined') out.push('seccomp=unconfined');
  else if (body.seccomp === 'custom') out.push(`seccomp=${validateSeccompProfile(body.seccompProfile)}`);
  if (body.apparmor !== undefined) out.push(`apparmor=${validateApparmorProfile(body.apparmor)}`);
  out.push(...selinuxOptions(body.selinux));
  return out;
}

/** Placeholder file name in the `docker run` line: the CLI reads a seccomp profile from a file, Mirador sends its content. */
export const SECCOMP_FILE_PLACEHOLDER = 'seccomp-profile.json';

// ---- ulimits ------------------------------------------------------------------------------------------------

/** The names `--ulimit` accepts (docker's go-units list, from setrlimit(2)). */
export const ULIMIT_NAMES: readonly string[] = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
];

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

const LIMIT = /^[0-9]{1,15}$/;

/** `nofile=1024`, `nofile=1024:2048` (hard defaults to soft, as with the CLI). */
export function parseUlimit(spec: unknown, field = 'ulimits'): Ulimit {
  const s = requireString(spec, field, 'Ulimit');
  const m = /^([a-z]+)=([^:]*)(?::(.*))?$/.exec(s);
  if (!m) fail(field, `${show(s)} is not a ulimit; write name=soft[:hard], e.g. "nofile=1024:2048".`);
  const name = m[1]!;
  if (!ULIMIT_NAMES.includes(name)) fail(field, `${show(name)} is not a ulimit name; use one of ${ULIMIT_NAMES.join(', ')}.`);
  const [softText, hardText = softText] = [m[2]!, m[3]];
  if (!LIMIT.test(softText) || !LIMIT.test(hardText!)) {
    fail(field, `${show(s)}: the limits must be whole numbers (0 or more), e.g. "${name}=1024:2048".`);
  }
  const soft = Number(softText);
  const hard = Number(hardText);
  if (soft > hard) fail(field, `${show(s)}: the soft limit ${soft} is above the hard limit ${hard}.`);
  return { name, soft, hard };
}

export function formatUlimit(u: Ulimit): string {
  return u.soft === u.hard ? `${u.name}=${u.soft}` : `${u.name}=${u.soft}:${u.hard}`;
}

// ---- cpuset ----------------------------------------------------------------------------------------------------

/** The highest CPU number a cpuset may name before the engine's own count is known. */
export const CPUSET_MAX_CPU = 1023;

/** `0-3,5` → the normalized list and its highest CPU. `cpus` (the engine's count), when known, bounds it. */
export function parseCpuset(spec: unknown, field = 'cpusetCpus', cpus?: number): { spec: string; highest: number } {
  const s = requireString(spec, field, 'CPU set').trim();
  const usage = 'write CPU numbers and ranges, e.g. "0-1" or "0,2"';
  if (!/^[0-9]{1,4}(-[0-9]{1,4})?(,[0-9]{1,4}(-[0-9]{1,4})?){0,63}$/.test(s)) fail(field, `${show(s)} is not a CPU set; ${usage}.`);
  let highest = 0;
  for (const part of s.split(',')) {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    if (b! < a) fail(field, `${show(part)} is a backwards range; write the lower CPU first.`);
    highest = Math.max(highest, b!);
  }
  const limit = cpus !== undefined && cpus > 0 ? cpus - 1 : CPUSET_MAX_CPU;
  if (highest > limit) {
    fail(
      field,
      cpus !== undefined && cpus > 0
        ? `CPU ${highest} does not exist: the engine has ${cpus} CPU${cpus === 1 ? '' : 's'} (0${cpus > 1 ? `-${cpus - 1}` : ''}).`
        : `CPU ${highest} is beyond ${CPUSET_MAX_CPU}.`,
    );
  }
  return { spec: s, highest };
}

// ---- healthcheck ----------------------------------------------------------------------------------------------

const NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
/** A day: longer healthcheck timings are typos. */
export const DURATION_MAX_NS = 24 * 3600e9;

/** Go duration (`30s`, `1m30s`, `500ms`) → nanoseconds; at least 1 ms (the engine's minimum), at most a day. */
export function parseDuration(text: unknown, field: string): number {
  const s = requireString(text, field, 'Duration').trim();
  const usage = 'write a duration such as "30s", "1m30s" or "500ms"';
  if (!/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) fail(field, `${show(s)} is not a duration; ${usage}.`);
  let ns = 0;
  for (const m of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) ns += Number(m[1]) * NS[m[2]!]!;
  ns = Math.round(ns);
  if (ns < 1e6) fail(field, `${show(s)} is shorter than the engine's minimum of 1ms.`);
  if (ns > DURATION_MAX_NS) fail(field, `${show(s)} is longer than a day; ${usage}.`);
  return ns;
}

/** Nanoseconds → the shortest Go duration (`90000000000` → `1m30s`). */
export function formatDuration(ns: number): string {
  if (ns % 1e9 !== 0) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : `${ns}ns`;
  let secs = ns / 1e9;
  const h = Math.floor(secs / 3600);
  secs -= h * 3600;
  const m = Math.floor(secs / 60);
  secs -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${secs || (!h && !m) ? `${secs}s` : ''}`;
}

export function validateHealthcheck(h: HealthcheckSpec, field = 'healthcheck'): void {
  if (h === null || typeof h !== 'object' || Array.isArray(h)) fail(field, 'The healthcheck must be an object.');
  const known = ['cmd', 'interval', 'timeout', 'startPeriod', 'retries'];
  const extra = Object.keys(h).find((k) => !known.includes(k));
  if (extra !== undefined)
    fail(`${field}.${extra}`, `${show(extra)} is not a healthcheck setting; use cmd, interval, timeout, startPeriod or retries.`);
  if (h.cmd !== undefined) {
    const cmd = requireString(h.cmd, `${field}.cmd`, 'The health command');
    if (cmd.trim() === '') fail(`${field}.cmd`, "The health command cannot be empty; leave it out to keep the image's.");
    if (cmd.includes('\0')) fail(`${field}.cmd`, 'The health command cannot contain NUL bytes.');
  }
  for (const k of ['interval', 'timeout', 'startPeriod'] as const) if (h[k] !== undefined) parseDuration(h[k], `${field}.${k}`);
  if (h.retries !== undefined && !(Number.isInteger(h.retries) && h.retries >= 0 && h.retries <= 1000)) {
    fail(`${field}.retries`, `${show(h.retries)} is not a number of retries; give a whole number from 0 to 1000.`);
  }
}

/** The engine's `Config.Healthcheck` for `body` (undefined: the image's stays as it is). */
export function healthcheckConfig(body: CreateContainerBody): Record<string, unknown> | undefined {
  if (body.noHealthcheck) return { Test: ['NONE'] };
  const h = body.healthcheck;
  if (!h) return undefined;
  const out: Record<string, unknown> = {};
  if (h.cmd !== undefined) out.Test = ['CMD-SHELL', h.cmd];
  if (h.interval !== undefined) out.Interval = parseDuration(h.interval, 'healthcheck.interval');
  if (h.timeout !== undefined) out.Timeout = parseDuration(h.timeout, 'healthcheck.timeout');
  if (h.startPeriod !== undefined) out.StartPeriod = parseDuration(h.startPeriod, 'healthcheck.startPeriod');
  if (h.retries !== undefined) out.Retries = h.retries;
  return out;
}

// ---- tmpfs ---------------------------------------------------------------------------------------------------------

/** Octal permissions of a tmpfs root (`1777`, `755`). */
export function validateTmpfsMode(mode: unknown, field: string): string {
  const s = requireString(mode, field, 'The tmpfs mode');
  if (!/^[0-7]{3,4}$/.test(s)) fail(field, `${show(s)} is not an octal mode; write 3 or 4 octal digits, e.g. "1777" or "755".`);
  return s;
}

export function validateTmpfsOptions(options: unknown, field: string): TmpfsOption[] {
  if (!Array.isArray(options)) fail(field, 'Must be a list of mount flags.');
  const out: TmpfsOption[] = [];
  options.forEach((o, i) => {
    if (typeof o !== 'string' || !(TMPFS_OPTIONS as readonly string[]).includes(o)) {
      fail(`${field}[${i}]`, `${show(o)} is not a tmpfs flag Mirador passes on; use ${TMPFS_OPTIONS.join(', ')}.`);
    }
    if (!out.includes(o as TmpfsOption)) out.push(o as TmpfsOption);
  });
  return out;
}

// ---- the whole set ---------------------------------------------------------------------------------------------------

/** Every check on the hardening fields of a create body (called by validateCreateBody). */
export function validateHardening(body: CreateContainerBody): void {
  if (body.seccomp !== undefined && !['default', 'unconfined', 'custom'].includes(body.seccomp)) {
    fail('seccomp', `${show(body.seccomp)} is not a seccomp choice; use "default", "unconfined" or "custom" (with a profile).`);
  }
  if (body.seccomp === 'custom') {
    if (body.seccompProfile === undefined || body.seccompProfile === '')
      fail('seccompProfile', 'A custom seccomp profile needs its JSON content.');
    validateSeccompProfile(body.seccompProfile);
  } else if (body.seccompProfile !== undefined) {
    fail('seccompProfile', 'A seccomp profile is only used with seccomp "custom"; choose it or leave the profile out.');
  }
  if (body.apparmor !== undefined) validateApparmorProfile(body.apparmor);
  selinuxOptions(body.selinux);
  if (body.userns !== undefined && body.userns !== 'default' && body.userns !== 'host') {
    fail('userns', `${show(body.userns)} is not a user namespace mode; use "host" or leave it at the engine's default.`);
  }
  if (body.pidsLimit !== undefined && !(Number.isInteger(body.pidsLimit) && body.pidsLimit >= 1 && body.pidsLimit <= 4194304)) {
    fail('pidsLimit', `${show(body.pidsLimit)} is not a process limit; give a whole number from 1 to 4194304.`);
  }
  if (body.ulimits !== undefined) {
    if (!Array.isArray(body.ulimits)) fail('ulimits', 'Must be a list of name=soft[:hard].');
    const seen = new Map<string, number>();
    body.ulimits.forEach((u, i) => {
      const { name } = parseUlimit(u, `ulimits[${i}]`);
      const before = seen.get(name);
      if (before !== undefined) fail(`ulimits[${i}]`, `${show(name)} is already limited by ulimits[${before}].`);
      seen.set(name, i);
    });
  }
  if (body.cpusetCpus !== undefined) parseCpuset(body.cpusetCpus);
  if (body.blkioWeight !== undefined && !(Number.isInteger(body.blkioWeight) && body.blkioWeight >= 10 && body.blkioWeight <= 1000)) {
    fail('blkioWeight', `${show(body.blkioWeight)} is not a block I/O weight; give a whole number from 10 to 1000.`);
  }
  if (body.healthcheck !== undefined) validateHealthcheck(body.healthcheck);
  if (body.noHealthcheck && body.healthcheck !== undefined) {
    fail('noHealthcheck', 'A healthcheck cannot be set and switched off at once; choose one.');
  }
}

/**
 * virsh argv for a VM's settings and tuning (setvcpus, setmem, desc, vcpupin, emulatorpin,
 * schedinfo, blkiotune, memtune, set-lifecycle-action) and the host facts they need. Names, numbers
 * and CPU lists are validated here, the last point before they become arguments.
 */
import { assertConnectionUri, type Argv } from './argv.js';
import { LIFECYCLE_ACTIONS, type LifecycleAction } from './domain-config.js';
import { parseCpuset } from './cpuset.js';
import { LibvirtValidationError, assertDomainName } from './names.js';

/** Where a change goes: the running domain, the persistent definition, or both. */
export interface ApplyTo {
  live: boolean;
  config: boolean;
}

function virsh(uri: string, ...args: string[]): Argv {
  assertConnectionUri(uri);
  return ['virsh', '-c', uri, ...args];
}
function domain(uri: string, command: string, name: string, ...rest: string[]): Argv {
  assertDomainName(name);
  return virsh(uri, command, name, ...rest);
}
function scope(to: ApplyTo): string[] {
  if (!to.live && !to.config)
    throw new LibvirtValidationError('invalid-value', 'apply', 'A change must go live, to the definition, or both.');
  return [...(to.live ? ['--live'] : []), ...(to.config ? ['--config'] : [])];
}
function wholeNumber(value: number, field: string, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new LibvirtValidationError('out-of-range', field, `${field} must be a whole number from ${min} to ${max}.`);
  return String(value);
}
/** Re-checks a list the caller already validated against the host: only digits, '-', ',' and '^' pass. */
function cpuList(cpuset: string, field: string): string {
  parseCpuset(cpuset, field);
  return cpuset;
}

export function nodeinfoArgv(uri: string): Argv {
  return virsh(uri, 'nodeinfo');
}
/** The persistent definition with secrets (the VNC password), for editing and defining back; never shown. */
export function inactiveSecureDumpxmlArgv(uri: string, name: string): Argv {
  return domain(uri, 'dumpxml', name, '--inactive', '--security-info');
}
export function setvcpusArgv(uri: string, name: string, count: number, to: ApplyTo): Argv {
  return domain(uri, 'setvcpus', name, wholeNumber(count, 'vcpus', 1, 256), ...scope(to));
}
/** Balloon target in KiB (virsh's default unit). */
export function setmemArgv(uri: string, name: string, memoryMiB: number, to: ApplyTo): Argv {
  return domain(uri, 'setmem', name, `${wholeNumber(memoryMiB, 'memoryMiB', 16, 1024 * 1024)}M`, ...scope(to));
}
/** The text travels as one argv element (quoted for the remote shell by the runner), never through XML here. */
export function descArgv(uri: string, name: string, text: string, opts: { title: boolean } & ApplyTo): Argv {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text))
    throw new LibvirtValidationError('invalid-value', opts.title ? 'title' : 'description', 'Text has control characters.');
  return domain(uri, 'desc', name, ...scope(opts), ...(opts.title ? ['--title'] : []), '--new-desc', text);
}
export function setLifecycleActionArgv(
  uri: string,
  name: string,
  type: 'poweroff' | 'reboot' | 'crash',
  action: LifecycleAction,
  to: ApplyTo,
): Argv {
  if (!LIFECYCLE_ACTIONS.includes(action)) throw new LibvirtValidationError('invalid-value', `on${type}`, `Unknown lifecycle action.`);
  return domain(uri, 'set-lifecycle-action', name, type, action, ...scope(to));
}
/** Without a vCPU/list: prints the current pinning (live, or the definition's with --config). */
export function vcpupinArgv(uri: string, name: string, pin?: { vcpu: number; cpuset: string }, to?: ApplyTo): Argv {
  if (!pin) return domain(uri, 'vcpupin', name, ...(to?.config && !to.live ? ['--config'] : []));
  return domain(
    uri,
    'vcpupin',
    name,
    wholeNumber(pin.vcpu, 'vcpu', 0, 4095),
    cpuList(pin.cpuset, 'cpuset'),
    ...scope(to ?? { live: false, config: true }),
  );
}
export function emulatorpinArgv(uri: string, name: string, cpuset?: string, to?: ApplyTo): Argv {
  if (cpuset === undefined) return domain(uri, 'emulatorpin', name, ...(to?.config && !to.live ? ['--config'] : []));
  return domain(uri, 'emulatorpin', name, cpuList(cpuset, 'emulator'), ...scope(to ?? { live: false, config: true }));
}

export interface SchedTuning {
  shares?: number;
  period?: number;
  quota?: number;
}
/** cgroup CPU weight and bandwidth (quota -1 = unlimited; period 1000..1000000 µs). */
export function schedinfoArgv(uri: string, name: string, t: SchedTuning, to: ApplyTo): Argv {
  const sets: string[] = [];
  if (t.shares !== undefined) sets.push('--set', `cpu_shares=${wholeNumber(t.shares, 'shares', 2, 262144)}`);
  if (t.period !== undefined) sets.push('--set', `vcpu_period=${wholeNumber(t.period, 'period', 1000, 1000000)}`);
  if (t.quota !== undefined)
    sets.push('--set', `vcpu_quota=${t.quota === -1 ? '-1' : wholeNumber(t.quota, 'quota', 1000, 17592186044415)}`);
  return domain(uri, 'schedinfo', name, ...sets, ...scope(to));
}
export function blkiotuneArgv(uri: string, name: string, weight: number, to: ApplyTo): Argv {
  return domain(uri, 'blkiotune', name, '--weight', wholeNumber(weight, 'blkioWeight', 100, 1000), ...scope(to));
}
/** Limits in KiB; -1 means unlimited. */
export function memtuneArgv(uri: string, name: string, t: { hardLimitKiB?: number; softLimitKiB?: number }, to: ApplyTo): Argv {
  const limit = (v: number, field: string) => (v === -1 ? '-1' : wholeNumber(v, field, 1024, 2 ** 50));
  const flags: string[] = [];
  if (t.hardLimitKiB !== undefined) flags.push('--hard-limit', limit(t.hardLimitKiB, 'hardLimitKiB'));
  if (t.softLimitKiB !== undefined) flags.push('--soft-limit', limit(t.softLimitKiB, 'softLimitKiB'));
  return domain(uri, 'memtune', name, ...flags, ...scope(to));
}

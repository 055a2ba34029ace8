/**
 * Names and sizes a user can type. Every name ends up as a virsh argument and inside XML, so the
 * rules are deliberately narrower than libvirt's: no leading '-' (it would parse as an option),
 * no '/' (libvirt derives file paths from names), no whitespace, quotes or XML metacharacters,
 * and the leading alphanumeric also rules out '.' and '..'.
 */
export const DOMAIN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
export const POOL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
export const NETWORK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
// Volumes are files in a pool directory, so they commonly carry a ".qcow2"/".img" suffix; allow room for it.
export const VOLUME_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

export const MEMORY_MIB_MIN = 64;
export const MEMORY_MIB_MAX = 1024 * 1024; // 1 TiB
export const VCPUS_MIN = 1;
export const VCPUS_MAX = 256;
export const DISK_GIB_MIN = 1;
export const DISK_GIB_MAX = 16384;
/** x86 Linux truncates the kernel command line at 2048 bytes (COMMAND_LINE_SIZE). */
export const KERNEL_CMDLINE_MAX = 2048;
export const PATH_MAX_LENGTH = 4096;

export type LibvirtValidationCode = 'invalid-name' | 'out-of-range' | 'invalid-path' | 'invalid-value';

/** Thrown for input that must never reach virsh; `message` is written for the person who typed it. */
export class LibvirtValidationError extends Error {
  readonly code: LibvirtValidationCode;
  readonly field: string;
  constructor(code: LibvirtValidationCode, field: string, message: string) {
    super(message);
    this.name = 'LibvirtValidationError';
    this.code = code;
    this.field = field;
  }
}

type NameKind = 'domain' | 'pool' | 'volume' | 'network';

const NAME_RULES: Record<NameKind, { pattern: RegExp; max: number; label: string; extra: string }> = {
  domain: { pattern: DOMAIN_NAME_PATTERN, max: 64, label: 'VM name', extra: '' },
  pool: { pattern: POOL_NAME_PATTERN, max: 64, label: 'Storage pool name', extra: '' },
  network: { pattern: NETWORK_NAME_PATTERN, max: 64, label: 'Network name', extra: '' },
  volume: { pattern: VOLUME_NAME_PATTERN, max: 128, label: 'Volume name', extra: ' (a suffix like ".qcow2" is fine)' },
};

function describeNameProblem(kind: NameKind, name: string): string {
  const { max, label, extra } = NAME_RULES[kind];
  if (name.length === 0) return `${label} cannot be empty.`;
  if (name.length > max) return `${label} is ${name.length} characters long; the limit is ${max}.`;
  if (!/^[A-Za-z0-9]/.test(name)) return `${label} must start with a letter or digit.`;
  const bad = [...name].find((ch) => !/[A-Za-z0-9._+-]/.test(ch));
  const shown = bad === ' ' ? 'a space' : bad === undefined ? '' : `"${bad}"`;
  return `${label} "${name}" contains ${shown}; use only letters, digits, ".", "_", "+" and "-"${extra}.`;
}

function assertName(kind: NameKind, name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string') throw new LibvirtValidationError('invalid-name', field, `${NAME_RULES[kind].label} must be text.`);
  if (!NAME_RULES[kind].pattern.test(name)) {
    throw new LibvirtValidationError('invalid-name', field, describeNameProblem(kind, name));
  }
}

export function isValidDomainName(name: string): boolean {
  return DOMAIN_NAME_PATTERN.test(name);
}
export function assertDomainName(name: unknown, field = 'name'): asserts name is string {
  assertName('domain', name, field);
}
export function assertPoolName(name: unknown, field = 'pool'): asserts name is string {
  assertName('pool', name, field);
}
export function assertVolumeName(name: unknown, field = 'volume'): asserts name is string {
  assertName('volume', name, field);
}
export function assertNetworkName(name: unknown, field = 'network'): asserts name is string {
  assertName('network', name, field);
}

function assertIntegerInRange(value: unknown, min: number, max: number, field: string, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LibvirtValidationError('out-of-range', field, `${what} must be a whole number from ${min} to ${max}.`);
  }
}
export function assertMemoryMiB(value: unknown, field = 'memoryMiB'): asserts value is number {
  assertIntegerInRange(value, MEMORY_MIB_MIN, MEMORY_MIB_MAX, field, 'Memory (MiB)');
}
export function assertVcpus(value: unknown, field = 'vcpus'): asserts value is number {
  assertIntegerInRange(value, VCPUS_MIN, VCPUS_MAX, field, 'vCPU count');
}
export function assertDiskGiB(value: unknown, field = 'sizeGiB'): asserts value is number {
  assertIntegerInRange(value, DISK_GIB_MIN, DISK_GIB_MAX, field, 'Disk size (GiB)');
}

// Conservative on purpose: no whitespace, quotes, commas (virt-install option separators) or shell metacharacters.
const PATH_CHARS = /^[A-Za-z0-9._+@:~/-]+$/;

/** Host paths (kernel, ISO, disk image) are absolute and canonical: no "." or ".." segments, no "//". */
export function assertHostPath(path: unknown, field = 'path'): asserts path is string {
  const fail = (why: string): never => {
    throw new LibvirtValidationError('invalid-path', field, `Path ${JSON.stringify(path)} ${why}`);
  };
  if (typeof path !== 'string' || path.length === 0) return fail('must be a non-empty absolute path.');
  if (path.length > PATH_MAX_LENGTH) fail(`is longer than ${PATH_MAX_LENGTH} characters.`);
  if (!path.startsWith('/')) fail('must be absolute (start with "/").');
  if (!PATH_CHARS.test(path)) fail('may contain only letters, digits and . _ + @ : ~ - /');
  const segments = path.split('/').slice(1);
  if (segments.some((s, i) => s === '' && i !== segments.length - 1)) fail('must not contain "//".');
  if (segments.some((s) => s === '.' || s === '..')) fail('must not contain "." or ".." segments.');
  if (path.length > 1 && path.endsWith('/')) fail('must name a file, not a directory.');
}

/** Free text that lands in XML text or a single argv element: printable, one line, bounded. */
export function assertKernelCmdline(cmdline: unknown, field = 'cmdline'): asserts cmdline is string {
  if (typeof cmdline !== 'string') throw new LibvirtValidationError('invalid-value', field, 'Kernel command line must be text.');
  if (cmdline.length > KERNEL_CMDLINE_MAX) {
    throw new LibvirtValidationError('invalid-value', field, `Kernel command line is longer than ${KERNEL_CMDLINE_MAX} characters.`);
  }
  if (/[\u0000-\u001f\u007f]/.test(cmdline)) {
    throw new LibvirtValidationError('invalid-value', field, 'Kernel command line must be a single line without control characters.');
  }
}

/** libosinfo ids are URLs like http://debian.org/debian/12; short ids (debian12) are accepted for virt-install only. */
export const OSINFO_ID_PATTERN = /^(?:https?:\/\/[A-Za-z0-9.-]+(?:\/[A-Za-z0-9._+-]+)*\/?|[A-Za-z0-9][A-Za-z0-9._+-]{0,63})$/;
export function assertOsinfoId(id: unknown, field = 'osinfoId'): asserts id is string {
  if (typeof id !== 'string' || !OSINFO_ID_PATTERN.test(id)) {
    throw new LibvirtValidationError(
      'invalid-value',
      field,
      `OS id ${JSON.stringify(id)} is not a libosinfo id (e.g. "http://debian.org/debian/12" or "debian12").`,
    );
  }
}

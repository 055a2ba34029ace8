/**
 * Name rules shared by the server (enforced) and the UI (early feedback).
 * Kept conservative on purpose: whatever passes here is safe in argv, XML and file names.
 */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$';
export const HOST_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
/** DNS name, IPv4 or bracket-less IPv6 literal. */
export const HOST_ADDRESS_PATTERN =
  '^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]{2,45})$';
/** POSIX login names (useradd's default rule, plus upper case which some sites use). */
export const SSH_USER_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,31}$';
export const TAG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$';
/**
 * The only libvirt URIs Mirador uses: local endpoints it builds itself from a driver and a mode
 * (@mirador/libvirt's uri.ts is the one list; a server unit test keeps this pattern equal to it).
 * No transport, host part or query string: those make libvirt run programs and open files.
 */
export const LIBVIRT_URI_PATTERN = '^(?:qemu:///(?:system|session)|test:///default|lxc:///system|xen:///system|ch:///(?:system|session))$';
/** A test-driver inventory file: a plain name in the admin-allowed directory (no slash, no "..", no URI syntax). */
export const LIBVIRT_TEST_FILE_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9._-]{0,99}\\.xml$';
/** Hypervisor drivers Mirador can reach on a host, and which of the system/session daemons each offers. */
export const LIBVIRT_DRIVERS = ['qemu', 'test', 'lxc', 'xen', 'ch'] as const;
export const LIBVIRT_MODES = ['system', 'session'] as const;
export const LIBVIRT_DRIVER_MODES: Record<(typeof LIBVIRT_DRIVERS)[number], readonly (typeof LIBVIRT_MODES)[number][]> = {
  qemu: ['system', 'session'],
  test: ['system'],
  lxc: ['system'],
  xen: ['system'],
  ch: ['system', 'session'],
};

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/**
 * libvirt connection URIs, built from structured fields and never taken as free text.
 *
 * A libvirt URI is not inert data: its transport and query parameters name programs, sockets and
 * files (`?command=`, `?socket=`, `?keyfile=`, `?netcat=`, `?known_hosts=`, `qemu+ext://`…) that
 * libvirt runs or opens. virsh always runs *on* the host (Mirador is already there over SSH), so the
 * only URIs it ever needs are local ones: `driver:///system` or `driver:///session`, and the test
 * driver's `test:///default`. This module is the one place that knows that list; everything that
 * hands a URI to virsh checks it against `parseLibvirtUri`, which accepts exactly those strings.
 *
 * One more form exists for simulated fleets: the test driver reading its inventory from a file,
 * `test:///<dir>/<file>.xml`. The file is a plain name; the directory is never part of a request:
 * it is the one directory the server's admin allowed at start-up (`allowLibvirtTestDir`), and
 * without it no such URI is built or accepted. Whether the file really lies inside that directory
 * once symlinks are resolved can only be judged on the host (the server does that before virsh runs).
 */
import { LibvirtValidationError } from './names.js';

export const LIBVIRT_DRIVERS = ['qemu', 'test', 'lxc', 'xen', 'ch'] as const;
export type LibvirtDriver = (typeof LIBVIRT_DRIVERS)[number];
export const LIBVIRT_MODES = ['system', 'session'] as const;
export type LibvirtMode = (typeof LIBVIRT_MODES)[number];

/** Where virsh connects on the host: which hypervisor driver, and the system or per-user daemon. */
export interface LibvirtDaemonEndpoint {
  driver: LibvirtDriver;
  mode: LibvirtMode;
}
/** The test driver reading a simulated inventory from a file of the admin-allowed directory. */
export interface LibvirtTestFileEndpoint {
  driver: 'test';
  mode: 'file';
  file: string;
}
export type LibvirtEndpoint = LibvirtDaemonEndpoint | LibvirtTestFileEndpoint;

/** A plain file name: no slash, no `..`, no URI syntax (`?`, `#`, `%`), ending in .xml. */
export const TEST_FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.xml$/;
/** An absolute, normalised directory: safe segments only, no `.`/`..`, no trailing slash. */
const TEST_DIR_PATTERN = /^(?:\/[A-Za-z0-9._-]{1,255})+$/;

let allowedTestDir: string | null = null;

/**
 * Sets (or clears, with null) the one directory test-driver inventory files may come from. Called
 * by the server at start-up from its admin configuration; process-wide like the list above, so
 * every check (building, parsing, the argv guard) agrees on it.
 */
export function allowLibvirtTestDir(dir: string | null): void {
  if (dir !== null && !isSafeTestDir(dir)) {
    throw new LibvirtValidationError(
      'invalid-value',
      'libvirtTestDir',
      `The test driver directory must be an absolute path of letters, digits, ".", "_" and "-" segments (no "..", no trailing slash); got ${describeRefusedUri(dir)}.`,
    );
  }
  allowedTestDir = dir;
}

/** The directory allowed for test-driver files, or null when none is. */
export function libvirtTestDir(): string | null {
  return allowedTestDir;
}

function isSafeTestDir(dir: string): boolean {
  return dir.length <= 1024 && TEST_DIR_PATTERN.test(dir) && !dir.split('/').some((s) => s === '.' || s === '..');
}

/** True for a file name the test-file endpoint accepts. */
export function isTestFileName(file: unknown): file is string {
  return typeof file === 'string' && TEST_FILE_NAME_PATTERN.test(file) && !file.includes('..');
}

/** For a test-file URI: the allowed directory and the full path virsh will read (null for any other URI). */
export function testFilePathOf(uri: unknown): { dir: string; path: string; file: string } | null {
  const e = parseLibvirtUri(uri);
  if (!e || e.mode !== 'file' || allowedTestDir === null) return null;
  return { dir: allowedTestDir, path: `${allowedTestDir}/${e.file}`, file: e.file };
}

/**
 * The local endpoints each driver offers (libvirt's driver pages). The test driver has a single
 * built-in endpoint, `test:///default`, listed under `system`; LXC and Xen only run privileged.
 */
const PATHS: Record<LibvirtDriver, Partial<Record<LibvirtMode, string>>> = {
  qemu: { system: '/system', session: '/session' },
  test: { system: '/default' },
  lxc: { system: '/system' },
  xen: { system: '/system' },
  ch: { system: '/system', session: '/session' },
};

const BY_URI: ReadonlyMap<string, LibvirtDaemonEndpoint> = new Map(
  LIBVIRT_DRIVERS.flatMap((driver) =>
    libvirtModesOf(driver).map((mode) => [`${driver}://${PATHS[driver][mode]}`, { driver, mode }] as const),
  ),
);

/** Every URI Mirador builds, in a stable order (qemu:///system first). */
export const CANONICAL_LIBVIRT_URIS: readonly string[] = [...BY_URI.keys()];

/** The modes a driver offers, for forms that let people pick. */
export function libvirtModesOf(driver: LibvirtDriver): LibvirtMode[] {
  return Object.hasOwn(PATHS, driver) ? LIBVIRT_MODES.filter((m) => Object.hasOwn(PATHS[driver], m)) : [];
}

/** Builds the URI for an endpoint; refuses combinations libvirt does not offer (e.g. xen session). */
export function libvirtUriOf(endpoint: LibvirtEndpoint, field = 'libvirt'): string {
  if (endpoint.mode === 'file') return testFileUriOf(endpoint, field);
  // hasOwn on both keys: a driver named "constructor" or a mode named "toString" must not find Object.prototype.
  const modes = Object.hasOwn(PATHS, endpoint.driver) ? PATHS[endpoint.driver] : undefined;
  const path = modes && Object.hasOwn(modes, endpoint.mode) ? modes[endpoint.mode] : undefined;
  if (typeof path !== 'string') {
    const offered = modes ? libvirtModesOf(endpoint.driver).join(' or ') : null;
    throw new LibvirtValidationError(
      'invalid-value',
      field,
      offered
        ? `The ${endpoint.driver} driver has no ${endpoint.mode} endpoint; pick ${offered}.`
        : `Unknown libvirt driver ${JSON.stringify(endpoint.driver)}; pick one of ${LIBVIRT_DRIVERS.join(', ')}.`,
    );
  }
  return `${endpoint.driver}://${path}`;
}

function testFileUriOf(endpoint: LibvirtTestFileEndpoint, field: string): string {
  if (endpoint.driver !== 'test') {
    throw new LibvirtValidationError('invalid-value', `${field}.mode`, 'Only the test driver reads its inventory from a file.');
  }
  if (!isTestFileName(endpoint.file)) {
    throw new LibvirtValidationError(
      'invalid-value',
      `${field}.file`,
      'The test driver file must be a plain file name in the allowed directory (letters, digits, ".", "_", "-"; no "/" or ".."), ending in .xml.',
    );
  }
  if (allowedTestDir === null) {
    throw new LibvirtValidationError(
      'invalid-value',
      `${field}.file`,
      'No directory is allowed for test driver files on this server: an admin must set MIRADOR_LIBVIRT_TEST_DIR first.',
    );
  }
  return `test://${allowedTestDir}/${endpoint.file}`;
}

/**
 * The endpoint a URI names, or null unless the URI is exactly one Mirador builds. No normalising,
 * no decoding, no case folding: `QEMU:///system`, `qemu:///system/`, `qemu:///system?x` are all null.
 * A test-file URI is accepted only as `test://<allowed dir>/<plain name>.xml`, character for character.
 */
export function parseLibvirtUri(uri: unknown): LibvirtEndpoint | null {
  if (typeof uri !== 'string') return null;
  const e = BY_URI.get(uri);
  if (e) return { ...e };
  if (allowedTestDir === null) return null;
  const prefix = `test://${allowedTestDir}/`;
  if (!uri.startsWith(prefix)) return null;
  const file = uri.slice(prefix.length);
  return isTestFileName(file) ? { driver: 'test', mode: 'file', file } : null;
}

/** Shows a refused URI in a message without letting a huge or multi-line value take it over. */
export function describeRefusedUri(uri: unknown): string {
  if (typeof uri !== 'string') return `a ${typeof uri}`;
  return JSON.stringify(uri.length > 80 ? `${uri.slice(0, 80)}…` : uri);
}

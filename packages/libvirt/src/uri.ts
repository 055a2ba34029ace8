/**
 * libvirt connection URIs, built from structured fields and never taken as free text.
 *
 * A libvirt URI is not inert data: its transport and query parameters name programs, sockets and
 * files (`?command=`, `?socket=`, `?keyfile=`, `?netcat=`, `?known_hosts=`, `qemu+ext://`…) that
 * libvirt runs or opens. virsh always runs *on* the host (Mirador is already there over SSH), so the
 * only URIs it ever needs are local ones: `driver:///system` or `driver:///session`, and the test
 * driver's `test:///default`. This module is the one place that knows that list; everything that
 * hands a URI to virsh checks it against `parseLibvirtUri`, which accepts exactly those strings.
 */
import { LibvirtValidationError } from './names.js';

export const LIBVIRT_DRIVERS = ['qemu', 'test', 'lxc', 'xen', 'ch'] as const;
export type LibvirtDriver = (typeof LIBVIRT_DRIVERS)[number];
export const LIBVIRT_MODES = ['system', 'session'] as const;
export type LibvirtMode = (typeof LIBVIRT_MODES)[number];

/** Where virsh connects on the host: which hypervisor driver, and the system or per-user daemon. */
export interface LibvirtEndpoint {
  driver: LibvirtDriver;
  mode: LibvirtMode;
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

const BY_URI: ReadonlyMap<string, LibvirtEndpoint> = new Map(
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

/**
 * The endpoint a URI names, or null unless the URI is exactly one Mirador builds. No normalising,
 * no decoding, no case folding: `QEMU:///system`, `qemu:///system/`, `qemu:///system?x` are all null.
 */
export function parseLibvirtUri(uri: unknown): LibvirtEndpoint | null {
  if (typeof uri !== 'string') return null;
  const e = BY_URI.get(uri);
  return e ? { ...e } : null;
}

/** Shows a refused URI in a message without letting a huge or multi-line value take it over. */
export function describeRefusedUri(uri: unknown): string {
  if (typeof uri !== 'string') return `a ${typeof uri}`;
  return JSON.stringify(uri.length > 80 ? `${uri.slice(0, 80)}…` : uri);
}

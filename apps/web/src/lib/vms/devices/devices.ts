import type { ApiData } from '$lib/api';

export type DiskList = ApiData<'get', '/api/hosts/{hostId}/vms/{name}/disks'>;
export type Disk = DiskList['disks'][number];
export type NicList = ApiData<'get', '/api/hosts/{hostId}/vms/{name}/nics'>;
export type Nic = NicList['nics'][number];

/** Mirrors the server's rules (packages/libvirt build-device.ts); the server checks again. */
export const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
export const MAC = /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/;

/** Where a device is: the running VM, the persistent definition, or both. */
export function placeOf(d: { live: boolean; persistent: boolean }): 'both' | 'live' | 'persistent' {
  return d.live && d.persistent ? 'both' : d.live ? 'live' : 'persistent';
}

/** What a disk is backed by, in one line. */
export function sourceOf(d: Disk): string {
  if (d.pool && d.volume) return `${d.pool}/${d.volume}`;
  return d.path ?? '—';
}

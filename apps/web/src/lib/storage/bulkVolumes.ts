/**
 * A pool's volume list: the row menu and bulk delete — the virsh line each target runs (as the server
 * runs it: `virsh -c <uri> vol-delete <volume> --pool <pool>`) and the per-volume request, the same
 * endpoint as the row's own delete, so each is authorised and audited on its own. A volume a VM
 * uses is refused by the server, names the VM, and the others go on.
 */
import type { StorageVolume } from '@mirador/contract';
import { api, apiHref } from '$lib/api';
import { planBulk, type BulkPlan } from '$lib/components/bulk';
import type { RowMenuItem } from '$lib/components/RowMenu.svelte';
import { joinArgs } from '$lib/containers/argv';
import { t } from '$lib/i18n/index.svelte';

/** `virsh -c <uri> vol-delete <volume> --pool <pool>` (the default connection when the URI is unknown). */
export function volDeleteCommand(pool: string, volume: string, uri?: string | null): string {
  return joinArgs([...(uri ? ['virsh', '-c', uri] : ['virsh']), 'vol-delete', volume, '--pool', pool]);
}

export function bulkVolumeDeletePlan<V extends Pick<StorageVolume, 'name'>>(
  pool: string,
  volumes: readonly V[],
  uri?: string | null,
): BulkPlan<V> {
  return planBulk(volumes, {
    key: (v) => v.name,
    label: (v) => v.name,
    refusal: () => null,
    command: (v) => volDeleteCommand(pool, v.name, uri),
  });
}

export async function deleteVolume(hostId: string, pool: string, v: Pick<StorageVolume, 'name'>): Promise<string[]> {
  const res = await api.DELETE('/api/hosts/{hostId}/storage-pools/{pool}/volumes/{volume}', {
    params: { path: { hostId, pool, volume: v.name } },
  });
  return res.commands;
}

/** A row's menu (operators: every action reads or changes the host's files): download, grow, delete. */
export function volumeMenu(
  v: Pick<StorageVolume, 'name'>,
  where: { hostId: string; pool: string },
  opts: { operate: boolean; onresize: () => void; ondelete: () => void },
): RowMenuItem[] {
  if (!opts.operate) return [];
  return [
    {
      id: 'download',
      label: t('bulk.menu.download'),
      icon: 'download',
      href: apiHref('/api/hosts/{hostId}/storage-pools/{pool}/volumes/{volume}/download', { ...where, volume: v.name }),
      download: v.name,
    },
    { id: 'resize', label: t('bulk.menu.grow'), icon: 'edit', onselect: opts.onresize },
    { id: 'delete', label: t('fleet.delete'), icon: 'trash', tone: 'danger', onselect: opts.ondelete },
  ];
}

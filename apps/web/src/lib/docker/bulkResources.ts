/**
 * The images, volumes and networks lists' row menus and bulk removal: which selected rows a removal
 * applies to (with the docker command each runs, from @mirador/docker's builders, as the single
 * remove dialogs show it), and the per-item request it sends — the same endpoint as the row's own
 * remove, so each target is authorised and audited on its own. Nothing is forced: what the engine
 * refuses (an image or a volume a container uses, a network with containers) fails alone and says why.
 */
import type { ImageSummary } from '@mirador/contract';
import { dockerCommands, shortId } from '@mirador/docker';
import { api, apiHref } from '$lib/api';
import { planBulk, type BulkPlan } from '$lib/components/bulk';
import type { RowMenuItem } from '$lib/components/RowMenu.svelte';
import { t } from '$lib/i18n/index.svelte';
import { commandFor } from './commands';
import { exportFileName, imageKey } from './images';
import { networkHref, volumeHref } from './paths';

/** One row of the images list per tag, as `docker images` lists them (an untagged image: one row, `tag` null). */
export interface ImageRow {
  img: Pick<ImageSummary, 'hostId' | 'id' | 'tags' | 'containers'>;
  tag: string | null;
}

/** What a row names in commands and URLs: its tag, or the ID of an untagged image. */
export const imageRowRef = (r: ImageRow): string => r.tag ?? r.img.id;
export const imageRowKey = (r: ImageRow): string => `${imageKey(r.img)}/${r.tag ?? ''}`;
const imageRowLabel = (r: ImageRow): string => r.tag ?? `<none> ${shortId(r.img.id)}`;

/** The row's own `docker rmi` line; a builder that refuses the name leaves the plain line (the server checks it again). */
const line = (build: () => string, fallback: string): string => commandFor(build) ?? fallback;

/** Each row removes what it names, as `docker rmi <ref>` does: a tag (the image goes with its last one), or an untagged image. */
export function bulkImagePlan<R extends ImageRow>(rows: readonly R[]): BulkPlan<R> {
  return planBulk(rows, {
    key: imageRowKey,
    label: imageRowLabel,
    refusal: () => null,
    command: (r) => line(() => dockerCommands.rmi(imageRowRef(r)), `docker rmi ${imageRowRef(r)}`),
  });
}

export async function removeImageRow(hostId: string, r: ImageRow): Promise<void> {
  await api.DELETE('/api/hosts/{hostId}/images/{image}', {
    params: { path: { hostId, image: imageRowRef(r) }, query: { untag: r.tag ? true : undefined } },
  });
}

export type ImageRowAction = 'tag' | 'push' | 'remove' | 'delete';

/** A row's menu: tag and push, export (a download), then its removals — those that change things for operators only. */
export function imageMenu(r: ImageRow, hostId: string, opts: { operate: boolean; onrequest: (a: ImageRowAction) => void }): RowMenuItem[] {
  const ref = imageRowRef(r);
  const items: RowMenuItem[] = [];
  if (opts.operate) {
    items.push({ id: 'tag', label: t('docker.images.tagOf', { image: ref }), icon: 'edit', onselect: () => opts.onrequest('tag') });
    if (r.tag)
      items.push({
        id: 'push',
        label: t('docker.images.pushOf', { image: ref }),
        icon: 'external',
        onselect: () => opts.onrequest('push'),
      });
  }
  items.push({
    id: 'export',
    label: t('docker.images.exportOf', { image: ref }),
    icon: 'download',
    href: apiHref('/api/hosts/{hostId}/images/{image}/export', { hostId, image: ref }),
    download: exportFileName(ref),
  });
  if (opts.operate) {
    if (r.tag) {
      const others = r.img.tags.some((tg) => tg !== r.tag);
      items.push({
        id: 'remove',
        label: others ? t('docker.images.untagOf', { image: r.tag }) : t('docker.images.removeOf', { image: r.tag }),
        icon: 'x',
        tone: 'danger',
        onselect: () => opts.onrequest('remove'),
      });
    }
    items.push({
      id: 'delete',
      label: t('docker.images.deleteImageOf', { id: shortId(r.img.id) }),
      icon: 'trash',
      tone: 'danger',
      onselect: () => opts.onrequest('delete'),
    });
  }
  return items;
}

interface VolumeRow {
  name: string;
}

export function bulkVolumePlan<V extends VolumeRow>(volumes: readonly V[]): BulkPlan<V> {
  return planBulk(volumes, {
    key: (v) => v.name,
    label: (v) => v.name,
    refusal: () => null,
    command: (v) => line(() => dockerCommands.volumeRm(v.name), `docker volume rm ${v.name}`),
  });
}

export async function removeVolume(hostId: string, v: VolumeRow): Promise<void> {
  await api.DELETE('/api/hosts/{hostId}/volumes/{name}', { params: { path: { hostId, name: v.name }, query: {} } });
}

export function volumeMenu(v: VolumeRow, hostId: string, opts: { operate: boolean; onremove: () => void }): RowMenuItem[] {
  const items: RowMenuItem[] = [{ id: 'open', label: t('fleet.openDetails'), icon: 'info', href: volumeHref(hostId, v.name) }];
  if (opts.operate) items.push({ id: 'remove', label: t('docker.volumes.remove'), icon: 'trash', tone: 'danger', onselect: opts.onremove });
  return items;
}

interface NetworkRow {
  id: string;
  name: string;
  /** bridge, host, none: the engine's own, never removable. */
  builtin: boolean;
}

export function bulkNetworkPlan<N extends NetworkRow>(networks: readonly N[]): BulkPlan<N> {
  return planBulk(networks, {
    key: (n) => n.id,
    label: (n) => n.name,
    refusal: (n) => (n.builtin ? t('bulk.skip.builtin') : null),
    command: (n) => line(() => dockerCommands.networkRm(n.name), `docker network rm ${n.name}`),
  });
}

export async function removeNetwork(hostId: string, n: NetworkRow): Promise<void> {
  await api.DELETE('/api/hosts/{hostId}/networks/{network}', { params: { path: { hostId, network: n.name } } });
}

export function networkMenu(n: NetworkRow, hostId: string, opts: { operate: boolean; onremove: () => void }): RowMenuItem[] {
  const items: RowMenuItem[] = [{ id: 'open', label: t('fleet.openDetails'), icon: 'info', href: networkHref(hostId, n.name) }];
  if (opts.operate && !n.builtin)
    items.push({ id: 'remove', label: t('docker.networks.remove'), icon: 'trash', tone: 'danger', onselect: opts.onremove });
  return items;
}

/**
 * The volumes of a host's running storage pools, as the create wizard offers them: installer ISOs for
 * the CD-ROM, and the other volumes no VM uses yet as the disk.
 */
import type { StorageVolume } from '@mirador/contract';
import { api } from '$lib/api';

export interface PoolVolume extends StorageVolume {
  pool: string;
}

/** Every volume of the host's running pools (libvirt lists none for a stopped pool), by pool then name. */
export async function loadHostVolumes(hostId: string, signal: AbortSignal): Promise<PoolVolume[]> {
  const pools = await api.GET('/api/hosts/{hostId}/storage-pools', { params: { path: { hostId } }, signal });
  const lists = await Promise.all(
    pools.items
      .filter((p) => p.state === 'running')
      .map(async (p) => {
        const { items } = await api.GET('/api/hosts/{hostId}/storage-pools/{pool}/volumes', {
          params: { path: { hostId, pool: p.name } },
          signal,
        });
        return items.map((v) => ({ ...v, pool: p.name }));
      }),
  );
  return lists.flat().sort((a, b) => a.pool.localeCompare(b.pool) || a.name.localeCompare(b.name));
}

/** An installer image: named *.iso (libvirt reports those as raw), or one libvirt itself calls iso. */
export function isIsoVolume(v: StorageVolume): boolean {
  return v.name.toLowerCase().endsWith('.iso') || v.format === 'iso';
}

/** ISOs with a path on the host (what `--cdrom` takes). */
export function isoVolumes(all: PoolVolume[]): (PoolVolume & { path: string })[] {
  return all.filter((v): v is PoolVolume & { path: string } => v.path !== null && isIsoVolume(v));
}

/** Disk volumes no VM uses: attaching one to a second VM would corrupt it. (Subdirectories are no disks.) */
export function freeDiskVolumes(all: PoolVolume[]): PoolVolume[] {
  return all.filter((v) => !isIsoVolume(v) && v.type !== 'dir' && v.usedBy.length === 0);
}

/** How a volume is named in the form's value and the picker: `pool/volume` (neither name holds a '/'). */
export const volumeRef = (v: { pool: string; name: string }): string => `${v.pool}/${v.name}`;

export function parseVolumeRef(ref: string): { pool: string; volume: string } | null {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1) return null;
  return { pool: ref.slice(0, slash), volume: ref.slice(slash + 1) };
}

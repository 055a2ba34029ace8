import { posix } from 'node:path';
import type { VmSummary } from '@mirador/contract';
import { isInside } from '../vms/vm-paths.js';

/**
 * Which VMs use what, from the disks of the VM inventory (parsed from each domain's XML). A disk
 * names a volume either as pool/volume or by its file path; both count, CD-ROMs included.
 */
export function usersOfVolume(vms: readonly VmSummary[], pool: string, volume: { name: string; path: string | null }): string[] {
  const path = volume.path ? posix.normalize(volume.path) : null;
  return vms
    .filter((vm) =>
      vm.disks.some(
        (d) => (d.pool === pool && d.volume === volume.name) || (path !== null && d.source !== null && posix.normalize(d.source) === path),
      ),
    )
    .map((vm) => vm.name)
    .sort();
}

/** VMs with any disk in the pool: by pool name, or by a file path inside its target directory. */
export function usersOfPool(vms: readonly VmSummary[], pool: string, targetPath: string | null): string[] {
  return vms
    .filter((vm) =>
      vm.disks.some(
        (d) =>
          d.pool === pool || (targetPath !== null && d.source?.startsWith('/') === true && isInside(posix.normalize(d.source), targetPath)),
      ),
    )
    .map((vm) => vm.name)
    .sort();
}

export const listNames = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

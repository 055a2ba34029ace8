import type { VmSummary } from '@mirador/contract';

/**
 * Why this VM cannot have a snapshot taken by Mirador, or null. libvirt's internal snapshots live
 * inside qcow2 images (QEMU's savevm / qemu-img snapshot), so every writable disk must be qcow2.
 * Disk-only external snapshots (overlay files) are not offered: libvirt before 9.9 cannot revert
 * to them, and deleting one means merging overlays by hand — a snapshot that cannot be reverted
 * is not the state recovery people expect.
 */
export function createRefusal(vm: Pick<VmSummary, 'name' | 'disks'>): string | null {
  const writable = vm.disks.filter((d) => d.device === 'disk' && !d.readonly);
  if (writable.length === 0) {
    return `"${vm.name}" has no disk: libvirt keeps internal snapshots inside the VM's qcow2 disks, so there is nowhere to store one. Attach a qcow2 disk first.`;
  }
  const other = writable.filter((d) => d.format !== 'qcow2');
  if (other.length === 0) return null;
  const list = other.map((d) => `${d.target} is ${d.format ?? 'of unknown format'}`).join(', ');
  return (
    `Snapshots need qcow2 disks: ${list}. libvirt stores internal snapshots inside qcow2 images, and raw images cannot hold them. ` +
    `Convert the disk with the VM shut off (qemu-img convert -O qcow2 old.img new.qcow2) and point the VM at the copy. ` +
    `Mirador does not offer disk-only external snapshots instead, because libvirt on most hosts (before 9.9) cannot revert to them.`
  );
}

/** A running (or paused) VM's internal snapshot always carries its memory; there is no disk-only internal one. */
export const MEMORY_ALWAYS_WHEN_RUNNING =
  'An internal snapshot of a running VM always holds its memory (QEMU saves the whole machine). For a disk-only snapshot, shut the VM down first.';

export const isActive = (state: VmSummary['state']) => state === 'running' || state === 'paused';

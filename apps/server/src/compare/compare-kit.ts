import { COMPARE_NAME_PREFIX, type CreateVmBody } from '@mirador/contract';
import { LIBVIRT_BOOT_DIR } from '../vms/vm-paths.js';

/**
 * The throwaway VM boots the lab's VM kit (scripts/lab/vmkit.sh): a kernel and a busybox initrd whose
 * shell prints `lab-vm# ` on the serial console. The paths are fixed here, inside libvirt's boot
 * directory, and still go through the create path's own checks on the host: a request never names them.
 */
export const COMPARE_KIT = {
  kernel: `${LIBVIRT_BOOT_DIR}/mirador-lab/vmlinuz`,
  initrd: `${LIBVIRT_BOOT_DIR}/mirador-lab/initrd.img`,
  cmdline: 'console=ttyS0',
  prompt: 'lab-vm# ',
} as const;

/** The measured VM: small enough for a teaching lab, with a real (thin) disk so its footprint has one. */
export const COMPARE_VM_MEMORY_MIB = 128;
export const COMPARE_VM_DISK_GIB = 1;
export const COMPARE_POOL = 'default';

/** Images tried, in order, when the request names none: the lab's own small image first. */
export const COMPARE_IMAGES = ['labbox:latest', 'busybox:latest', 'alpine:latest'] as const;
/** What the container prints first (its "ready" line) and how long it stays up if nobody removes it. */
export const COMPARE_READY_LINE = 'mirador-compare-ready';
export const COMPARE_CONTAINER_CMD = ['sh', '-c', `echo ${COMPARE_READY_LINE}; exec sleep 300`];

/** A fresh, recognisable name (VM names and container names accept it alike). */
export const compareName = (suffix: string) => `${COMPARE_NAME_PREFIX}${suffix}`;

/** The create request the measurement makes, as the VM wizard would send it. */
export function compareVmBody(name: string): CreateVmBody {
  return {
    name,
    memoryMiB: COMPARE_VM_MEMORY_MIB,
    vcpus: 1,
    domainType: 'auto',
    disk: { kind: 'new', pool: COMPARE_POOL, sizeGiB: COMPARE_VM_DISK_GIB, format: 'qcow2' },
    install: { kind: 'kernel', kernel: COMPARE_KIT.kernel, initrd: COMPARE_KIT.initrd, cmdline: COMPARE_KIT.cmdline },
    network: { kind: 'none' },
    graphics: 'none',
    start: false,
  };
}

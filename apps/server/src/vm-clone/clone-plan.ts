import { randomBytes } from 'node:crypto';
import type { CloneVmBody, ClonePlanDisk } from '@mirador/contract';
import {
  assertVolumeName,
  dumpxmlArgv,
  parseDomainXml,
  parseVolXml,
  volDumpxmlArgv,
  volNameOfPathArgv,
  volPoolOfPathArgv,
} from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import { conflict } from '../lib/http-errors.js';
import { runVirsh } from '../vms/virsh.js';
import type { VmTarget } from '../vms/vms.service.js';

/** One source disk that becomes a new volume of the clone. */
export interface VolumeCopy {
  target: string;
  pool: string;
  volume: string;
  /** The source volume's path (a linked clone's backing file). */
  path: string;
  format: string;
  capacityBytes: number;
  allocationBytes: number;
  newVolume: string;
  /** The format the clone's disk is opened as. */
  newFormat: string;
}

export interface ClonePlan {
  inactiveXml: string;
  copies: VolumeCopy[];
  disks: ClonePlanDisk[];
  /** One new MAC per <interface> of the source. */
  interfaceCount: number;
  warnings: string[];
}

const DISK_DEVICES = new Set(['disk', 'lun']);

/** "demo.qcow2" → ".qcow2": the clone's volumes keep the source's suffix, like virt-clone's names. */
function suffixOf(volume: string): string {
  return /\.(qcow2|img|raw|qed|vmdk|vdi)$/i.exec(volume)?.[0] ?? '';
}

/**
 * Reads the source's inactive definition and decides, disk by disk, what the clone gets: pool
 * volumes are copied (or linked) into their own pool under a name derived from the clone's;
 * CD-ROMs are shared; anything else (a file outside every pool, a block device, network storage,
 * an empty drive) is refused, naming each one, before anything is made.
 */
export async function planClone(target: VmTarget, runner: CommandRunner, body: CloneVmBody): Promise<ClonePlan> {
  const { uri } = target;
  const inactiveXml = await runVirsh(runner, dumpxmlArgv(uri, target.vm.name, { inactive: true }));
  const domain = parseDomainXml(inactiveXml);
  const copies: VolumeCopy[] = [];
  const disks: ClonePlanDisk[] = [];
  const refused: string[] = [];
  const warnings: string[] = [];
  let index = 0;
  for (const d of domain.disks) {
    const targetDev = d.target.dev ?? '?';
    const shown =
      d.source.pool && d.source.volume ? `${d.source.pool}/${d.source.volume}` : (d.source.file ?? d.source.dev ?? d.source.name ?? '');
    if (!DISK_DEVICES.has(d.device)) {
      disks.push({
        target: targetDev,
        device: d.device,
        source: shown,
        action: 'shared',
        newVolume: null,
        format: d.format ?? null,
        capacityBytes: null,
      });
      continue;
    }
    let pool: string | undefined;
    let volume: string | undefined;
    if (d.type === 'volume' && d.source.pool && d.source.volume) ({ pool, volume } = d.source);
    else if (d.type === 'file' && d.source.file) {
      // A file disk counts when libvirt knows it as a volume of one of its pools.
      const file = d.source.file;
      pool = (await runVirsh(runner, volPoolOfPathArgv(uri, file)).catch(() => '')).trim() || undefined;
      volume = pool ? (await runVirsh(runner, volNameOfPathArgv(uri, file)).catch(() => '')).trim() || undefined : undefined;
    }
    if (!pool || !volume) {
      refused.push(`${targetDev} (${shown || `${d.type} disk without a source`})`);
      continue;
    }
    const info = parseVolXml(await runVirsh(runner, volDumpxmlArgv(uri, pool, volume)));
    const format = info.format ?? d.format ?? 'raw';
    if (body.disks === 'linked' && format !== 'qcow2' && format !== 'raw') {
      refused.push(`${targetDev} (${pool}/${volume} is ${format}; a linked clone needs a qcow2 or raw source)`);
      continue;
    }
    const suffix = body.disks === 'linked' ? '.qcow2' : suffixOf(volume);
    const newVolume = `${body.name}${index === 0 ? '' : `-${index}`}${suffix}`;
    index++;
    assertVolumeName(newVolume, 'name');
    copies.push({
      target: targetDev,
      pool,
      volume,
      path: info.path ?? '',
      format,
      capacityBytes: info.capacityBytes,
      allocationBytes: info.allocationBytes,
      newVolume,
      newFormat: body.disks === 'linked' ? 'qcow2' : format,
    });
    disks.push({
      target: targetDev,
      device: d.device,
      source: `${pool}/${volume}`,
      action: body.disks,
      newVolume: `${pool}/${newVolume}`,
      format,
      capacityBytes: info.capacityBytes,
    });
  }
  if (refused.length) {
    throw conflict(
      `Cannot clone "${target.vm.name}": only disks that are volumes of a storage pool can be copied, and ${refused.join('; ')} ${refused.length === 1 ? 'is' : 'are'} not. Detach ${refused.length === 1 ? 'it' : 'them'} first, or move the data into a pool.`,
      'disks',
    );
  }
  for (const c of copies) {
    const taken = await runVirsh(runner, volDumpxmlArgv(uri, c.pool, c.newVolume)).then(
      () => true,
      () => false,
    );
    if (taken) throw conflict(`The pool "${c.pool}" already has a volume named "${c.newVolume}": pick another name for the clone`, 'name');
  }
  if (body.disks === 'linked' && copies.length) {
    warnings.push(
      `A linked clone reads everything it has not written from the source's disk: keep "${target.vm.name}" shut off (as a template) or the clone's data goes wrong, and delete the clone before the source's disk.`,
    );
  }
  for (const c of copies.filter((x) => x.format === 'raw' && body.disks === 'copy'))
    warnings.push(`${c.target}: ${c.pool}/${c.volume} is raw, so the copy takes its full size (${c.capacityBytes} bytes).`);
  if (domain.os.nvram) warnings.push('The clone gets fresh UEFI variables from the firmware template (boot entries are not copied).');
  return { inactiveXml, copies, disks, interfaceCount: domain.nics.length, warnings };
}

/** The source's disk being the clone's backing file: nothing may write it while the clone exists. */
export function refuseLinkedWhileRunning(name: string): never {
  throw conflict(
    `"${name}" is running: a linked clone reads from its disk, so the source must stay shut off. Shut it down, or make a full copy`,
    'disks',
  );
}

/** A locally administered MAC in QEMU's 52:54:00 range, unused by any VM on the host. */
export function newMacs(count: number, taken: Set<string>): string[] {
  const out: string[] = [];
  while (out.length < count) {
    const b = randomBytes(3);
    const mac = `52:54:00:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
    if (taken.has(mac)) continue;
    taken.add(mac);
    out.push(mac);
  }
  return out;
}

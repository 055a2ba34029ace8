import type { AttachDiskBody, DetachDiskQuery, DiskMediaBody, VmDeviceChange, VmDeviceDisk, VmDiskList } from '@mirador/contract';
import {
  XML_FROM_STDIN,
  attachDeviceArgv,
  buildDiskDeviceXml,
  changeMediaArgv,
  commandLineOf,
  detachDiskArgv,
  diskBusRefusal,
  nextDiskTarget,
  parseVolXml,
  volCreateBytesArgv,
  volDeleteArgv,
  volDeleteByPathArgv,
  volDumpxmlArgv,
  volDumpxmlByPathArgv,
  volPathArgv,
  type DeviceDisk,
  type DiskBus,
  type DiskDeviceSpec,
  type DiskSource,
} from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import { badRequest, conflict, notFound } from '../lib/http-errors.js';
import { usersOfVolume, listNames } from '../storage/volume-users.js';
import { allowedRoots, judgeOne, pathRefusal, type PathCaller } from '../vms/vm-paths.js';
import { runVirsh, runVirshWithXml } from '../vms/virsh.js';
import type { VmTarget } from '../vms/vms.service.js';
import { readDeviceState, resolveScope, scopeOfExisting, type DeviceState, type Scope } from './device-state.js';
import { explainHotplugError } from './hotplug-errors.js';

const MIB = 1024 * 1024;

/** Every disk of the VM: the running set, plus what only the persistent definition has. */
function mergedDisks(state: DeviceState): Array<DeviceDisk & { live: boolean; config: boolean }> {
  const live = state.live?.disks ?? [];
  const config = state.config?.disks ?? [];
  const out = live.map((d) => ({ ...d, live: true, config: config.some((c) => c.target === d.target) }));
  for (const c of config) if (!live.some((d) => d.target === c.target)) out.push({ ...c, live: false, config: true });
  return out;
}

async function capacityOf(runner: CommandRunner, uri: string, d: DeviceDisk): Promise<number | null> {
  try {
    const argv = d.pool && d.volume ? volDumpxmlArgv(uri, d.pool, d.volume) : d.path ? volDumpxmlByPathArgv(uri, d.path) : null;
    return argv ? parseVolXml(await runVirsh(runner, argv, { timeoutMs: 15_000 })).capacityBytes : null;
  } catch {
    // Not in a pool (or a path the argv rules refuse): the pool cannot say.
    return null;
  }
}

export async function listDisks(t: VmTarget): Promise<VmDiskList> {
  const runner = await t.runner();
  const state = await readDeviceState(t, runner);
  const disks = mergedDisks(state);
  const sizes = await Promise.all(disks.map((d) => capacityOf(runner, t.uri, d)));
  return {
    disks: disks.map((d, i): VmDeviceDisk => ({
      target: d.target,
      device: d.device,
      type: d.type,
      bus: d.bus,
      path: d.path,
      pool: d.pool,
      volume: d.volume,
      format: d.format,
      cache: d.cache,
      readonly: d.readonly,
      capacityBytes: sizes[i] ?? null,
      live: d.live,
      persistent: d.config,
    })),
    machine: state.machine,
    state: t.vm.state,
    persistent: t.vm.persistent,
  };
}

/** A planned change: what it will run (shown first), and the function that runs it. */
export interface DevicePlan extends VmDeviceChange {
  run(): Promise<VmDeviceChange>;
}

const xmlLine = (argv: string[], file: string) => `${commandLineOf(argv)} < ${file}`;

/**
 * Judges a host file the way VM create does (vm-paths.ts): admins are warned, others refused
 * (403) unless it resolves into a storage pool or the boot directory. Returns the path to use.
 */
async function judgedPath(
  runner: CommandRunner,
  t: VmTarget,
  field: string,
  path: string,
  qcow2: boolean,
  caller: PathCaller,
  warnings: string[],
): Promise<string> {
  const roots = await allowedRoots(runner, t.uri);
  const r = await judgeOne(runner, t.hostName, roots, { field, path, qcow2 });
  if (!r.why) return caller.isAdmin ? path : (r.real ?? path);
  if (!caller.isAdmin) throw pathRefusal(t.hostName, [`${field}: ${r.why}`]);
  warnings.push(`${field}: ${r.why} (allowed because you are an administrator)`);
  return path;
}

export async function planAttachDisk(t: VmTarget, body: AttachDiskBody, caller: PathCaller): Promise<DevicePlan> {
  const runner = await t.runner();
  const state = await readDeviceState(t, runner);
  const scope = resolveScope(body, state, t.vm.name);
  const device = body.source.kind === 'iso' ? 'cdrom' : 'disk';
  const q35 = /q35/.test(state.machine ?? '');
  const bus: DiskBus = body.bus ?? (device === 'disk' ? 'virtio' : q35 ? 'sata' : 'ide');
  const why = diskBusRefusal({ device, bus, machine: state.machine ?? undefined, live: scope.live });
  if (why) throw badRequest(why, 'bus');
  const used = mergedDisks(state).map((d) => d.target);
  const target = nextDiskTarget(bus, used);
  const warnings: string[] = [];
  const commands: string[] = [];
  let source: DiskSource;
  let format: 'qcow2' | 'raw';
  let createArgv: string[] | null = null;
  let undoArgv: string[] | null = null;

  const src = body.source;
  if (src.kind === 'new') {
    format = src.format ?? 'qcow2';
    createArgv = volCreateBytesArgv(t.uri, { pool: src.pool, name: src.name, capacityBytes: src.sizeMiB * MIB, format });
    undoArgv = volDeleteArgv(t.uri, src.pool, src.name);
    commands.push(commandLineOf(createArgv));
    source = { kind: 'volume', pool: src.pool, volume: src.name };
  } else if (src.kind === 'volume') {
    const pathOut = await runVirsh(runner, volPathArgv(t.uri, src.pool, src.volume)).catch(() => null);
    const volPath = pathOut?.trim() ?? '';
    if (!volPath.startsWith('/'))
      throw badRequest(`There is no volume "${src.volume}" in the pool "${src.pool}" on ${t.hostName}`, 'source.volume');
    const info = parseVolXml(await runVirsh(runner, volDumpxmlArgv(t.uri, src.pool, src.volume)));
    format = info.format === 'qcow2' ? 'qcow2' : 'raw';
    await judgedPath(runner, t, 'source.volume', volPath, format === 'qcow2', caller, warnings);
    const mine = mergedDisks(state).find((d) => (d.pool === src.pool && d.volume === src.volume) || d.path === volPath);
    if (mine) throw conflict(`"${t.vm.name}" already uses ${src.pool}/${src.volume} as ${mine.target}`, 'source.volume');
    const others = usersOfVolume(
      t.all().filter((v) => v.name !== t.vm.name),
      src.pool,
      { name: src.volume, path: volPath },
    );
    if (others.length) {
      const line = `${src.pool}/${src.volume} is also used by ${listNames(others)}; two VMs writing one disk corrupt it`;
      if (!caller.isAdmin) throw conflict(`${line}. Detach it from the other VM first`, 'source.volume');
      warnings.push(`${line} (attached anyway because you are an administrator)`);
    }
    source = { kind: 'volume', pool: src.pool, volume: src.volume };
  } else {
    format = 'raw';
    const path = await judgedPath(runner, t, 'source.path', src.path, false, caller, warnings);
    source = { kind: 'file', path };
  }

  const spec: DiskDeviceSpec = { device, source, format, bus, target, cache: body.cache, readonly: body.readonly };
  const xml = buildDiskDeviceXml(spec);
  const attachArgv = attachDeviceArgv(t.uri, t.vm.name, XML_FROM_STDIN, scope);
  commands.push(xmlLine(attachArgv, `${target}.xml`));
  const plan = { commands, xml, device: target, warnings };
  return {
    ...plan,
    run: async () => {
      if (createArgv) await runVirsh(runner, createArgv, { timeoutMs: 300_000 });
      try {
        await runVirshWithXml(runner, (file) => attachDeviceArgv(t.uri, t.vm.name, file, scope), xml);
      } catch (err) {
        if (undoArgv) {
          // The volume was made for this disk only: do not leave it behind.
          await runVirsh(runner, undoArgv).catch((e: unknown) => warnings.push(`Could not remove the new volume: ${(e as Error).message}`));
        }
        throw explainHotplugError(err, t.vm.name);
      }
      await t.refresh().catch(() => null);
      return plan;
    },
  };
}

function findDisk(state: DeviceState, target: string, name: string) {
  const disk = mergedDisks(state).find((d) => d.target === target);
  if (!disk) throw notFound(`Disk ${target} of "${name}"`);
  return disk;
}

export async function detachDisk(t: VmTarget, target: string, q: DetachDiskQuery, caller: PathCaller): Promise<VmDeviceChange> {
  const runner = await t.runner();
  const state = await readDeviceState(t, runner);
  const disk = findDisk(state, target, t.vm.name);
  const scope = scopeOfExisting(q, disk, `Disk ${target}`);
  const warnings: string[] = [];
  let deleteArgv: string[] | null = null;
  if (q.deleteVolume) {
    if (disk.device !== 'disk') throw badRequest(`${target} is a ${disk.device}: its image is not deleted with it`, 'deleteVolume');
    if (scope.live !== disk.live || scope.config !== disk.config)
      throw badRequest(`Deleting the volume needs ${target} detached everywhere (live and persistent)`, 'deleteVolume');
    const others = t
      .all()
      .filter((v) => v.name !== t.vm.name)
      .filter((v) =>
        v.disks.some(
          (d) => (disk.pool !== null && d.pool === disk.pool && d.volume === disk.volume) || (disk.path !== null && d.source === disk.path),
        ),
      )
      .map((v) => v.name);
    if (others.length) {
      const line = `the image of ${target} is also used by ${listNames(others)}`;
      if (!caller.isAdmin) throw conflict(`Cannot delete it: ${line}. Detach without deleting`, 'deleteVolume');
      warnings.push(`${line} (deleted anyway because you are an administrator)`);
    }
    deleteArgv =
      disk.pool && disk.volume ? volDeleteArgv(t.uri, disk.pool, disk.volume) : disk.path ? volDeleteByPathArgv(t.uri, disk.path) : null;
    if (!deleteArgv) throw badRequest(`${target} has no volume or file to delete`, 'deleteVolume');
  }
  const argv = detachDiskArgv(t.uri, t.vm.name, target, scope);
  const commands = [commandLineOf(argv)];
  await runVirsh(runner, argv).catch((err: unknown) => {
    throw explainHotplugError(err, t.vm.name);
  });
  if (deleteArgv) {
    // A live detach completes when the guest lets go; deleting an image QEMU still has open is not done.
    const still = scope.live ? await stillAttached(t, runner, target) : false;
    if (still) warnings.push(`The guest has not released ${target} yet, so its volume was kept; delete it from the storage page later`);
    else {
      commands.push(commandLineOf(deleteArgv));
      await runVirsh(runner, deleteArgv).catch((err: unknown) => warnings.push(`The volume was kept: ${(err as Error).message}`));
    }
  }
  await t.refresh().catch(() => null);
  return { commands, device: target, warnings };
}

async function stillAttached(t: VmTarget, runner: CommandRunner, target: string): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    const s = await readDeviceState(t, runner);
    if (!s.live?.disks.some((d) => d.target === target)) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
}

export async function changeMedia(t: VmTarget, target: string, body: DiskMediaBody, caller: PathCaller): Promise<VmDeviceChange> {
  const runner = await t.runner();
  const state = await readDeviceState(t, runner);
  const disk = findDisk(state, target, t.vm.name);
  if (disk.device !== 'cdrom' && disk.device !== 'floppy')
    throw badRequest(`${target} is a ${disk.device}, not a CD-ROM drive: only removable media can be ejected or inserted`, 'target');
  const scope: Scope = scopeOfExisting(body, disk, `Drive ${target}`);
  const warnings: string[] = [];
  if (body.action === 'insert' && body.path === undefined) throw badRequest('Name the ISO image to insert', 'path');
  const media =
    body.action === 'insert' && body.path !== undefined
      ? { insert: await judgedPath(runner, t, 'path', body.path, false, caller, warnings) }
      : ({ eject: true } as const);
  const argv = changeMediaArgv(t.uri, t.vm.name, target, media, scope);
  await runVirsh(runner, argv);
  await t.refresh().catch(() => null);
  return { commands: [commandLineOf(argv)], device: target, warnings };
}

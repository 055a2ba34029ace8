/**
 * The create-VM form's model: the values as typed (text inputs stay strings), their client-side
 * checks, the `CreateVmBody` they become, and which input a server error points at.
 */
import {
  HOST_PATH_PATTERN,
  INSTALL_URL_PATTERN,
  POOL_NAME_PATTERN,
  VM_NAME_PATTERN,
  VOLUME_NAME_PATTERN,
  type CreateVmBody,
} from '@mirador/contract';
import { ApiError } from '$lib/api';
import { t, type MessageKey } from '$lib/i18n/index.svelte';
import { parseVolumeRef } from './hostVolumes';

export type DomainType = 'auto' | 'kvm' | 'qemu';
export type InstallKind = 'kernel' | 'cdrom' | 'location' | 'import';
export type DiskKind = 'none' | 'new' | 'volume' | 'path';
export type NetKind = 'none' | 'network' | 'bridge';
export type GraphicsKind = NonNullable<CreateVmBody['graphics']>;

export interface VmFormValues {
  hostId: string;
  name: string;
  memoryMiB: string;
  vcpus: string;
  domainType: DomainType;
  osinfoId: string;
  installKind: InstallKind;
  kernel: string;
  initrd: string;
  cmdline: string;
  iso: string;
  /** Network install tree (`--location`) and the installer kernel's arguments (`--extra-args`). */
  locationUrl: string;
  extraArgs: string;
  diskKind: DiskKind;
  pool: string;
  sizeGiB: string;
  diskFormat: 'qcow2' | 'raw';
  diskPath: string;
  /** An existing volume, as `pool/volume`. */
  volumeRef: string;
  netKind: NetKind;
  netName: string;
  bridgeName: string;
  /** The VM's screen: a VNC display (the Screen tab) or serial only. */
  graphics: GraphicsKind;
  start: boolean;
}

export function defaultVmValues(): VmFormValues {
  return {
    hostId: '',
    name: '',
    memoryMiB: '1024',
    vcpus: '1',
    domainType: 'auto',
    osinfoId: '',
    installKind: 'cdrom',
    kernel: '',
    initrd: '',
    cmdline: 'console=ttyS0',
    iso: '',
    locationUrl: '',
    extraArgs: 'console=ttyS0',
    diskKind: 'new',
    pool: 'default',
    sizeGiB: '10',
    diskFormat: 'qcow2',
    diskPath: '',
    volumeRef: '',
    netKind: 'network',
    netName: 'default',
    bridgeName: 'br0',
    graphics: 'vnc',
    start: true,
  };
}

/** One card of a "what kind" radio group (install source, disk, network). */
export interface KindOption<K extends string> {
  value: K;
  label: MessageKey;
  hint: MessageKey;
}

export const INSTALL_OPTIONS: KindOption<InstallKind>[] = [
  { value: 'cdrom', label: 'vms.form.installCdrom', hint: 'vms.form.installCdromHint' },
  { value: 'location', label: 'vms.form.installLocation', hint: 'vms.form.installLocationHint' },
  { value: 'kernel', label: 'vms.form.installKernel', hint: 'vms.form.installKernelHint' },
  { value: 'import', label: 'vms.form.installImport', hint: 'vms.form.installImportHint' },
];
export const DISK_OPTIONS: KindOption<DiskKind>[] = [
  { value: 'new', label: 'vms.form.diskNew', hint: 'vms.form.diskNewHint' },
  { value: 'volume', label: 'vms.form.diskVolume', hint: 'vms.form.diskVolumeHint' },
  { value: 'path', label: 'vms.form.diskPath', hint: 'vms.form.diskPathHint' },
  { value: 'none', label: 'vms.form.diskNone', hint: 'vms.form.diskNoneHint' },
];
export const NET_OPTIONS: KindOption<NetKind>[] = [
  { value: 'network', label: 'vms.form.netNetwork', hint: 'vms.form.netNetworkHint' },
  { value: 'bridge', label: 'vms.form.netBridge', hint: 'vms.form.netBridgeHint' },
  { value: 'none', label: 'vms.form.netNone', hint: 'vms.form.netNoneHint' },
];
export const GRAPHICS_OPTIONS: KindOption<GraphicsKind>[] = [
  { value: 'vnc', label: 'vms.form.screenVnc', hint: 'vms.form.screenVncHint' },
  { value: 'none', label: 'vms.form.screenNone', hint: 'vms.form.screenNoneHint' },
];

const re = {
  name: new RegExp(VM_NAME_PATTERN),
  pool: new RegExp(POOL_NAME_PATTERN),
  volume: new RegExp(VOLUME_NAME_PATTERN),
  path: new RegExp(HOST_PATH_PATTERN),
  url: new RegExp(INSTALL_URL_PATTERN),
  bridge: /^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$/,
  osinfo: /^[A-Za-z0-9][A-Za-z0-9._+:/-]{0,199}$/,
  printable: /^[\x20-\x7e]*$/,
};

function intIn(v: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(v.trim())) return null;
  const n = Number(v);
  return n >= min && n <= max ? n : null;
}

/**
 * The contract's pattern, and what virt-install's own option parser needs on top (the server checks
 * both): a URL that parses, without a comma.
 */
function validInstallUrl(url: string): boolean {
  if (url.length > 2000 || !re.url.test(url) || url.includes(',')) return false;
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * Client-side problems, keyed like the form's inputs (`name`, `disk.pool`, `install.kernel`…).
 * `offeredVolumes`: the `pool/volume` refs the disk picker lists (a ref left from another host is not one).
 */
export function validateVm(v: VmFormValues, offeredVolumes: readonly string[] = []): Record<string, string> {
  const e: Record<string, string> = {};
  if (!v.hostId) e.hostId = t('validation.required');
  if (!v.name.trim()) e.name = t('validation.required');
  else if (!re.name.test(v.name.trim())) e.name = t('vms.form.nameInvalid');
  if (intIn(v.memoryMiB, 64, 1048576) === null) e.memoryMiB = t('vms.form.rangeInvalid', { min: 64, max: 1048576 });
  if (intIn(v.vcpus, 1, 256) === null) e.vcpus = t('vms.form.rangeInvalid', { min: 1, max: 256 });
  if (v.osinfoId.trim() && !re.osinfo.test(v.osinfoId.trim())) e.osinfoId = t('vms.form.osinfoInvalid');
  if (v.diskKind === 'new') {
    if (!re.pool.test(v.pool.trim())) e['disk.pool'] = t('vms.form.poolInvalid');
    if (intIn(v.sizeGiB, 1, 16384) === null) e['disk.sizeGiB'] = t('vms.form.rangeInvalid', { min: 1, max: 16384 });
  } else if (v.diskKind === 'volume') {
    const ref = parseVolumeRef(v.volumeRef);
    if (!ref || !re.pool.test(ref.pool) || !re.volume.test(ref.volume) || !offeredVolumes.includes(v.volumeRef))
      e['disk.volume'] = t('vms.form.volumeRequired');
  } else if (v.diskKind === 'path') {
    if (!re.path.test(v.diskPath.trim())) e['disk.path'] = t('vms.form.pathInvalid');
  }
  if (v.installKind === 'kernel') {
    if (!re.path.test(v.kernel.trim())) e['install.kernel'] = t('vms.form.pathInvalid');
    if (v.initrd.trim() && !re.path.test(v.initrd.trim())) e['install.initrd'] = t('vms.form.pathInvalid');
    if (!re.printable.test(v.cmdline) || v.cmdline.length > 2048) e['install.cmdline'] = t('vms.form.cmdlineInvalid');
  } else if (v.installKind === 'cdrom') {
    if (!re.path.test(v.iso.trim())) e['install.iso'] = t('vms.form.pathInvalid');
  } else if (v.installKind === 'location') {
    if (!validInstallUrl(v.locationUrl.trim())) e['install.url'] = t('vms.form.locationInvalid');
    if (!re.printable.test(v.extraArgs) || v.extraArgs.length > 2048) e['install.extraArgs'] = t('vms.form.cmdlineInvalid');
  } else if (v.diskKind !== 'path' && v.diskKind !== 'volume') {
    e.install = t('vms.form.importNeedsDisk');
  }
  if (v.netKind === 'network' && !re.pool.test(v.netName.trim())) e['network.name'] = t('vms.form.networkInvalid');
  if (v.netKind === 'bridge' && !re.bridge.test(v.bridgeName.trim())) e['network.name'] = t('vms.form.bridgeInvalid');
  return e;
}

export function buildVmBody(v: VmFormValues): CreateVmBody {
  const disk: CreateVmBody['disk'] =
    v.diskKind === 'new'
      ? { kind: 'new', pool: v.pool.trim(), sizeGiB: Number(v.sizeGiB), format: v.diskFormat }
      : v.diskKind === 'volume'
        ? { kind: 'volume', ...parseVolumeRef(v.volumeRef)! } // validateVm made sure it parses
        : v.diskKind === 'path'
          ? { kind: 'path', path: v.diskPath.trim() }
          : { kind: 'none' };
  const initrd = v.initrd.trim();
  const install: CreateVmBody['install'] =
    v.installKind === 'kernel'
      ? { kind: 'kernel', kernel: v.kernel.trim(), ...(initrd ? { initrd } : {}), ...(v.cmdline ? { cmdline: v.cmdline } : {}) }
      : v.installKind === 'cdrom'
        ? { kind: 'cdrom', iso: v.iso.trim() }
        : v.installKind === 'location'
          ? { kind: 'location', url: v.locationUrl.trim(), ...(v.extraArgs ? { extraArgs: v.extraArgs } : {}) }
          : { kind: 'import' };
  const network: CreateVmBody['network'] =
    v.netKind === 'network'
      ? { kind: 'network', name: v.netName.trim() }
      : v.netKind === 'bridge'
        ? { kind: 'bridge', name: v.bridgeName.trim() }
        : { kind: 'none' };
  return {
    name: v.name.trim(),
    memoryMiB: Number(v.memoryMiB),
    vcpus: Number(v.vcpus),
    domainType: v.domainType,
    ...(v.osinfoId.trim() ? { osinfoId: v.osinfoId.trim() } : {}),
    disk,
    install,
    network,
    graphics: v.graphics,
    start: v.start,
  };
}

/** Server field names that mean one of our inputs (the XML and virt-install words for the same thing). */
const ALIASES: Record<string, string> = {
  'boot.kernel': 'install.kernel',
  'source.kernel': 'install.kernel',
  'boot.initrd': 'install.initrd',
  'source.initrd': 'install.initrd',
  'boot.cmdline': 'install.cmdline',
  'source.cmdline': 'install.cmdline',
  'cdrom.path': 'install.iso',
  'source.path': 'install.iso',
  'source.url': 'install.url',
  'source.extraArgs': 'install.extraArgs',
  'install.kind': 'install',
  'disk.kind': 'disk',
  'network.kind': 'network',
};

/** The inputs behind each error key: an error goes as soon as one of them changes. */
const FIELD_INPUTS: Record<string, readonly (keyof VmFormValues)[]> = {
  hostId: ['hostId'],
  name: ['name'],
  memoryMiB: ['memoryMiB'],
  vcpus: ['vcpus'],
  osinfoId: ['osinfoId'],
  domainType: ['domainType'],
  disk: ['diskKind'],
  'disk.pool': ['pool', 'diskKind'],
  'disk.sizeGiB': ['sizeGiB', 'diskKind'],
  'disk.path': ['diskPath', 'diskKind'],
  'disk.volume': ['volumeRef', 'diskKind'],
  'disk.format': ['diskFormat', 'diskKind'],
  install: ['installKind', 'diskKind'],
  'install.kernel': ['kernel', 'installKind'],
  'install.initrd': ['initrd', 'installKind'],
  'install.cmdline': ['cmdline', 'installKind'],
  'install.iso': ['iso', 'installKind'],
  'install.url': ['locationUrl', 'installKind'],
  'install.extraArgs': ['extraArgs', 'installKind'],
  network: ['netKind'],
  'network.name': ['netName', 'bridgeName', 'netKind'],
};

/** The form keys that show an error (the rest of a server `field` is read up to one of them). */
const FIELD_KEYS = new Set(Object.keys(FIELD_INPUTS));

/** The error keys that `changed` inputs make stale (a stale error must not outlive the fix). */
export function staleErrorKeys(changed: ReadonlySet<keyof VmFormValues>): string[] {
  return Object.entries(FIELD_INPUTS)
    .filter(([, inputs]) => inputs.some((i) => changed.has(i)))
    .map(([key]) => key);
}

/** The form key an API error points at (`install.kernel`, `/disk/pool`, `boot.kernel`…), if one is shown. */
export function vmErrorField(err: unknown): string | null {
  if (!(err instanceof ApiError) || !err.field) return null;
  const f = err.field
    .replace(/^\/?(body[./])?/, '')
    .replace(/^\//, '')
    .replace(/\//g, '.');
  const key = ALIASES[f] ?? f;
  if (FIELD_KEYS.has(key)) return key;
  const first = key.split('.')[0]!; // split() returns at least one element
  return FIELD_KEYS.has(first) ? first : null;
}

/**
 * Device XML for hot-plug (`virsh attach-device`): disks, CD-ROMs and NICs. Built with the package's
 * XML builder like build-domain.ts, so values are escaped by construction; the checks below keep
 * them meaningful (a bus the machine has, a MAC that is a unicast address, a target that is free).
 */
import { LibvirtValidationError, assertHostPath, assertNetworkName, assertPoolName, assertVolumeName } from './names.js';
import { assertInterfaceName } from './build-network.js';
import { makeBuilder, type XmlNode } from './xml.js';

export const DISK_BUSES = ['virtio', 'sata', 'scsi', 'ide'] as const;
export type DiskBus = (typeof DISK_BUSES)[number];
export const DISK_CACHE_MODES = ['default', 'none', 'writeback', 'writethrough', 'directsync', 'unsafe'] as const;
export type DiskCacheMode = (typeof DISK_CACHE_MODES)[number];
export const NIC_MODELS = ['virtio', 'e1000', 'e1000e', 'rtl8139'] as const;
export type NicModel = (typeof NIC_MODELS)[number];

/** Lower-case, colon-separated, six octets. */
export const MAC_PATTERN = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
/** The prefix QEMU/KVM guests conventionally get (libvirt's own choice when it generates one). */
export const LIBVIRT_MAC_PREFIX = '52:54:00';

function fail(field: string, message: string): never {
  throw new LibvirtValidationError('invalid-value', field, message);
}

/**
 * A MAC a NIC may be given: six hex octets, unicast (the low bit of the first octet is the
 * multicast bit) and not all zeros. Returns it lower-cased, the way libvirt prints it.
 */
export function normalizeMac(mac: unknown, field = 'mac'): string {
  if (typeof mac !== 'string') fail(field, 'MAC address must be text like 52:54:00:12:34:56.');
  const m = mac.toLowerCase().replaceAll('-', ':');
  if (!MAC_PATTERN.test(m)) fail(field, `MAC address ${JSON.stringify(mac)} must be six hex octets like 52:54:00:12:34:56.`);
  if ((Number.parseInt(m.slice(0, 2), 16) & 1) === 1) fail(field, `MAC address ${m} is a multicast address; a NIC needs a unicast one.`);
  if (m === '00:00:00:00:00:00') fail(field, 'MAC address 00:00:00:00:00:00 is not a usable address.');
  return m;
}

/** A fresh 52:54:00:xx:xx:xx not in `taken` (lower-case MACs); `random` gives bytes (crypto in the server). */
export function generateMac(taken: ReadonlySet<string>, random: (n: number) => Uint8Array): string {
  for (let i = 0; i < 1000; i++) {
    const tail = [...random(3)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const mac = `${LIBVIRT_MAC_PREFIX}:${tail}`;
    if (!taken.has(mac)) return mac;
  }
  return fail('mac', 'Could not find a free MAC address; give one.');
}

const TARGET_PREFIX: Record<DiskBus, string> = { virtio: 'vd', sata: 'sd', scsi: 'sd', ide: 'hd' };
/** What libvirt calls a disk's guest-side name: vda, sdb, hdc, xvda… (validated before it becomes argv). */
export const DISK_TARGET_PATTERN = /^(?:vd|sd|hd|xvd)[a-z]{1,2}$/;

export function assertDiskTarget(target: unknown, field = 'target'): asserts target is string {
  if (typeof target !== 'string' || !DISK_TARGET_PATTERN.test(target))
    fail(field, `Disk target ${JSON.stringify(target)} must look like vda, sdb or hdc.`);
}

/**
 * The next free target for a bus, in the order the guest sees them: vda, vdb… for virtio; sda… for
 * SATA and SCSI (they share the sd namespace); hda… for IDE. Mirrors virtioDiskTarget in build-domain.ts.
 */
export function nextDiskTarget(bus: DiskBus, used: readonly string[]): string {
  const prefix = TARGET_PREFIX[bus];
  // IDE has two channels of two devices: hda–hdd.
  const max = bus === 'ide' ? 4 : 26;
  for (let i = 0; i < max; i++) {
    const dev = `${prefix}${String.fromCharCode(97 + i)}`;
    if (!used.includes(dev)) return dev;
  }
  return fail('bus', `Every ${bus} disk target (${prefix}a–${prefix}${String.fromCharCode(96 + max)}) is taken on this VM.`);
}

export interface DiskBusContext {
  device: 'disk' | 'cdrom';
  bus: DiskBus;
  /** The VM's machine type as libvirt reports it (pc-q35-7.2, pc-i440fx-…, q35, pc). */
  machine?: string;
  /** Whether the change goes to the running VM (hot-plug). */
  live: boolean;
}

/** Why this VM cannot take a device on this bus, in words for the person choosing it; null when it can. */
export function diskBusRefusal(c: DiskBusContext): string | null {
  const q35 = /q35/.test(c.machine ?? '');
  if (c.bus === 'ide' && q35) return 'The q35 machine has no IDE controller; use SATA (or virtio for a disk).';
  if (c.device === 'cdrom' && c.bus === 'virtio')
    return 'A CD-ROM cannot sit on virtio (virtio-blk has no removable media); use SATA, SCSI or IDE.';
  if (c.live && c.bus !== 'virtio' && c.bus !== 'scsi') {
    return `QEMU cannot hot-plug ${c.bus.toUpperCase()} devices into a running VM; use virtio or SCSI, or attach it to the persistent definition only (it appears at the next boot).`;
  }
  return null;
}

export type DiskSource = { kind: 'volume'; pool: string; volume: string } | { kind: 'file'; path: string };

export interface DiskDeviceSpec {
  device: 'disk' | 'cdrom';
  source: DiskSource | null;
  format: 'qcow2' | 'raw';
  bus: DiskBus;
  target: string;
  cache?: DiskCacheMode;
  readonly?: boolean;
}

function sourceNode(source: DiskSource): { type: string; node: XmlNode } {
  if (source.kind === 'volume') {
    assertPoolName(source.pool, 'source.pool');
    assertVolumeName(source.volume, 'source.volume');
    return { type: 'volume', node: { '@_pool': source.pool, '@_volume': source.volume } };
  }
  if (source.kind === 'file') {
    assertHostPath(source.path, 'source.path');
    return { type: 'file', node: { '@_file': source.path } };
  }
  return fail('source', 'Disk source must be a pool volume or a file.');
}

export function buildDiskDeviceXml(spec: DiskDeviceSpec): string {
  if (spec.device !== 'disk' && spec.device !== 'cdrom') fail('device', 'Device must be disk or cdrom.');
  if (!DISK_BUSES.includes(spec.bus)) fail('bus', `Bus must be one of ${DISK_BUSES.join(', ')}.`);
  if (spec.format !== 'qcow2' && spec.format !== 'raw') fail('format', 'Disk format must be qcow2 or raw.');
  if (spec.cache !== undefined && !DISK_CACHE_MODES.includes(spec.cache))
    fail('cache', `Cache mode must be one of ${DISK_CACHE_MODES.join(', ')}.`);
  assertDiskTarget(spec.target);
  if (spec.device === 'disk' && spec.source === null) fail('source', 'A disk needs a source.');
  const src = spec.source ? sourceNode(spec.source) : null;
  const driver: XmlNode = { '@_name': 'qemu', '@_type': spec.format };
  if (spec.cache !== undefined && spec.cache !== 'default') driver['@_cache'] = spec.cache;
  const disk: XmlNode = {
    '@_type': src?.type ?? 'file',
    '@_device': spec.device,
    driver,
    ...(src ? { source: src.node } : {}),
    target: { '@_dev': spec.target, '@_bus': spec.bus },
    // A CD-ROM is read-only by nature; libvirt wants it said.
    ...(spec.readonly || spec.device === 'cdrom' ? { readonly: '' } : {}),
  };
  // suppressEmptyNode drops <readonly></readonly> to <readonly/>, which is what libvirt writes.
  return makeBuilder().build({ disk });
}

export interface NicDeviceSpec {
  kind: 'network' | 'bridge';
  source: string;
  model: NicModel;
  mac: string;
  linkDown?: boolean;
}

export function buildNicDeviceXml(spec: NicDeviceSpec): string {
  if (spec.kind === 'network') assertNetworkName(spec.source, 'source');
  else if (spec.kind === 'bridge') assertInterfaceName(spec.source, 'source');
  else fail('kind', 'A NIC connects to a libvirt network or a host bridge.');
  if (!NIC_MODELS.includes(spec.model)) fail('model', `NIC model must be one of ${NIC_MODELS.join(', ')}.`);
  const mac = normalizeMac(spec.mac);
  const iface: XmlNode = {
    '@_type': spec.kind,
    mac: { '@_address': mac },
    source: spec.kind === 'network' ? { '@_network': spec.source } : { '@_bridge': spec.source },
    model: { '@_type': spec.model },
    ...(spec.linkDown ? { link: { '@_state': 'down' } } : {}),
  };
  return makeBuilder().build({ interface: iface });
}

/**
 * The devices of a domain as the Devices tab lists them: parse-domain.ts's view plus what hot-plug
 * needs (cache mode, link state, the machine type that decides which buses exist).
 */
import { attr, child, children, has, makeParser, parseXmlRoot, type XmlNode } from './xml.js';

export interface DeviceDisk {
  /** 'disk' | 'cdrom' | 'floppy' | 'lun' */
  device: string;
  /** 'file' | 'block' | 'volume' | 'network' | … */
  type: string;
  target: string;
  bus: string | null;
  /** A file or block path, or null for volume/network disks and empty CD-ROM drives. */
  path: string | null;
  pool: string | null;
  volume: string | null;
  format: string | null;
  cache: string | null;
  readonly: boolean;
}

export interface DeviceNic {
  mac: string | null;
  type: string;
  /** Network name for 'network', bridge for 'bridge', host device for 'direct'. */
  source: string | null;
  /** The host bridge a running 'network' NIC is plugged into. */
  bridge: string | null;
  model: string | null;
  /** Absent <link> means up. */
  link: 'up' | 'down';
  /** Host-side tap device (vnet0) while running. */
  targetDev: string | null;
}

export interface DomainDevices {
  machine: string | null;
  disks: DeviceDisk[];
  nics: DeviceNic[];
}

const parser = makeParser(['domain.devices.disk', 'domain.devices.interface']);

function parseDisk(d: XmlNode): DeviceDisk {
  const src = child(d, 'source');
  const target = child(d, 'target');
  const driver = child(d, 'driver');
  return {
    device: attr(d, 'device') ?? 'disk',
    type: attr(d, 'type') ?? 'file',
    target: attr(target, 'dev') ?? '',
    bus: attr(target, 'bus') ?? null,
    path: attr(src, 'file') ?? attr(src, 'dev') ?? null,
    pool: attr(src, 'pool') ?? null,
    volume: attr(src, 'volume') ?? null,
    format: attr(driver, 'type') ?? null,
    cache: attr(driver, 'cache') ?? null,
    readonly: has(d, 'readonly'),
  };
}

function parseNic(n: XmlNode): DeviceNic {
  const type = attr(n, 'type') ?? 'unknown';
  const src = child(n, 'source');
  const source = type === 'network' ? attr(src, 'network') : type === 'bridge' ? attr(src, 'bridge') : attr(src, 'dev');
  return {
    mac: attr(child(n, 'mac'), 'address')?.toLowerCase() ?? null,
    type,
    source: source ?? null,
    bridge: attr(src, 'bridge') ?? null,
    model: attr(child(n, 'model'), 'type') ?? null,
    link: attr(child(n, 'link'), 'state') === 'down' ? 'down' : 'up',
    targetDev: attr(child(n, 'target'), 'dev') ?? null,
  };
}

export function parseDomainDevices(xml: string): DomainDevices {
  const dom = parseXmlRoot(parser, xml, 'domain');
  const devices = child(dom, 'devices');
  return {
    machine: attr(child(child(dom, 'os'), 'type'), 'machine') ?? null,
    disks: children(devices, 'disk').map(parseDisk),
    nics: children(devices, 'interface').map(parseNic),
  };
}

/** `virsh domif-getlink` prints "<mac> up" (or "down"); older versions "<iface> up". */
export function parseDomifGetlink(out: string): 'up' | 'down' | null {
  const m = /\b(up|down)\s*$/.exec(out.trim());
  return m ? (m[1] as 'up' | 'down') : null;
}

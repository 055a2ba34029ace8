/** Reads `virsh dumpxml` output into the shape the dashboard shows; tolerant of anything missing. */
import { attr, child, children, has, makeParser, parseXmlRoot, scaledToBytes, text, toInt, type XmlNode } from './xml.js';

export interface DomainDisk {
  /** 'disk' | 'cdrom' | 'floppy' | 'lun' */
  device: string;
  /** 'file' | 'block' | 'volume' | 'network' | … */
  type: string;
  source: { file?: string; dev?: string; pool?: string; volume?: string; protocol?: string; name?: string };
  target: { dev?: string; bus?: string };
  /** Image format from <driver type>: 'qcow2' | 'raw' | … */
  format?: string;
  readonly: boolean;
}

export interface DomainNic {
  mac?: string;
  /** 'network' | 'bridge' | 'direct' | 'user' | … */
  type: string;
  /** Network name for type 'network', bridge for 'bridge', host device for 'direct'. */
  source?: string;
  /** Running domains also report the host bridge a 'network' NIC is plugged into. */
  bridge?: string;
  model?: string;
  /** Host-side tap device (vnet0) while running. */
  targetDev?: string;
}

export interface DomainGraphics {
  type: string;
  /** Actual port while running; -1 in inactive XML means "pick one at start". */
  port?: number;
  listen?: string;
  autoport?: boolean;
}

export interface DomainCharDevice {
  /** Host side: 'pty' | 'file' | 'tcp' | 'unix' | … */
  type: string;
  /** /dev/pts/N while running, for pty. */
  sourcePath?: string;
  /** Guest side: 'isa-serial' | 'serial' | 'virtio' | … */
  targetType?: string;
  targetPort?: number;
}

export interface DomainOs {
  type?: string;
  arch?: string;
  machine?: string;
  firmware?: string;
  loader?: string;
  nvram?: string;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** Boot order from <boot dev=…/>; empty when per-device <boot order> is used instead. */
  boot: string[];
}

export interface ParsedDomain {
  name: string;
  uuid?: string;
  /** Hypervisor type: 'kvm' | 'qemu' | 'test' | … */
  type: string;
  /** Present only in live XML (the domain is running or paused). */
  id?: number;
  title?: string;
  description?: string;
  memoryKiB?: number;
  currentMemoryKiB?: number;
  /** vCPUs online at boot (<vcpu current=…>), falling back to the maximum. */
  vcpus?: number;
  maxVcpus?: number;
  os: DomainOs;
  disks: DomainDisk[];
  nics: DomainNic[];
  graphics: DomainGraphics[];
  serials: DomainCharDevice[];
  consoles: DomainCharDevice[];
  /** Whether `virsh console` has a text console to attach to. */
  hasSerialConsole: boolean;
  /** libosinfo id from <metadata><libosinfo:os id=…/>, e.g. http://debian.org/debian/12. */
  osinfoId?: string;
}

const parser = makeParser([
  'domain.os.boot',
  'domain.devices.disk',
  'domain.devices.interface',
  'domain.devices.graphics',
  'domain.devices.serial',
  'domain.devices.console',
]);

function kib(node: XmlNode | undefined, name: string): number | undefined {
  const bytes = scaledToBytes(text(node, name), attr(child(node, name), 'unit'), 'KiB');
  return bytes === undefined ? undefined : Math.floor(bytes / 1024);
}

function parseDisk(d: XmlNode): DomainDisk {
  const src = child(d, 'source');
  const target = child(d, 'target');
  const source: DomainDisk['source'] = {};
  for (const key of ['file', 'dev', 'pool', 'volume', 'protocol', 'name'] as const) {
    const v = attr(src, key);
    if (v !== undefined) source[key] = v;
  }
  return {
    device: attr(d, 'device') ?? 'disk',
    type: attr(d, 'type') ?? 'file',
    source,
    target: { dev: attr(target, 'dev'), bus: attr(target, 'bus') },
    format: attr(child(d, 'driver'), 'type'),
    readonly: has(d, 'readonly'),
  };
}

function parseNic(n: XmlNode): DomainNic {
  const type = attr(n, 'type') ?? 'unknown';
  const src = child(n, 'source');
  const source =
    type === 'network'
      ? attr(src, 'network')
      : type === 'bridge'
        ? attr(src, 'bridge')
        : type === 'direct'
          ? attr(src, 'dev')
          : (attr(src, 'network') ?? attr(src, 'bridge') ?? attr(src, 'dev'));
  return {
    mac: attr(child(n, 'mac'), 'address'),
    type,
    source,
    bridge: attr(src, 'bridge'),
    model: attr(child(n, 'model'), 'type'),
    targetDev: attr(child(n, 'target'), 'dev'),
  };
}

function parseGraphics(g: XmlNode): DomainGraphics {
  const autoport = attr(g, 'autoport');
  return {
    type: attr(g, 'type') ?? 'unknown',
    port: toInt(attr(g, 'port')),
    listen: attr(g, 'listen') ?? attr(child(g, 'listen'), 'address'),
    autoport: autoport === undefined ? undefined : autoport === 'yes',
  };
}

function parseChar(c: XmlNode): DomainCharDevice {
  const target = child(c, 'target');
  return {
    type: attr(c, 'type') ?? 'pty',
    sourcePath: attr(child(c, 'source'), 'path') ?? attr(c, 'tty'),
    targetType: attr(target, 'type'),
    targetPort: toInt(attr(target, 'port')),
  };
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

export function parseDomainXml(xml: string): ParsedDomain {
  const dom = parseXmlRoot(parser, xml, 'domain');
  const name = text(dom, 'name');
  if (!name) throw new Error('Domain XML has no <name>');
  const osNode = child(dom, 'os');
  const typeNode = child(osNode, 'type');
  const vcpuNode = child(dom, 'vcpu');
  const maxVcpus = toInt(text(dom, 'vcpu'));
  const devices = child(dom, 'devices');
  const serials = children(devices, 'serial').map((c) => stripUndefined(parseChar(c)));
  const consoles = children(devices, 'console').map((c) => stripUndefined(parseChar(c)));

  const os: DomainOs = stripUndefined({
    type: text(osNode, 'type') || undefined,
    arch: attr(typeNode, 'arch'),
    machine: attr(typeNode, 'machine'),
    firmware: attr(osNode, 'firmware'),
    loader: text(osNode, 'loader') || undefined,
    nvram: text(osNode, 'nvram') || undefined,
    kernel: text(osNode, 'kernel') || undefined,
    initrd: text(osNode, 'initrd') || undefined,
    cmdline: text(osNode, 'cmdline') || undefined,
    boot: children(osNode, 'boot')
      .map((b) => attr(b, 'dev'))
      .filter((d): d is string => d !== undefined),
  });

  return stripUndefined({
    name,
    uuid: text(dom, 'uuid') || undefined,
    type: attr(dom, 'type') ?? 'unknown',
    id: toInt(attr(dom, 'id')),
    title: text(dom, 'title') || undefined,
    description: text(dom, 'description') || undefined,
    memoryKiB: kib(dom, 'memory'),
    currentMemoryKiB: kib(dom, 'currentMemory'),
    vcpus: toInt(attr(vcpuNode, 'current')) ?? maxVcpus,
    maxVcpus,
    os,
    disks: children(devices, 'disk').map(parseDisk),
    nics: children(devices, 'interface').map((n) => stripUndefined(parseNic(n))),
    graphics: children(devices, 'graphics').map((g) => stripUndefined(parseGraphics(g))),
    serials,
    consoles,
    hasSerialConsole:
      serials.some((s) => s.type === 'pty') || consoles.some((c) => c.type === 'pty' && (c.targetType ?? 'serial') === 'serial'),
    osinfoId: attr(child(child(child(dom, 'metadata'), 'libosinfo'), 'os'), 'id'),
  });
}

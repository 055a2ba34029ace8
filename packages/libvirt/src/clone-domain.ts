/**
 * The XML of a clone: the source's inactive definition rewritten element by element (new name, no
 * UUID so libvirt makes one, new MACs, the copied disks, its own VNC password), and the volume XML
 * of a linked clone (a qcow2 whose <backingStore> is the source's disk).
 *
 * The definition is parsed with document order preserved, so devices, metadata namespaces and
 * anything Mirador does not know about come back exactly as libvirt wrote them.
 */
import { LibvirtValidationError, assertDomainName, assertPoolName, assertVolumeName } from './names.js';
import { assertVolumeBytes } from './storage-argv.js';
import { makeBuilder } from './xml.js';
import {
  buildOrdered,
  element,
  find,
  findAll,
  getAttr,
  kids,
  parseOrdered,
  rootChildren,
  setAttr,
  setText,
  tagOf,
  type OrderedNode,
} from './ordered-xml.js';

/** Drops every `tag` child of `node` (in place). */
function dropChildren(node: OrderedNode, tag: string): void {
  const list = kids(node);
  for (let i = list.length - 1; i >= 0; i--) if (tagOf(list[i]) === tag) list.splice(i, 1);
}

/** The new home of one cloned disk, keyed by the guest's target device (vda, sdb…). */
export interface ClonedDisk {
  target: string;
  pool: string;
  volume: string;
  /** The image format QEMU must open the new volume as (a linked clone is always qcow2). */
  format: string;
}

export interface CloneDomainSpec {
  name: string;
  /** One per <interface>, in document order. */
  macs: string[];
  disks: ClonedDisk[];
  /** Set on every VNC display; without it any VNC display has no password. */
  vncPassword?: string;
}

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** How many <interface> elements a definition has (one new MAC each). */
export function countInterfaces(xml: string): number {
  const devices = find(rootChildren(parseOrdered(xml), 'domain'), 'devices');
  return devices ? findAll(kids(devices), 'interface').length : 0;
}

/** The source's inactive XML rewritten into the clone's (see the file comment). */
export function buildCloneDomainXml(sourceXml: string, spec: CloneDomainSpec): string {
  assertDomainName(spec.name);
  const doc = parseOrdered(sourceXml);
  const top = rootChildren(doc, 'domain');
  for (const n of findAll(top, 'name')) setText(n, spec.name);
  // libvirt gives a definition without <uuid> a new one; the old one would name the source.
  for (let i = top.length - 1; i >= 0; i--) if (tagOf(top[i]) === 'uuid') top.splice(i, 1);
  // Per-VM firmware variables: without <nvram> libvirt makes the clone its own copy from the template.
  for (const os of findAll(top, 'os')) dropChildren(os, 'nvram');
  const devices = find(top, 'devices');
  const interfaces = devices ? findAll(kids(devices), 'interface') : [];
  if (interfaces.length !== spec.macs.length) throw new Error(`Expected ${interfaces.length} MAC addresses, got ${spec.macs.length}`);
  interfaces.forEach((nic, i) => {
    const mac = (spec.macs[i] ?? '').toLowerCase();
    if (!MAC_PATTERN.test(mac)) throw new LibvirtValidationError('invalid-value', `macs[${i}]`, `"${mac}" is not a MAC address.`);
    dropChildren(nic, 'mac');
    // The host-side tap name belongs to the running source.
    dropChildren(nic, 'target');
    kids(nic).unshift(element('mac', { address: mac }));
  });

  const byTarget = new Map(spec.disks.map((d) => [d.target, d]));
  for (const disk of devices ? findAll(kids(devices), 'disk') : []) {
    const target = getAttr(find(kids(disk), 'target'), 'dev');
    const repl = target === undefined ? undefined : byTarget.get(target);
    if (!repl || target === undefined) continue;
    assertPoolName(repl.pool, `disks.${target}.pool`);
    assertVolumeName(repl.volume, `disks.${target}.volume`);
    setAttr(disk, 'type', 'volume');
    dropChildren(disk, 'backingStore');
    const list = kids(disk);
    const source = element('source', { pool: repl.pool, volume: repl.volume });
    const at = list.findIndex((n) => tagOf(n) === 'source');
    if (at >= 0) list[at] = source;
    else list.unshift(source);
    const driver = find(list, 'driver');
    if (driver) setAttr(driver, 'type', repl.format);
    else list.unshift(element('driver', { name: 'qemu', type: repl.format }));
    byTarget.delete(target);
  }
  if (byTarget.size) throw new Error(`No disk with target ${[...byTarget.keys()].join(', ')} in the source definition`);

  for (const g of devices ? findAll(kids(devices), 'graphics') : []) {
    setAttr(g, 'passwd', undefined);
    setAttr(g, 'passwdValidTo', undefined);
    if (getAttr(g, 'type') === 'vnc' && spec.vncPassword) setAttr(g, 'passwd', spec.vncPassword);
    // A fixed port would clash with the source's display; autoport picks a free one.
    if (getAttr(g, 'autoport') === 'no') {
      setAttr(g, 'autoport', 'yes');
      setAttr(g, 'port', undefined);
    }
  }
  return buildOrdered(doc);
}

/** A new qcow2 volume whose reads fall through to `backing` until the clone writes (a linked clone). */
export function buildLinkedVolumeXml(spec: {
  name: string;
  capacityBytes: number;
  backingPath: string;
  backingFormat: 'qcow2' | 'raw';
}): string {
  assertVolumeName(spec.name, 'name');
  assertVolumeBytes(spec.capacityBytes);
  if (spec.backingFormat !== 'qcow2' && spec.backingFormat !== 'raw')
    throw new LibvirtValidationError('invalid-value', 'format', 'A linked clone needs a qcow2 or raw source disk.');
  if (!spec.backingPath.startsWith('/'))
    throw new LibvirtValidationError('invalid-path', 'path', 'The backing file must be an absolute path.');
  const doc = {
    volume: {
      name: spec.name,
      capacity: { '@_unit': 'bytes', '#text': String(spec.capacityBytes) },
      target: { format: { '@_type': 'qcow2' } },
      backingStore: { path: spec.backingPath, format: { '@_type': spec.backingFormat } },
    },
  };
  return makeBuilder().build(doc) as string;
}

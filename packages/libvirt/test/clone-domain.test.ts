import { describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  blockcopyArgv,
  buildCloneDomainXml,
  buildLinkedVolumeXml,
  countInterfaces,
  parseDomainXml,
  parseVolInfoBytes,
  volCloneArgv,
} from '../src/index.js';

const SOURCE = `<domain type='qemu'>
  <name>demo</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='KiB'>131072</memory>
  <os><type arch='x86_64'>hvm</type><loader type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader><nvram>/var/lib/libvirt/qemu/nvram/demo_VARS.fd</nvram></os>
  <devices>
    <disk type='volume' device='disk'><driver name='qemu' type='raw'/><source pool='default' volume='demo.img'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/><target dev='vnet3'/><model type='virtio'/></interface>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/isos/a&amp;b.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/data.qcow2'/><backingStore/><target dev='vdb' bus='virtio'/></disk>
    <interface type='bridge'><source bridge='br0'/></interface>
    <graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1' passwd='secret12'/>
  </devices>
</domain>`;

describe('the XML of a clone', () => {
  const xml = buildCloneDomainXml(SOURCE, {
    name: 'demo-clone',
    macs: ['52:54:00:01:02:03', '52:54:00:04:05:06'],
    disks: [
      { target: 'vda', pool: 'default', volume: 'demo-clone.img', format: 'raw' },
      { target: 'vdb', pool: 'default', volume: 'demo-clone-1.qcow2', format: 'qcow2' },
    ],
    vncPassword: 'NewPass1',
  });
  const parsed = parseDomainXml(xml);

  it('has the new name, no UUID, no NVRAM path and the metadata namespace intact', () => {
    expect(parsed.name).toBe('demo-clone');
    expect(parsed.uuid).toBeUndefined();
    expect(xml).not.toContain('demo_VARS');
    expect(xml).toContain('xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"');
    expect(parsed.osinfoId).toBe('http://debian.org/debian/12');
  });

  it('gives every NIC its new MAC (also one that had none) and drops the tap name', () => {
    expect(parsed.nics.map((n) => n.mac)).toEqual(['52:54:00:01:02:03', '52:54:00:04:05:06']);
    expect(xml).not.toContain('vnet3');
    expect(xml).not.toContain('aa:bb:cc');
  });

  it('points the disks at the new volumes and keeps the CD-ROM as it was', () => {
    expect(parsed.disks.map((d) => [d.target.dev, d.type, d.source, d.format])).toEqual([
      ['vda', 'volume', { pool: 'default', volume: 'demo-clone.img' }, 'raw'],
      ['sda', 'file', { file: '/isos/a&b.iso' }, 'raw'],
      ['vdb', 'volume', { pool: 'default', volume: 'demo-clone-1.qcow2' }, 'qcow2'],
    ]);
    expect(xml).toContain('/isos/a&amp;b.iso');
    expect(xml).not.toContain('backingStore');
  });

  it('carries no display password over, sets its own, and lets a fixed port be picked anew', () => {
    expect(xml).not.toContain('secret12');
    expect(xml).toContain('passwd="NewPass1"');
    expect(parsed.graphics[0]).toMatchObject({ type: 'vnc', autoport: true });
    expect(xml).not.toContain('5901');
  });

  it('counts interfaces, and refuses a wrong MAC count, a bad MAC or an unknown disk', () => {
    expect(countInterfaces(SOURCE)).toBe(2);
    const base = { name: 'c', disks: [] };
    expect(() => buildCloneDomainXml(SOURCE, { ...base, macs: ['52:54:00:01:02:03'] })).toThrow(/2 MAC/);
    expect(() => buildCloneDomainXml(SOURCE, { ...base, macs: ['52:54:00:01:02:03', 'zz'] })).toThrow(LibvirtValidationError);
    expect(() =>
      buildCloneDomainXml(SOURCE, {
        ...base,
        macs: ['52:54:00:01:02:03', '52:54:00:01:02:04'],
        disks: [{ target: 'vdz', pool: 'default', volume: 'x', format: 'raw' }],
      }),
    ).toThrow(/vdz/);
    expect(() => buildCloneDomainXml(SOURCE, { ...base, name: '../x', macs: [] })).toThrow(LibvirtValidationError);
  });
});

describe('clone volumes and argv', () => {
  it('builds a linked qcow2 on a backing file, escaping the path', () => {
    const xml = buildLinkedVolumeXml({
      name: 'c.qcow2',
      capacityBytes: 1073741824,
      backingPath: '/pool/a&b.qcow2',
      backingFormat: 'qcow2',
    });
    expect(xml).toContain('<capacity unit="bytes">1073741824</capacity>');
    expect(xml).toMatch(/<backingStore>\s*<path>\/pool\/a&amp;b\.qcow2<\/path>\s*<format type="qcow2"\/>\s*<\/backingStore>/);
    expect(() => buildLinkedVolumeXml({ name: 'c', capacityBytes: 1, backingPath: '/x', backingFormat: 'vmdk' as 'raw' })).toThrow(
      LibvirtValidationError,
    );
  });

  it('validates names, targets and paths before they become arguments', () => {
    expect(volCloneArgv('qemu:///system', 'default', 'a.qcow2', 'b.qcow2')).toEqual([
      'virsh',
      '-c',
      'qemu:///system',
      'vol-clone',
      '--pool',
      'default',
      'a.qcow2',
      'b.qcow2',
    ]);
    expect(() => volCloneArgv('qemu:///system', 'default', 'a', '-x')).toThrow(LibvirtValidationError);
    expect(() => blockcopyArgv('qemu:///system', 'demo', 'vda; id', '/x/y', 'qcow2')).toThrow(LibvirtValidationError);
    expect(() => blockcopyArgv('qemu:///system', 'demo', 'vda', '../y', 'qcow2')).toThrow(LibvirtValidationError);
  });

  it('reads vol-info --bytes', () => {
    expect(
      parseVolInfoBytes('Name:           a\nType:           file\nCapacity:       1073741824 bytes\nAllocation:     200704 bytes\n'),
    ).toEqual({
      capacityBytes: 1073741824,
      allocationBytes: 200704,
    });
  });
});

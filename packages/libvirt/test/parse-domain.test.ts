import { describe, expect, it } from 'vitest';
import { parseDomainXml } from '../src/index.js';
import { captureMeta, fixture } from './helpers.js';

describe('parseDomainXml', () => {
  it('reads the test driver domain', () => {
    const d = parseDomainXml(fixture('test-dumpxml.xml'));
    expect(d).toMatchObject({
      name: 'test',
      uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f',
      type: 'test',
      id: 1,
      memoryKiB: 8388608,
      currentMemoryKiB: 2097152,
      vcpus: 2,
      maxVcpus: 2,
      os: { type: 'hvm', arch: 'i686', boot: ['hd'] },
      hasSerialConsole: false,
      serials: [],
      consoles: [],
      graphics: [],
    });
    expect(d.disks).toEqual([
      {
        device: 'disk',
        type: 'file',
        source: { file: '/guest/diskimage1' },
        target: { dev: 'vda', bus: 'virtio' },
        format: undefined,
        readonly: false,
      },
    ]);
    expect(d.nics).toEqual([{ mac: 'aa:bb:cc:dd:ee:ff', type: 'network', source: 'default', targetDev: 'testnet0' }]);
    expect(d.osinfoId).toBeUndefined();
  });

  it('reads a running TCG VM from qemu:///system (kernel boot, serial console)', () => {
    const { vmName } = captureMeta();
    const d = parseDomainXml(fixture('qemu-vm-dumpxml.xml'));
    expect(d).toMatchObject({
      name: vmName,
      type: 'qemu',
      memoryKiB: 131072,
      currentMemoryKiB: 131072,
      vcpus: 1,
      os: {
        type: 'hvm',
        arch: 'x86_64',
        kernel: '/var/lib/libvirt/boot/mirador-lab/vmlinuz',
        initrd: '/var/lib/libvirt/boot/mirador-lab/initrd.img',
        cmdline: 'console=ttyS0',
      },
      disks: [],
      nics: [],
      hasSerialConsole: true,
    });
    expect(d.id).toBeGreaterThan(0);
    // libvirt pins the alias we asked for to the versioned machine type.
    expect(d.os.machine).toMatch(/^pc-q35-/);
    expect(d.serials).toHaveLength(1);
    expect(d.serials[0]).toMatchObject({ type: 'pty', targetType: 'isa-serial', targetPort: 0 });
    expect(d.serials[0]!.sourcePath).toMatch(/^\/dev\/pts\/\d+$/);
    expect(d.consoles[0]).toMatchObject({ type: 'pty', targetType: 'serial', targetPort: 0 });
  });

  it('reads disks, NICs, VNC and libosinfo metadata from a richer running VM', () => {
    const { richName, volumes } = captureMeta();
    const d = parseDomainXml(fixture('qemu-rich-dumpxml.xml'));
    expect(d.name).toBe(richName);
    expect(d.osinfoId).toBe('http://debian.org/debian/12');
    expect(d.vcpus).toBe(2);
    expect(d.disks).toEqual([
      {
        device: 'disk',
        type: 'volume',
        source: { pool: 'default', volume: volumes[0] },
        target: { dev: 'vda', bus: 'virtio' },
        format: 'qcow2',
        readonly: false,
      },
    ]);
    expect(d.nics).toHaveLength(1);
    expect(d.nics[0]).toMatchObject({ type: 'network', source: 'default', bridge: 'virbr0', model: 'virtio' });
    expect(d.nics[0]!.targetDev).toMatch(/^vnet\d+$/);
    expect(d.nics[0]!.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(d.graphics).toHaveLength(1);
    expect(d.graphics[0]).toMatchObject({ type: 'vnc', listen: '127.0.0.1', autoport: true });
    expect(d.graphics[0]!.port).toBeGreaterThanOrEqual(5900);

    const inactive = parseDomainXml(fixture('qemu-rich-dumpxml-inactive.xml'));
    expect(inactive.id).toBeUndefined();
    expect(inactive.graphics[0]!.port).toBe(-1);
    expect(inactive.serials[0]!.sourcePath).toBeUndefined();
  });

  it('copes with arrays, single elements, units and missing parts', () => {
    const d = parseDomainXml(`<domain type='kvm'>
      <name>multi</name>
      <memory unit='GiB'>2</memory>
      <vcpu current='2'>8</vcpu>
      <os firmware='efi'><type>hvm</type><boot dev='cdrom'/><boot dev='hd'/><nvram>/var/lib/libvirt/qemu/nvram/multi_VARS.fd</nvram></os>
      <devices>
        <disk type='block' device='disk'><source dev='/dev/vg/multi'/><target dev='vda' bus='virtio'/></disk>
        <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/iso/x.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
        <disk type='file' device='cdrom'><target dev='sdb' bus='sata'/><readonly/></disk>
        <interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/></interface>
        <interface type='user'/>
        <graphics type='spice' autoport='yes'><listen type='address'/></graphics>
        <graphics type='vnc' port='5901' listen='0.0.0.0'/>
      </devices>
    </domain>`);
    expect(d).toMatchObject({ name: 'multi', type: 'kvm', memoryKiB: 2 * 1024 * 1024, vcpus: 2, maxVcpus: 8, hasSerialConsole: false });
    expect(d.currentMemoryKiB).toBeUndefined();
    expect(d.os).toEqual({ type: 'hvm', firmware: 'efi', nvram: '/var/lib/libvirt/qemu/nvram/multi_VARS.fd', boot: ['cdrom', 'hd'] });
    expect(d.disks.map((x) => [x.device, x.type, x.source, x.readonly])).toEqual([
      ['disk', 'block', { dev: '/dev/vg/multi' }, false],
      ['cdrom', 'file', { file: '/iso/x.iso' }, true],
      ['cdrom', 'file', {}, true],
    ]);
    expect(d.nics).toEqual([{ mac: '52:54:00:00:00:01', type: 'bridge', source: 'br0', bridge: 'br0' }, { type: 'user' }]);
    expect(d.graphics).toEqual([
      { type: 'spice', autoport: true },
      { type: 'vnc', port: 5901, listen: '0.0.0.0' },
    ]);

    const bare = parseDomainXml('<domain><name>bare</name></domain>');
    expect(bare).toMatchObject({ name: 'bare', type: 'unknown', disks: [], nics: [], graphics: [], serials: [], consoles: [] });
    expect(bare.os.boot).toEqual([]);
  });

  it('rejects things that are not domain XML', () => {
    expect(() => parseDomainXml('')).toThrow();
    expect(() => parseDomainXml('<network><name>x</name></network>')).toThrow(/<domain>/);
    expect(() => parseDomainXml('<domain type="kvm"></domain>')).toThrow(/no <name>/);
  });
});

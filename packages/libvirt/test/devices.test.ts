import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  attachDeviceArgv,
  buildDiskDeviceXml,
  buildNicDeviceXml,
  changeMediaArgv,
  commandLineOf,
  detachDiskArgv,
  detachInterfaceArgv,
  diskBusRefusal,
  domifSetlinkArgv,
  generateMac,
  nextDiskTarget,
  normalizeMac,
  parseDomainDevices,
  parseDomifGetlink,
} from '../src/index.js';

const URI = 'qemu:///system';
const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof LibvirtValidationError) return err.field;
    throw err;
  }
  return undefined;
};

/**
 * libvirt is the judge of the device XML: defined (with its schema check, --validate) inside a scratch
 * domain of the lab's libvirtd, read back, undefined. Names start with mirador-test- so the lab cleans leftovers.
 */
function validInDomain(deviceXml: string): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mirador-devxml-'));
  const name = `mirador-test-devxml-${randomBytes(3).toString('hex')}`;
  try {
    const file = join(dir, 'domain.xml');
    writeFileSync(
      file,
      `<domain type='qemu'><name>${name}</name><memory>65536</memory><os><type arch='x86_64' machine='q35'>hvm</type></os><devices>${deviceXml}</devices></domain>`,
    );
    const r = spawnSync('virsh', ['-c', URI, 'define', '--validate', file], { encoding: 'utf8' });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  } finally {
    spawnSync('virsh', ['-c', URI, 'undefine', name], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('device XML', () => {
  it('builds disks, CD-ROMs and NICs that libvirt’s schema accepts', () => {
    const disk = buildDiskDeviceXml({
      device: 'disk',
      source: { kind: 'volume', pool: 'default', volume: 'data.qcow2' },
      format: 'qcow2',
      bus: 'virtio',
      target: 'vdb',
      cache: 'none',
    });
    expect(disk).toContain('<driver name="qemu" type="qcow2" cache="none"');
    expect(disk).toContain('<source pool="default" volume="data.qcow2"');
    expect(validInDomain(disk)).toMatchObject({ ok: true });
    const cdrom = buildDiskDeviceXml({
      device: 'cdrom',
      source: { kind: 'file', path: '/var/lib/libvirt/images/x.iso' },
      format: 'raw',
      bus: 'sata',
      target: 'sda',
    });
    expect(cdrom).toMatch(/<readonly\s*\/>/);
    expect(validInDomain(cdrom)).toMatchObject({ ok: true });
    const nic = buildNicDeviceXml({ kind: 'bridge', source: 'br0', model: 'e1000', mac: '52:54:00:AA:bb:01', linkDown: true });
    expect(nic).toContain('<mac address="52:54:00:aa:bb:01"');
    expect(nic).toContain('<link state="down"');
    expect(validInDomain(nic)).toMatchObject({ ok: true });
  });

  it('refuses hostile values, naming the field', () => {
    const base = {
      device: 'disk',
      source: { kind: 'volume', pool: 'default', volume: 'a' },
      format: 'qcow2',
      bus: 'virtio',
      target: 'vdb',
    } as const;
    expect(fieldOf(() => buildDiskDeviceXml({ ...base, source: { kind: 'volume', pool: '../x', volume: 'a' } }))).toBe('source.pool');
    expect(fieldOf(() => buildDiskDeviceXml({ ...base, source: { kind: 'file', path: '/a/../etc/shadow' } }))).toBe('source.path');
    expect(fieldOf(() => buildDiskDeviceXml({ ...base, target: 'vdb"/><x' }))).toBe('target');
    expect(fieldOf(() => buildDiskDeviceXml({ ...base, bus: 'usb' as never }))).toBe('bus');
    expect(fieldOf(() => buildDiskDeviceXml({ ...base, cache: 'none;x' as never }))).toBe('cache');
    expect(fieldOf(() => buildNicDeviceXml({ kind: 'network', source: "default'/>", model: 'virtio', mac: '52:54:00:00:00:01' }))).toBe(
      'source',
    );
    expect(fieldOf(() => buildNicDeviceXml({ kind: 'bridge', source: 'br0 x', model: 'virtio', mac: '52:54:00:00:00:01' }))).toBe('source');
    expect(fieldOf(() => buildNicDeviceXml({ kind: 'network', source: 'default', model: 'ne2k' as never, mac: '52:54:00:00:00:01' }))).toBe(
      'model',
    );
  });
});

describe('MACs', () => {
  it('accepts unicast addresses only and normalises them', () => {
    expect(normalizeMac('52-54-00-AB-CD-EF')).toBe('52:54:00:ab:cd:ef');
    for (const bad of [
      '01:00:5e:00:00:01',
      'ff:ff:ff:ff:ff:ff',
      '00:00:00:00:00:00',
      '52:54:00:00:00',
      '52:54:00:00:00:01\n',
      ' 52:54:00:00:00:01',
      'zz:54:00:00:00:01',
    ])
      expect(
        fieldOf(() => normalizeMac(bad)),
        bad,
      ).toBe('mac');
  });
  it('generates 52:54:00 addresses that are not taken', () => {
    const bytes = [
      [1, 2, 3],
      [1, 2, 3],
      [4, 5, 6],
    ];
    let i = 0;
    expect(generateMac(new Set(['52:54:00:01:02:03']), () => Uint8Array.from(bytes[i++]!))).toBe('52:54:00:04:05:06');
  });
});

describe('targets and buses', () => {
  it('picks the next free target per bus family', () => {
    expect(nextDiskTarget('virtio', ['vda', 'sda'])).toBe('vdb');
    expect(nextDiskTarget('sata', ['vda', 'sda'])).toBe('sdb');
    expect(nextDiskTarget('scsi', ['sda', 'sdb'])).toBe('sdc');
    expect(nextDiskTarget('ide', [])).toBe('hda');
    expect(fieldOf(() => nextDiskTarget('ide', ['hda', 'hdb', 'hdc', 'hdd']))).toBe('bus');
  });
  it('explains what the machine cannot do', () => {
    expect(diskBusRefusal({ device: 'disk', bus: 'ide', machine: 'pc-q35-7.2', live: false })).toMatch(/q35 machine has no IDE/);
    expect(diskBusRefusal({ device: 'cdrom', bus: 'virtio', machine: 'pc-i440fx-7.2', live: false })).toMatch(
      /CD-ROM cannot sit on virtio/,
    );
    expect(diskBusRefusal({ device: 'disk', bus: 'sata', machine: 'pc-q35-7.2', live: true })).toMatch(/cannot hot-plug SATA/);
    expect(diskBusRefusal({ device: 'disk', bus: 'scsi', machine: 'pc-q35-7.2', live: true })).toBeNull();
    expect(diskBusRefusal({ device: 'disk', bus: 'ide', machine: 'pc-i440fx-7.2', live: false })).toBeNull();
  });
});

describe('argv', () => {
  it('builds the lines people would type', () => {
    expect(commandLineOf(attachDeviceArgv(URI, 'web1', '/dev/stdin', { live: true, config: true }))).toBe(
      'virsh -c qemu:///system attach-device web1 /dev/stdin --live --config',
    );
    expect(commandLineOf(detachDiskArgv(URI, 'web1', 'vdb', { live: false, config: true }))).toBe(
      'virsh -c qemu:///system detach-disk web1 vdb --config',
    );
    expect(commandLineOf(changeMediaArgv(URI, 'web1', 'sda', { eject: true }, { live: true, config: false }))).toBe(
      'virsh -c qemu:///system change-media web1 sda --eject --live',
    );
    expect(commandLineOf(detachInterfaceArgv(URI, 'web1', 'network', '52:54:00:AA:00:01', { live: true, config: false }))).toBe(
      'virsh -c qemu:///system detach-interface web1 network --mac 52:54:00:aa:00:01 --live',
    );
    expect(commandLineOf(domifSetlinkArgv(URI, 'web1', '52:54:00:aa:00:01', 'down', { config: true }))).toBe(
      'virsh -c qemu:///system domif-setlink web1 52:54:00:aa:00:01 down --config',
    );
  });
  it('refuses an empty scope, hostile targets, MACs, paths and types', () => {
    expect(fieldOf(() => attachDeviceArgv(URI, 'web1', '/dev/stdin', { live: false, config: false }))).toBe('live');
    expect(fieldOf(() => detachDiskArgv(URI, 'web1', '--config', { live: true, config: false }))).toBe('target');
    expect(fieldOf(() => changeMediaArgv(URI, 'web1', 'sda', { insert: 'x.iso' }, { live: true, config: false }))).toBe('path');
    expect(fieldOf(() => detachInterfaceArgv(URI, 'web1', 'network;id', '52:54:00:aa:00:01', { live: true, config: false }))).toBe('type');
    expect(fieldOf(() => domifSetlinkArgv(URI, 'web1', '--config', 'down'))).toBe('mac');
    expect(fieldOf(() => domifSetlinkArgv(URI, '-web1', '52:54:00:aa:00:01', 'down'))).toBe('name');
  });
});

describe('parsing', () => {
  it('reads disks and NICs with cache, link state and machine', () => {
    const d = parseDomainDevices(`<domain><name>x</name><os><type machine='pc-q35-7.2'>hvm</type></os><devices>
      <disk type='volume' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source pool='default' volume='a.qcow2'/><target dev='vda' bus='virtio'/></disk>
      <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='sda' bus='sata'/><readonly/></disk>
      <interface type='network'><mac address='52:54:00:AA:00:01'/><source network='default' bridge='virbr0'/><target dev='vnet3'/><model type='virtio'/><link state='down'/></interface>
    </devices></domain>`);
    expect(d.machine).toBe('pc-q35-7.2');
    expect(d.disks).toEqual([
      expect.objectContaining({
        target: 'vda',
        bus: 'virtio',
        pool: 'default',
        volume: 'a.qcow2',
        format: 'qcow2',
        cache: 'none',
        readonly: false,
      }),
      expect.objectContaining({ target: 'sda', device: 'cdrom', path: null, readonly: true }),
    ]);
    expect(d.nics).toEqual([
      { mac: '52:54:00:aa:00:01', type: 'network', source: 'default', bridge: 'virbr0', model: 'virtio', link: 'down', targetDev: 'vnet3' },
    ]);
    expect(parseDomifGetlink('52:54:00:aa:00:01 down\n')).toBe('down');
    expect(parseDomifGetlink('vnet0 up')).toBe('up');
  });
});

import { describe, expect, it } from 'vitest';
import {
  parseCapabilities,
  parseDomstate,
  parseNameList,
  parseNetworkXml,
  parseOsinfoQuery,
  parsePoolXml,
  parseVirshSize,
  parseVolListDetails,
} from '../src/index.js';
import { captureMeta, fixture } from './helpers.js';

describe('name lists', () => {
  it('trims virsh padding and the trailing blank line', () => {
    expect(parseNameList(fixture('test-list-name.txt'))).toEqual(['test']);
    expect(parseNameList(fixture('test-list-uuid.txt'))).toEqual(['6695eb01-f6a4-8304-79aa-97f2502e193f']);
    // pool-list --name pads names with trailing spaces.
    expect(fixture('test-pool-list-name.txt')).toMatch(/default-pool +\n/);
    expect(parseNameList(fixture('test-pool-list-name.txt'))).toEqual(['default-pool']);
    expect(parseNameList(fixture('test-net-list-name.txt'))).toEqual(['default']);
    expect(parseNameList('\n')).toEqual([]);
  });
});

describe('parseDomstate', () => {
  it('splits state and reason', () => {
    expect(parseDomstate(fixture('qemu-vm-domstate-reason.txt'))).toEqual({ state: 'running', reason: 'booted' });
    expect(parseDomstate(fixture('test-domstate-reason.txt'))).toEqual({ state: 'running', reason: 'unknown' });
    expect(parseDomstate(fixture('qemu-vm-domstate-paused.txt'))).toEqual({ state: 'paused', reason: 'user' });
    expect(parseDomstate(fixture('qemu-rich-domstate-off.txt'))).toEqual({ state: 'shut off', reason: 'shutdown' });
    expect(parseDomstate('shut off\n')).toEqual({ state: 'shut off' });
    expect(() => parseDomstate('\n')).toThrow();
  });
});

describe('parseCapabilities', () => {
  it('reads the real qemu host: x86_64, TCG offered, KVM not (no /dev/kvm here)', () => {
    const caps = parseCapabilities(fixture('qemu-capabilities.xml'));
    expect(caps.hostArch).toBe('x86_64');
    expect(caps.cpuModel).toBeTruthy();
    const x86 = caps.guests.find((g) => g.arch === 'x86_64' && g.osType === 'hvm')!;
    expect(x86.domainTypes).toContain('qemu');
    expect(x86.machines).toEqual(expect.arrayContaining(['pc', 'q35']));
    expect(x86.emulator).toBe('/usr/bin/qemu-system-x86_64');
    expect(x86.wordsize).toBe(64);
    expect(caps.kvmAvailable).toBe(x86.domainTypes.includes('kvm'));
  });

  it('reads the test driver', () => {
    const caps = parseCapabilities(fixture('test-capabilities.xml'));
    expect(caps.hostArch).toBe('i686');
    expect(caps.guests.map((g) => [g.osType, g.arch, g.domainTypes])).toEqual([
      ['hvm', 'i686', ['test']],
      ['xen', 'i686', ['test']],
    ]);
    expect(caps.kvmAvailable).toBe(false);
  });

  it('detects KVM when the host arch is offered with domain type kvm', () => {
    const xml = `<capabilities><host><cpu><arch>x86_64</arch></cpu></host>
      <guest><os_type>hvm</os_type><arch name='x86_64'><machine>pc</machine><domain type='qemu'/><domain type='kvm'/></arch></guest>
    </capabilities>`;
    expect(parseCapabilities(xml)).toMatchObject({ kvmAvailable: true, guests: [{ domainTypes: ['qemu', 'kvm'], machines: ['pc'] }] });
  });
});

describe('storage', () => {
  it('parsePoolXml reads sizes and the target path', () => {
    expect(parsePoolXml(fixture('qemu-pool-dumpxml.xml'))).toMatchObject({
      name: 'default',
      type: 'dir',
      targetPath: '/var/lib/libvirt/images',
    });
    const p = parsePoolXml(fixture('qemu-pool-dumpxml.xml'));
    expect(p.capacityBytes).toBeGreaterThan(0);
    expect(p.allocationBytes! + p.availableBytes!).toBeLessThanOrEqual(p.capacityBytes! * 1.01);
    expect(parsePoolXml(fixture('test-pool-dumpxml.xml'))).toEqual({
      name: 'default-pool',
      uuid: 'dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566',
      type: 'dir',
      capacityBytes: 107374182400,
      allocationBytes: 0,
      availableBytes: 107374182400,
      targetPath: '/default-pool',
    });
  });

  it('parseVolListDetails handles spaces in names and in sizes', () => {
    expect(parseVolListDetails(fixture('test-vol-list-details.txt'))).toEqual([
      {
        name: 'mirador-a.qcow2',
        path: '/default-pool/mirador-a.qcow2',
        type: 'file',
        capacityBytes: 1024 ** 3,
        allocationBytes: 1024 ** 3,
      },
      {
        name: 'name with space.img',
        path: '/default-pool/name with space.img',
        type: 'file',
        capacityBytes: 10 * 1024 ** 2,
        allocationBytes: 10 * 1024 ** 2,
      },
      { name: 'tiny', path: '/default-pool/tiny', type: 'file', capacityBytes: 100, allocationBytes: 100 },
    ]);
  });

  it('parseVolListDetails reads the real qemu pool (thin qcow2 vs raw)', () => {
    const { volumes } = captureMeta();
    const vols = parseVolListDetails(fixture('qemu-vol-list-details.txt'));
    const qcow = vols.find((v) => v.name === volumes[0])!;
    const raw = vols.find((v) => v.name === volumes[1])!;
    expect(qcow).toMatchObject({ path: `/var/lib/libvirt/images/${volumes[0]}`, type: 'file', capacityBytes: 1024 ** 3 });
    expect(qcow.allocationBytes).toBeLessThan(1024 ** 2);
    expect(raw).toMatchObject({ capacityBytes: 10 * 1024 ** 2 });
  });

  it('parseVolListDetails accepts `virsh -q` output (no header) and an empty pool', () => {
    const quiet = ' a.qcow2   /p/a.qcow2   file   2.50 GiB   0.00 B\n';
    expect(parseVolListDetails(quiet)).toEqual([
      { name: 'a.qcow2', path: '/p/a.qcow2', type: 'file', capacityBytes: 2.5 * 1024 ** 3, allocationBytes: 0 },
    ]);
    expect(parseVolListDetails(' Name   Path   Type   Capacity   Allocation\n---------------------------------------------\n\n')).toEqual(
      [],
    );
  });

  it('parseVirshSize', () => {
    expect(parseVirshSize('196.00 KiB')).toBe(196 * 1024);
    expect(parseVirshSize('0.00 B')).toBe(0);
    expect(parseVirshSize('1.50 TiB')).toBe(1.5 * 1024 ** 4);
    expect(parseVirshSize('lots')).toBeUndefined();
  });
});

describe('parseNetworkXml', () => {
  it('reads the real default NAT network', () => {
    expect(parseNetworkXml(fixture('qemu-net-dumpxml.xml'))).toMatchObject({
      name: 'default',
      bridge: 'virbr0',
      forwardMode: 'nat',
      ips: [
        {
          family: 'ipv4',
          address: '192.168.122.1',
          netmask: '255.255.255.0',
          dhcpRanges: [{ start: '192.168.122.2', end: '192.168.122.254' }],
        },
      ],
    });
    expect(parseNetworkXml(fixture('test-net-dumpxml.xml')).forwardMode).toBe('nat');
  });

  it('isolated networks have no forward mode; IPv6 and several ranges work', () => {
    const net = parseNetworkXml(`<network><name>iso</name><bridge name='virbr9'/>
      <ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.10' end='10.0.0.20'/><range start='10.0.0.30' end='10.0.0.40'/></dhcp></ip>
      <ip family='ipv6' address='fd00::1' prefix='64'/></network>`);
    expect(net.forwardMode).toBeUndefined();
    expect(net.ips).toEqual([
      {
        family: 'ipv4',
        address: '10.0.0.1',
        netmask: undefined,
        prefix: 24,
        dhcpRanges: [
          { start: '10.0.0.10', end: '10.0.0.20' },
          { start: '10.0.0.30', end: '10.0.0.40' },
        ],
      },
      { family: 'ipv6', address: 'fd00::1', netmask: undefined, prefix: 64, dhcpRanges: [] },
    ]);
  });
});

describe('parseOsinfoQuery', () => {
  it('reads the real osinfo-query table', () => {
    const rows = parseOsinfoQuery(fixture('osinfo-query-os.txt'));
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.find((r) => r.shortId === 'debian11')).toMatchObject({ name: 'Debian 11', version: '11' });
    expect(rows.every((r) => r.shortId !== '' && r.name !== '')).toBe(true);
  });

  it('exposes the id column when asked for', () => {
    const rows = parseOsinfoQuery(fixture('osinfo-query-os-with-id.txt'));
    expect(rows.find((r) => r.shortId === 'debian11')).toMatchObject({
      id: 'http://debian.org/debian/11',
      fields: { 'short-id': 'debian11' },
    });
  });
});

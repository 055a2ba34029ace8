import { describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  buildNetworkXml,
  commandLineOf,
  formatSubnet,
  netAutostartArgv,
  netDefineArgv,
  netDestroyArgv,
  parseDhcpLeases,
  parseIpv4,
  parseNetworkDetail,
  prefixOfNetmask,
  subnetOf,
  subnetsOverlap,
  validateNetworkSpec,
  type NetworkSpec,
} from '../src/index.js';
import { fixture } from './helpers.js';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof LibvirtValidationError) return err.field;
    throw err;
  }
  return undefined;
};

const nat: NetworkSpec = {
  name: 'lab-nat',
  kind: 'nat',
  ipv4: {
    subnet: '10.231.7.0',
    prefix: 24,
    gateway: '10.231.7.1',
    dhcp: { start: '10.231.7.100', end: '10.231.7.200' },
    hosts: [{ mac: '52:54:00:AA:BB:01', ip: '10.231.7.10', name: 'web' }],
  },
};

describe('net-dumpxml (captured from the lab)', () => {
  it('reads the default NAT network, turning the netmask into a prefix', () => {
    const n = parseNetworkDetail(fixture('qemu-net-dumpxml.xml'));
    expect(n).toMatchObject({ name: 'default', forwardMode: 'nat', bridge: 'virbr0' });
    expect(n.ips[0]).toMatchObject({ family: 'ipv4', address: '192.168.122.1', prefix: 24 });
    expect(n.ips[0]!.dhcpRanges).toEqual([{ start: '192.168.122.2', end: '192.168.122.254' }]);
  });
  it('reads an isolated network with static hosts and an IPv6 address', () => {
    const n = parseNetworkDetail(fixture('qemu-net-isolated-dumpxml.xml'));
    expect(n.forwardMode).toBe('isolated');
    expect(n.bridge).toBe('mirfix0');
    expect(n.ips[0]!.hosts).toEqual([
      { mac: '52:54:00:aa:bb:01', ip: '10.231.250.5', name: 'alpha' },
      { mac: '52:54:00:aa:bb:02', ip: '10.231.250.6', name: null },
    ]);
    expect(n.ips[1]).toMatchObject({ family: 'ipv6', address: 'fd00:231::1', prefix: 64, dhcpRanges: [], hosts: [] });
  });
});

describe('net-dhcp-leases (captured from the lab)', () => {
  it('reads every lease row and skips the header', () => {
    const leases = parseDhcpLeases(fixture('qemu-net-dhcp-leases.txt'));
    expect(leases.length).toBeGreaterThan(0);
    for (const l of leases) {
      expect(l.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
      expect(parseIpv4(l.ip)).not.toBeNull();
      expect(l.prefix).toBe(24);
      expect(l.expiry).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    }
  });
  it('turns "-" into null and keeps hostnames', () => {
    const [l] = parseDhcpLeases(
      ' 2026-12-06 07:27:01   52:54:00:F2:4B:04   ipv4   192.168.122.150/24   lab-vm   01:52:54:00:f2:4b:04\n 2026-12-06 07:27:01   52:54:00:f2:4b:05   ipv6   fd00::5/64   -   -\n',
    );
    expect(l).toEqual({
      expiry: '2026-12-06 07:27:01',
      mac: '52:54:00:f2:4b:04',
      protocol: 'ipv4',
      ip: '192.168.122.150',
      prefix: 24,
      hostname: 'lab-vm',
      clientId: '01:52:54:00:f2:4b:04',
    });
    expect(parseDhcpLeases('')).toEqual([]);
  });
});

describe('IPv4 arithmetic', () => {
  it('parses strictly and finds overlaps', () => {
    expect(parseIpv4('10.0.0.256')).toBeNull();
    expect(parseIpv4('010.0.0.1')).toBeNull();
    expect(prefixOfNetmask('255.255.252.0')).toBe(22);
    expect(prefixOfNetmask('255.0.255.0')).toBeNull();
    const a = subnetOf(parseIpv4('10.231.7.1')!, 24);
    expect(formatSubnet(a)).toBe('10.231.7.0/24');
    expect(subnetsOverlap(a, subnetOf(parseIpv4('10.231.0.0')!, 16))).toBe(true);
    expect(subnetsOverlap(a, subnetOf(parseIpv4('10.231.8.0')!, 24))).toBe(false);
  });
});

describe('building network XML', () => {
  it('builds NAT with range and static hosts, and parses back to the same thing', () => {
    const xml = buildNetworkXml(nat);
    const n = parseNetworkDetail(xml);
    expect(n).toMatchObject({ name: 'lab-nat', forwardMode: 'nat', bridge: null });
    expect(n.ips[0]).toEqual({
      family: 'ipv4',
      address: '10.231.7.1',
      prefix: 24,
      dhcpRanges: [{ start: '10.231.7.100', end: '10.231.7.200' }],
      hosts: [{ mac: '52:54:00:aa:bb:01', ip: '10.231.7.10', name: 'web' }],
    });
  });
  it('builds isolated (no forward), routed and bridged networks', () => {
    expect(buildNetworkXml({ name: 'iso', kind: 'isolated' })).not.toContain('forward');
    expect(parseNetworkDetail(buildNetworkXml({ ...nat, kind: 'route', bridgeName: 'virbr77' }))).toMatchObject({
      forwardMode: 'route',
      bridge: 'virbr77',
    });
    expect(parseNetworkDetail(buildNetworkXml({ name: 'lan', kind: 'bridge', hostBridge: 'br0' }))).toMatchObject({
      forwardMode: 'bridge',
      bridge: 'br0',
      ips: [],
    });
  });
  it('refuses bad input naming the field', () => {
    const ip = nat.ipv4!;
    expect(fieldOf(() => validateNetworkSpec({ ...nat, name: '../x' }))).toBe('name');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, name: '--help' }))).toBe('name');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, kind: 'open' as never }))).toBe('kind');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, bridgeName: 'br0; reboot' }))).toBe('bridgeName');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, bridgeName: 'x'.repeat(16) }))).toBe('bridgeName');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, subnet: '10.231.7.5' } }))).toBe('ipv4.subnet');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, prefix: 31 } }))).toBe('ipv4.prefix');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, gateway: '10.231.8.1' } }))).toBe('ipv4.gateway');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, gateway: '10.231.7.255' } }))).toBe('ipv4.gateway');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, dhcp: { start: '10.231.6.2', end: '10.231.7.9' } } }))).toBe(
      'ipv4.dhcp.start',
    );
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, dhcp: { start: '10.231.7.9', end: '10.231.7.3' } } }))).toBe(
      'ipv4.dhcp.end',
    );
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, dhcp: { start: '10.231.7.1', end: '10.231.7.9' } } }))).toBe(
      'ipv4.dhcp',
    );
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, gateway: '10.231.7.150' } }))).toBe('ipv4.dhcp');
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, hosts: [{ mac: '53:54:00:00:00:01', ip: '10.231.7.9' }] } }))).toBe(
      'ipv4.hosts.0.mac',
    );
    expect(fieldOf(() => validateNetworkSpec({ ...nat, ipv4: { ...ip, hosts: [{ mac: '52:54:00:00:00:01', ip: '10.231.9.9' }] } }))).toBe(
      'ipv4.hosts.0.ip',
    );
    expect(fieldOf(() => validateNetworkSpec({ name: 'n', kind: 'nat' }))).toBe('ipv4');
    expect(fieldOf(() => validateNetworkSpec({ name: 'n', kind: 'bridge' }))).toBe('hostBridge');
    expect(fieldOf(() => validateNetworkSpec({ name: 'n', kind: 'bridge', hostBridge: 'br0', ipv4: ip }))).toBe('ipv4');
  });
  it('escapes nothing into markup: values are validated before they reach the builder', () => {
    expect(
      fieldOf(() =>
        buildNetworkXml({ ...nat, ipv4: { ...nat.ipv4!, hosts: [{ mac: '52:54:00:00:00:01', ip: '10.231.7.9', name: "a'/><x" }] } }),
      ),
    ).toBe('ipv4.hosts.0.name');
  });
});

describe('net-* argv', () => {
  it('validates names and renders the line people type', () => {
    expect(commandLineOf(netAutostartArgv('qemu:///system', 'lab-nat', false))).toBe(
      'virsh -c qemu:///system net-autostart lab-nat --disable',
    );
    expect(commandLineOf(netDefineArgv('qemu:///system', '/dev/stdin'))).toBe('virsh -c qemu:///system net-define /dev/stdin');
    expect(() => netDestroyArgv('qemu:///system', '-x')).toThrow(LibvirtValidationError);
    expect(() => netDestroyArgv('qemu+ssh://evil/system', 'ok')).toThrow(LibvirtValidationError);
  });
});

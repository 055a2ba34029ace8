import { describe, expect, it } from 'vitest';
import { hostNetworksFrom, overlaps, parseIpv4Net } from '../../src/docker/host-networks.js';

const routes = JSON.stringify([
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
  { dst: '172.17.0.0/16', dev: 'docker0' },
  { dst: '172.18.0.0/16', dev: 'br-0123456789ab' },
  { dst: '192.0.2.0/24', dev: 'eth0' },
  { dst: '192.168.122.0/24', dev: 'virbr0' },
  { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local' },
  { type: 'broadcast', dst: '192.0.2.255', dev: 'eth0', table: 'local' },
]);
const addrs = JSON.stringify([
  { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.0.2.2', prefixlen: 24 }] },
  { ifname: 'docker0', addr_info: [{ family: 'inet', local: '172.17.0.1', prefixlen: 16 }] },
  { ifname: 'wg0', addr_info: [{ family: 'inet', local: '10.8.0.1', prefixlen: 24 }] },
]);

describe('host networks a non-admin subnet must not take', () => {
  const used = hostNetworksFrom(routes, addrs).map((n) => n.text);
  it("keeps the LAN, libvirt bridges, loopback and interface addresses; leaves out default and Docker's own", () => {
    expect(used).toEqual(expect.arrayContaining(['192.0.2.0/24', '192.168.122.0/24', '127.0.0.0/8', '10.8.0.1/24']));
    expect(used.some((t) => t.startsWith('172.17.') || t.startsWith('172.18.') || t === 'default')).toBe(false);
  });
  it.each([
    ['192.0.2.0/24', true],
    ['192.0.0.0/16', true],
    ['192.0.2.128/25', true],
    ['10.8.0.0/16', true],
    ['192.168.122.0/28', true],
    ['172.30.0.0/24', false],
    ['192.0.3.0/24', false],
    ['10.9.0.0/24', false],
  ])('%s overlaps a host network: %s', (subnet, clash) => {
    const n = parseIpv4Net(subnet)!;
    expect(hostNetworksFrom(routes, addrs).some((u) => overlaps(u, n))).toBe(clash);
  });
  it('reads nothing from garbage', () => {
    expect(hostNetworksFrom('not json', '{}')).toEqual([]);
    expect(parseIpv4Net('300.1.1.1/24')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { formatSubnet, parseCidr, parseIpv4, prefixOfNetmask, subnetsOverlap } from '../src/index.js';

describe('IPv4 text and subnets', () => {
  it('reads CIDR text strictly and masks the host bits', () => {
    expect(formatSubnet(parseCidr('10.232.7.9/24')!)).toBe('10.232.7.0/24');
    expect(parseCidr('192.0.2.2')).toEqual({ network: parseIpv4('192.0.2.2'), prefix: 32 });
    for (const bad of ['300.1.1.1/24', '10.0.0.0/33', '10.0.0.0/', '010.0.0.0/8', '10.0.0.0/024', ' 10.0.0.0/8', 'fd00::/64'])
      expect(parseCidr(bad)).toBeNull();
  });
  it('tells overlaps either way round', () => {
    const lan = parseCidr('192.0.2.0/24')!;
    expect(subnetsOverlap(lan, parseCidr('192.0.0.0/16')!)).toBe(true);
    expect(subnetsOverlap(parseCidr('192.0.2.128/25')!, lan)).toBe(true);
    expect(subnetsOverlap(lan, parseCidr('192.0.3.0/24')!)).toBe(false);
  });
  it('turns contiguous netmasks into prefixes', () => {
    expect(prefixOfNetmask('255.255.255.0')).toBe(24);
    expect(prefixOfNetmask('255.0.255.0')).toBeNull();
  });
});

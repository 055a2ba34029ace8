import { describe, expect, it } from 'vitest';
import { parseDomifaddr } from '../src/parse-domifaddr.js';

describe('parseDomifaddr', () => {
  it('maps MACs to addresses, preferring IPv4', () => {
    const out = [
      ' Name       MAC address          Protocol     Address',
      '-------------------------------------------------------------------------------',
      ' vnet0      52:54:00:AB:cd:01    ipv6         fe80::1/64',
      ' -          52:54:00:ab:cd:01    ipv4         192.168.122.45/24',
      ' vnet1      52:54:00:ab:cd:02    ipv6         fd00::2/64',
      '',
    ].join('\n');
    const m = parseDomifaddr(out);
    expect(m.get('52:54:00:ab:cd:01')).toBe('192.168.122.45');
    expect(m.get('52:54:00:ab:cd:02')).toBe('fd00::2');
    expect(parseDomifaddr(' Name MAC address Protocol Address\n----\n').size).toBe(0);
  });
});

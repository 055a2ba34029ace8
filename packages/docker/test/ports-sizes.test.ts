import { describe, expect, it } from 'vitest';
import { formatPortSpec, formatSize, isIPv6, parsePortSpec, parseSize } from '../src/index.js';
import { HOSTILE, validationError } from './helpers.js';

describe('parsePortSpec', () => {
  it.each([
    ['80', { hostIp: null, hostPort: null, containerPort: 80, protocol: 'tcp' }, '80'],
    ['8080:80', { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' }, '8080:80'],
    ['8080:80/tcp', { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' }, '8080:80'],
    ['127.0.0.1:8080:80/udp', { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' }, '127.0.0.1:8080:80/udp'],
    ['127.0.0.1::80', { hostIp: '127.0.0.1', hostPort: null, containerPort: 80, protocol: 'tcp' }, '127.0.0.1::80'],
    ['[::1]:8080:80', { hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }, '[::1]:8080:80'],
    ['[2001:db8::1]::53/SCTP', { hostIp: '2001:db8::1', hostPort: null, containerPort: 53, protocol: 'sctp' }, '[2001:db8::1]::53/sctp'],
    ['65535:1', { hostIp: null, hostPort: 65535, containerPort: 1, protocol: 'tcp' }, '65535:1'],
    [':8080:80', { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' }, '8080:80'],
  ])('parses %j', (spec, expected, canonical) => {
    const p = parsePortSpec(spec);
    expect(p).toEqual(expected);
    expect(formatPortSpec(p)).toBe(canonical);
  });

  it.each([
    ...HOSTILE,
    '',
    '0',
    '70000',
    '8080:70000',
    '8080:abc',
    'abc',
    '80/icmp',
    '1.2.3:80:80',
    '300.0.0.1:80:80',
    '::1:8080:80',
    '[::1]80',
    '[zz]:1:2',
    '8000-8010:80',
    ':80',
    '80:',
    '1:2:3:4',
  ])('refuses %j', (spec) => {
    expect(validationError(() => parsePortSpec(spec, 'ports[1]')).field).toBe('ports[1]');
  });

  it('names the problem', () => {
    expect(validationError(() => parsePortSpec('8080:abc', 'ports[1]')).message).toBe(
      'ports[1]: "8080:abc" is not a port specification; use [host_ip:][host_port:]container_port[/tcp|udp|sctp], e.g. "8080:80" or "127.0.0.1:8080:80/udp".',
    );
    expect(validationError(() => parsePortSpec('70000', 'ports[0]')).message).toBe(
      'ports[0]: "70000": the container port 70000 is out of range; ports go from 1 to 65535.',
    );
  });

  it('checks IPv6 addresses', () => {
    for (const ok of ['::', '::1', 'fe80::1', '2001:db8:0:0:0:0:0:1', '::ffff:192.0.2.1']) expect(isIPv6(ok)).toBe(true);
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '1:2:3:4:5:6:7', '::ffff:300.1.1.1']) expect(isIPv6(bad)).toBe(false);
  });
});

describe('parseSize', () => {
  it.each([
    ['512', 512],
    ['512b', 512],
    ['64k', 64 * 1024],
    ['64m', 64 * 1024 ** 2],
    ['64M', 64 * 1024 ** 2],
    ['64MB', 64 * 1024 ** 2],
    ['64mib', 64 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1GiB', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2 g', 2 * 1024 ** 3],
    ['1p', 2 ** 50],
  ])('%j is %d bytes', (s, n) => {
    expect(parseSize(s)).toBe(n);
  });

  it.each(['-1m', '0', '0m', '0.0001k', 'abc', '', '1x', '1.g', '1e3', '2p', '64 MB extra', '$(id)'])('refuses %j', (s) => {
    expect(validationError(() => parseSize(s, 'memory')).field).toBe('memory');
  });

  it('explains negatives', () => {
    expect(validationError(() => parseSize('-1m', 'mounts[1].size')).message).toMatch(
      /^mounts\[1\]\.size: "-1m" is not a size; .* Sizes cannot be negative\.$/,
    );
  });

  it('formats sizes back', () => {
    expect(formatSize(64 * 1024 ** 2)).toBe('64m');
    expect(formatSize(1024 ** 3)).toBe('1g');
    expect(formatSize(1.5 * 1024 ** 3)).toBe('1536m');
    expect(formatSize(1000)).toBe('1000');
  });
});

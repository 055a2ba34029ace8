import { describe, expect, it } from 'vitest';
import {
  DOMAIN_NAME_PATTERN,
  LibvirtValidationError,
  assertDiskGiB,
  assertDomainName,
  assertHostPath,
  assertKernelCmdline,
  assertMemoryMiB,
  assertVcpus,
  assertVolumeName,
} from '../src/index.js';

function validationError(fn: () => void): LibvirtValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LibvirtValidationError);
    return err as LibvirtValidationError;
  }
  throw new Error('expected a LibvirtValidationError');
}

describe('domain names', () => {
  it.each(['vm1', 'web-01', 'db.prod', 'a', 'A_b+c', 'x'.repeat(64), '9lives'])('accepts %j', (name) => {
    expect(() => assertDomainName(name)).not.toThrow();
  });

  it.each([
    'x; rm -rf /',
    '$(reboot)',
    '../x',
    '<a>',
    '-x',
    'a b',
    '',
    'x'.repeat(65),
    '.',
    '..',
    '.hidden',
    'a/b',
    'a&b',
    "it's",
    'tab\there',
    'new\nline',
    'ünïcode',
  ])('refuses %j with a typed, human error', (name) => {
    const err = validationError(() => assertDomainName(name));
    expect(err.code).toBe('invalid-name');
    expect(err.field).toBe('name');
    expect(err.message).toMatch(/^VM name /);
    expect(DOMAIN_NAME_PATTERN.test(name)).toBe(false);
  });

  it('explains what is wrong', () => {
    expect(validationError(() => assertDomainName('')).message).toBe('VM name cannot be empty.');
    expect(validationError(() => assertDomainName('-x')).message).toMatch(/must start with a letter or digit/);
    expect(validationError(() => assertDomainName('a b')).message).toMatch(/contains a space/);
    expect(validationError(() => assertDomainName('x'.repeat(65))).message).toMatch(/65 characters long; the limit is 64/);
    expect(validationError(() => assertDomainName(42)).message).toMatch(/must be text/);
  });

  it('allows volume suffixes and longer volume names', () => {
    expect(() => assertVolumeName('disk-0.qcow2')).not.toThrow();
    expect(() => assertVolumeName('v'.repeat(128))).not.toThrow();
    expect(() => assertVolumeName('../etc/passwd')).toThrow(LibvirtValidationError);
  });
});

describe('bounds', () => {
  it('memory 64 MiB .. 1 TiB', () => {
    expect(() => assertMemoryMiB(64)).not.toThrow();
    expect(() => assertMemoryMiB(1024 * 1024)).not.toThrow();
    for (const bad of [63, 1024 * 1024 + 1, 128.5, NaN, '128']) expect(() => assertMemoryMiB(bad)).toThrow(LibvirtValidationError);
  });
  it('vCPUs 1 .. 256', () => {
    expect(() => assertVcpus(1)).not.toThrow();
    expect(() => assertVcpus(256)).not.toThrow();
    for (const bad of [0, 257, -1, 1.5]) expect(() => assertVcpus(bad)).toThrow(/vCPU count must be a whole number from 1 to 256/);
  });
  it('disk 1 .. 16384 GiB', () => {
    expect(() => assertDiskGiB(1)).not.toThrow();
    expect(() => assertDiskGiB(16384)).not.toThrow();
    for (const bad of [0, 16385]) expect(() => assertDiskGiB(bad)).toThrow(LibvirtValidationError);
  });
});

describe('host paths and kernel command lines', () => {
  it.each(['/var/lib/libvirt/images/a.qcow2', '/boot/vmlinuz-6.1.0-57-cloud-amd64', '/iso/debian-12.8.0-amd64-netinst.iso'])(
    'accepts %j',
    (p) => expect(() => assertHostPath(p)).not.toThrow(),
  );
  it.each(['relative/x', '/a/../etc/shadow', '/a/./b', '//x', '/a b', '/a,b', '/x;reboot', '/$(x)', '', '/dir/'])('refuses %j', (p) => {
    expect(validationError(() => assertHostPath(p)).code).toBe('invalid-path');
  });
  it('kernel cmdline: one line, bounded', () => {
    expect(() => assertKernelCmdline('console=ttyS0,115200n8 root=/dev/vda1 quiet')).not.toThrow();
    expect(() => assertKernelCmdline('a\nb')).toThrow(LibvirtValidationError);
    expect(() => assertKernelCmdline('x'.repeat(2049))).toThrow(LibvirtValidationError);
  });
});

import { describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  applyConfigChanges,
  assertHostCpuset,
  definitionExcept,
  formatCpuset,
  parseCpuset,
  parseDomainConfig,
  parseHostTopology,
  parseNodeinfo,
  touchedElements,
  validateConfigChanges,
  vcpupinArgv,
} from '../src/index.js';
import { fixture } from './helpers.js';

const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof LibvirtValidationError) return err.field;
    throw err;
  }
  throw new Error('expected a LibvirtValidationError');
};

describe('CPU lists', () => {
  it('parses ranges and exclusions like libvirt', () => {
    expect(parseCpuset('0-3,^2')).toEqual([0, 1, 3]);
    expect(formatCpuset([3, 0, 1])).toBe('0-1,3');
    expect(assertHostCpuset('1', [0, 1])).toBe('1');
  });
  it.each(['', 'a', '1;reboot', '--live', '0,^0', '3-1', '^0-2', '0-99999', ' ', '1 2'])('refuses %j', (bad) => {
    expect(fieldOf(() => parseCpuset(bad, 'vcpus[1].cpuset'))).toBe('vcpus[1].cpuset');
  });
  it('refuses CPUs the host does not have', () => {
    expect(() => assertHostCpuset('0-999', [0, 1], 'x')).toThrow(/does not have online/);
  });
  it('never lets a list through to virsh unchecked', () => {
    expect(() => vcpupinArgv('qemu:///system', 'vm', { vcpu: 0, cpuset: '0;x' })).toThrow(LibvirtValidationError);
    expect(vcpupinArgv('qemu:///system', 'vm', { vcpu: 0, cpuset: '0-1' }, { live: true, config: true })).toEqual([
      'virsh',
      '-c',
      'qemu:///system',
      'vcpupin',
      'vm',
      '0',
      '0-1',
      '--live',
      '--config',
    ]);
  });
});

describe('host topology', () => {
  it('reads cells, sockets, cores and threads from capabilities and nodeinfo', () => {
    const topo = parseHostTopology(
      fixture('qemu-capabilities.xml'),
      parseNodeinfo(
        'CPU model:           x86_64\nCPU(s):              2\nCPU socket(s):       1\nCore(s) per socket:  2\nThread(s) per core:  1\nNUMA cell(s):        1\nMemory size:         24683748 KiB\n',
      ),
    );
    expect(topo.cells.length).toBeGreaterThanOrEqual(1);
    expect(topo.onlineCpus.length).toBeGreaterThanOrEqual(1);
    expect(topo.memoryBytes).toBe(24683748 * 1024);
    expect(topo.cpus.every((c) => c.siblings.includes(c.id))).toBe(true);
  });
});

describe('domain settings', () => {
  const xml = fixture('qemu-rich-dumpxml-inactive.xml');

  it('changes only the elements named and keeps the rest of the definition as it was', () => {
    const before = parseDomainConfig(xml);
    const changes = {
      maxVcpus: before.maxVcpus + 1,
      title: 'a <b> & "c"',
      onCrash: 'restart' as const,
      boot: ['cdrom' as const, 'hd' as const],
    };
    const out = applyConfigChanges(xml, changes);
    const after = parseDomainConfig(out);
    expect(after).toMatchObject({
      maxVcpus: before.maxVcpus + 1,
      vcpus: before.vcpus,
      title: 'a <b> & "c"',
      onCrash: 'restart',
      boot: ['cdrom', 'hd'],
    });
    expect(definitionExcept(out, touchedElements(changes))).toBe(definitionExcept(xml, touchedElements(changes)));
    expect(definitionExcept(out, [])).not.toBe(definitionExcept(xml, []));
    expect(out).toContain('a &lt;b&gt; &amp;');
  });

  it('names the field of a value out of range', () => {
    const current = parseDomainConfig(xml);
    expect(fieldOf(() => validateConfigChanges({ vcpus: current.maxVcpus + 1 }, current))).toBe('vcpus');
    expect(fieldOf(() => validateConfigChanges({ memoryMiB: current.maxMemoryMiB + 1 }, current))).toBe('memoryMiB');
    expect(fieldOf(() => validateConfigChanges({ boot: ['hd', 'usb' as never] }, current))).toBe('boot[1]');
    expect(fieldOf(() => validateConfigChanges({ onPoweroff: 'coredump-destroy' }, current))).toBe('onPoweroff');
    expect(fieldOf(() => validateConfigChanges({ title: 'a\nb' }, current))).toBe('title');
  });
});

import { describe, expect, it } from 'vitest';
import { cpuToCompare, hypervisorCpuCompareArgv, parseCpuCompare } from '../src/cpu-compare.js';

const caps = `<capabilities><host><uuid>x</uuid><cpu><arch>x86_64</arch><model>Icelake-Server</model><vendor>Intel</vendor>
  <feature name='avx512f'/></cpu></host><guest/></capabilities>`;

describe('CPU comparison for the migration pre-flight', () => {
  it("takes the guest's own <cpu>, or the source host's for host-passthrough", () => {
    const custom = `<domain type='kvm'><name>a</name><cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Client</model><feature policy='require' name='ssse3'/></cpu></domain>`;
    const xml = cpuToCompare(custom, caps)!;
    expect(xml).toContain('<model fallback="forbid">Skylake-Client</model>');
    expect(xml).toContain('<feature policy="require" name="ssse3"');
    expect(xml.startsWith('<cpu')).toBe(true);
    const passthrough = cpuToCompare(`<domain type='kvm'><name>a</name><cpu mode='host-passthrough' check='none'/></domain>`, caps)!;
    expect(passthrough).toContain('<model>Icelake-Server</model>');
    expect(passthrough).toContain('avx512f');
    expect(cpuToCompare(`<domain type='kvm'><name>a</name><cpu mode='host-passthrough'/></domain>`, null)).toBeNull();
    expect(cpuToCompare(`<domain type='kvm'><name>a</name></domain>`, caps)).toBeNull();
  });

  it('reads what virsh answers (texts as libvirt 9 prints them)', () => {
    expect(parseCpuCompare('CPU described in /dev/stdin is identical to the CPU provided by hypervisor on the host\n')).toBe('identical');
    expect(parseCpuCompare('The CPU provided by hypervisor on the host is a superset of CPU described in /dev/stdin\n')).toBe('superset');
    expect(parseCpuCompare('CPU described in /dev/stdin is incompatible with the CPU provided by hypervisor on the host\n')).toBe(
      'incompatible',
    );
    expect(parseCpuCompare('error: failed to get emulator capabilities')).toBeNull();
    expect(hypervisorCpuCompareArgv('qemu:///system', 'kvm')).toEqual([
      'virsh',
      '-c',
      'qemu:///system',
      'hypervisor-cpu-compare',
      '/dev/stdin',
      '--virttype',
      'kvm',
    ]);
  });
});

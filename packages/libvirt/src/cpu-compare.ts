/**
 * Whether a destination host can give a KVM guest the CPU it runs with, for the migration pre-flight:
 * `virsh hypervisor-cpu-compare` on the destination, fed the guest's CPU. TCG guests need none of this
 * (QEMU emulates their CPU the same everywhere).
 */
import { assertConnectionUri, XML_FROM_STDIN, type Argv } from './argv.js';
import { buildOrdered, find, getAttr, kids, parseOrdered, rootChildren } from './ordered-xml.js';

export type CpuComparison = 'identical' | 'superset' | 'incompatible';

/** `virsh hypervisor-cpu-compare FILE --virttype kvm|qemu`; FILE is the CPU XML (stdin by default). */
export function hypervisorCpuCompareArgv(uri: string, virttype: 'kvm' | 'qemu', file: string = XML_FROM_STDIN): Argv {
  assertConnectionUri(uri);
  return ['virsh', '-c', uri, 'hypervisor-cpu-compare', file, '--virttype', virttype];
}

/**
 * The CPU to compare: the guest's own `<cpu>` from its live definition (libvirt expands host-model there
 * into the model and features the guest got), or — for host-passthrough / maximum, which name no model —
 * the source host's `<cpu>` from `virsh capabilities`, since that is exactly what the guest sees.
 * Null when there is nothing to compare (no `<cpu>` at all: QEMU's default model).
 */
export function cpuToCompare(domainXml: string, sourceCapabilitiesXml: string | null): string | null {
  const cpu = find(rootChildren(parseOrdered(domainXml), 'domain'), 'cpu');
  if (!cpu) return null;
  const mode = getAttr(cpu, 'mode');
  if (mode === 'host-passthrough' || mode === 'maximum') {
    if (!sourceCapabilitiesXml) return null;
    const host = find(rootChildren(parseOrdered(sourceCapabilitiesXml), 'capabilities'), 'host');
    const hostCpu = host && find(kids(host), 'cpu');
    return hostCpu ? buildOrdered([hostCpu]).trim() : null;
  }
  return buildOrdered([cpu]).trim();
}

/** Reads what hypervisor-cpu-compare printed (it exits 1 for "incompatible"); null when it said something else. */
export function parseCpuCompare(output: string): CpuComparison | null {
  if (/\bis incompatible with\b/.test(output)) return 'incompatible';
  if (/\bis identical to\b/.test(output)) return 'identical';
  if (/\bis a superset of\b/.test(output)) return 'superset';
  return null;
}

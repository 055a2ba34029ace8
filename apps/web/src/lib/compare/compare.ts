/**
 * The Compare page's small derivations: which hosts can take part in a measurement, how many times
 * faster the container started, and the advisor's open findings per host, split by the side they
 * concern (hypervisor host and its VMs vs engine, containers and images).
 */
import type { CompareHost, CompareMeasurement, FindingTargetKind, SecurityFinding } from '@mirador/contract';

export interface HostChoice {
  id: string;
  name: string;
}

/** Hosts that can make the measured VM (libvirt read fine) and the measured container (an engine that answered). */
export function measurementChoices(hosts: readonly CompareHost[]): { vmHosts: HostChoice[]; engines: HostChoice[] } {
  return {
    vmHosts: hosts.filter((h) => h.vms !== null).map((h) => ({ id: h.hostId, name: h.hostName })),
    engines: hosts.filter((h) => h.containers !== null).map((h) => ({ id: h.hostId, name: h.hostName })),
  };
}

/** "The container started N× faster", rounded to a figure people read (null when it was not faster). */
export function startRatio(m: Pick<CompareMeasurement, 'vm' | 'container'>): number | null {
  if (m.container.startMs <= 0 || m.vm.bootMs <= m.container.startMs) return null;
  const r = m.vm.bootMs / m.container.startMs;
  return r >= 10 ? Math.round(r) : Math.round(r * 10) / 10;
}

const VM_SIDE: ReadonlySet<FindingTargetKind> = new Set(['host', 'vm']);

export interface IsolationCounts {
  vm: number;
  container: number;
}

/** Open (not acknowledged) advisor findings on one host: host/VM rules vs engine/container/image rules. */
export function openFindings(
  items: readonly Pick<SecurityFinding, 'hostId' | 'target' | 'acknowledged'>[],
  hostId: string,
): IsolationCounts {
  const out: IsolationCounts = { vm: 0, container: 0 };
  for (const f of items) {
    if (f.hostId !== hostId || f.acknowledged) continue;
    if (VM_SIDE.has(f.target.kind)) out.vm++;
    else out.container++;
  }
  return out;
}

/**
 * Pinning as the topology grid edits it: one set of host CPUs per row (each vCPU and the emulator
 * thread), read from a libvirt CPU list ("0-3,^2") and written back in virsh's canonical form. The
 * server validates again; this only has to draw what it sends.
 */
import type { ApiData } from '$lib/api';

export type VmConfig = ApiData<'get', '/api/hosts/{hostId}/vms/{name}/config'>;
export type VmConfigResult = ApiData<'patch', '/api/hosts/{hostId}/vms/{name}/config'>;
export type HostCpu = VmConfig['topology']['cpus'][number];

/** The CPUs of a libvirt list; unknown syntax yields an empty list. */
export function expandCpuset(list: string | undefined): number[] {
  if (!list) return [];
  const on = new Set<number>();
  const off: number[] = [];
  for (const part of list.split(',')) {
    const m = /^\s*(\^)?(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) return [];
    const from = Number(m[2]);
    const to = m[3] === undefined ? from : Number(m[3]);
    if (m[1]) off.push(from);
    else for (let c = from; c <= to && c - from < 4096; c++) on.add(c);
  }
  for (const c of off) on.delete(c);
  return [...on].sort((a, b) => a - b);
}

/** [0,1,2,5] → "0-2,5". */
export function formatCpuset(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Row keys: 'v0', 'v1', … and 'emulator'. */
export type PinRow = `v${number}` | 'emulator';

/** What each row is pinned to now: live pinning for a running VM, else the definition (no pin = every CPU). */
export function currentPins(cfg: VmConfig): Record<PinRow, number[]> {
  const all = cfg.topology.onlineCpus;
  const rows: Record<PinRow, number[]> = { emulator: all };
  const count = cfg.running && cfg.live ? cfg.live.maxVcpus : cfg.config.maxVcpus;
  for (let v = 0; v < Math.max(count, cfg.config.maxVcpus); v++) {
    const live = cfg.livePinning?.vcpus.find((p) => p.vcpu === v)?.cpuset;
    const saved = cfg.config.cputune.vcpupin.find((p) => p.vcpu === v)?.cpuset;
    const cpus = expandCpuset(live ?? saved);
    rows[`v${v}`] = cpus.length > 0 ? cpus : all;
  }
  const emu = expandCpuset(cfg.livePinning?.emulator ?? cfg.config.cputune.emulatorpin);
  rows.emulator = emu.length > 0 ? emu : all;
  return rows;
}

/** The grid's columns grouped as drawn: NUMA cell → socket → CPUs (ordered by core, then thread). */
export function cpuGroups(cfg: VmConfig): Array<{ cell: number; socket: number; cpus: HostCpu[] }> {
  const groups = new Map<string, { cell: number; socket: number; cpus: HostCpu[] }>();
  for (const cpu of [...cfg.topology.cpus].sort((a, b) => a.cell - b.cell || a.socket - b.socket || a.core - b.core || a.id - b.id)) {
    const key = `${cpu.cell}/${cpu.socket}`;
    const g = groups.get(key) ?? { cell: cpu.cell, socket: cpu.socket, cpus: [] };
    g.cpus.push(cpu);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Thread index of a CPU within its core (its position among its siblings). */
export function threadOf(cpu: HostCpu): number {
  return Math.max(0, [...cpu.siblings].sort((a, b) => a - b).indexOf(cpu.id));
}

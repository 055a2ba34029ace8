import type { VmState, VmSummary } from '@mirador/contract';
import type { ParsedDomain } from '@mirador/libvirt';

/** domstats' state.state numbers (virDomainState). */
const STATE_BY_NUMBER: Record<number, VmState> = {
  0: 'unknown',
  1: 'running',
  2: 'running',
  3: 'paused',
  4: 'in shutdown',
  5: 'shut off',
  6: 'crashed',
  7: 'pmsuspended',
};
export const stateFromNumber = (n: number | string | undefined): VmState =>
  typeof n === 'number' ? (STATE_BY_NUMBER[n] ?? 'unknown') : 'unknown';

export function toVmSummary(
  host: { id: string; name: string },
  d: ParsedDomain,
  extra: { state: VmState; autostart: boolean; persistent: boolean; ips?: Map<string, string> },
): VmSummary {
  return {
    hostId: host.id,
    hostName: host.name,
    name: d.name,
    uuid: d.uuid ?? '',
    state: extra.state,
    vcpus: d.vcpus ?? 0,
    memoryMiB: Math.round((d.currentMemoryKiB ?? d.memoryKiB ?? 0) / 1024),
    autostart: extra.autostart,
    persistent: extra.persistent,
    domainType: d.type,
    osinfoId: d.osinfoId ?? null,
    disks: d.disks.map((disk) => ({
      target: disk.target.dev ?? '',
      device: disk.device,
      bus: disk.target.bus ?? null,
      source: disk.source.file ?? disk.source.dev ?? disk.source.name ?? null,
      pool: disk.source.pool ?? null,
      volume: disk.source.volume ?? null,
      format: disk.format ?? null,
      readonly: disk.readonly,
    })),
    nics: d.nics.map((n) => ({
      mac: n.mac ?? null,
      type: n.type,
      source: n.source ?? null,
      model: n.model ?? null,
      ip: (n.mac && extra.ips?.get(n.mac.toLowerCase())) ?? null,
    })),
    graphics: d.graphics.map((g) => ({ type: g.type, port: g.port !== undefined && g.port > 0 ? g.port : null })),
    hasSerialConsole: d.hasSerialConsole,
    updatedAt: new Date().toISOString(),
  };
}

/**
 * The row of a domain that could not be read: what was last known of it (or only its name), with
 * what failed, so one bad domain shows as itself instead of hiding the host.
 */
export function problemRow(
  host: { id: string; name: string },
  name: string,
  problem: string,
  known?: VmSummary,
  state?: VmState,
): VmSummary {
  const base: VmSummary = known ?? {
    hostId: host.id,
    hostName: host.name,
    name,
    uuid: '',
    state: 'unknown',
    vcpus: 0,
    memoryMiB: 0,
    autostart: false,
    persistent: false,
    domainType: '',
    osinfoId: null,
    disks: [],
    nics: [],
    graphics: [],
    hasSerialConsole: false,
    updatedAt: '',
  };
  return { ...base, ...(state ? { state } : {}), problem, updatedAt: new Date().toISOString() };
}

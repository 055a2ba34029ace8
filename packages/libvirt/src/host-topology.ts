/**
 * The host's CPU layout for pinning: `virsh capabilities` <host><topology><cells> (which CPU sits
 * on which socket, core and NUMA cell) and `virsh nodeinfo` (the totals virsh prints).
 */
import { attr, child, children, makeParser, parseXmlRoot, scaledToBytes, text, toInt } from './xml.js';

export interface HostCpu {
  id: number;
  socket: number;
  die: number;
  core: number;
  /** CPUs sharing this core (hyper-threads), this one included. */
  siblings: number[];
  cell: number;
}

export interface HostNumaCell {
  id: number;
  memoryBytes?: number;
  cpus: number[];
}

export interface HostTopology {
  sockets: number;
  cores: number;
  threads: number;
  cells: HostNumaCell[];
  cpus: HostCpu[];
  /** CPUs that can be pinned to: those capabilities lists (offline CPUs are left out by libvirt). */
  onlineCpus: number[];
  memoryBytes?: number;
  cpuModel?: string;
}

export interface NodeInfo {
  cpuModel?: string;
  cpus?: number;
  mhz?: number;
  sockets?: number;
  coresPerSocket?: number;
  threadsPerCore?: number;
  numaCells?: number;
  memoryBytes?: number;
}

/** `virsh nodeinfo`: "CPU(s):              2" lines (run with LC_ALL=C). */
export function parseNodeinfo(output: string): NodeInfo {
  const fields = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s*([^:]+):\s*(.*?)\s*$/.exec(line);
    if (m) fields.set(m[1]!.trim(), m[2]!);
  }
  const int = (key: string) => toInt(fields.get(key)?.split(/\s+/)[0]);
  const mem = /^(\d+)\s*(\w+)$/.exec(fields.get('Memory size') ?? '');
  return {
    cpuModel: fields.get('CPU model') || undefined,
    cpus: int('CPU(s)'),
    mhz: int('CPU frequency'),
    sockets: int('CPU socket(s)'),
    coresPerSocket: int('Core(s) per socket'),
    threadsPerCore: int('Thread(s) per core'),
    numaCells: int('NUMA cell(s)'),
    memoryBytes: mem ? scaledToBytes(mem[1], mem[2], 'KiB') : undefined,
  };
}

const topoParser = makeParser(['capabilities.host.topology.cells.cell', 'capabilities.host.topology.cells.cell.cpus.cpu']);

/** Siblings are a cpuset ("0,4" or "0-1"); only simple lists appear here. */
function siblingList(value: string | undefined, self: number): number[] {
  if (!value) return [self];
  const out: number[] = [];
  for (const part of value.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to && c - from < 1024; c++) out.push(c);
  }
  return out.length > 0 ? out : [self];
}

export function parseHostTopology(capabilitiesXml: string, nodeinfo: NodeInfo = {}): HostTopology {
  const caps = parseXmlRoot(topoParser, capabilitiesXml, 'capabilities');
  const host = child(caps, 'host');
  const cpuTopo = child(child(host, 'cpu'), 'topology');
  const cells: HostNumaCell[] = [];
  const cpus: HostCpu[] = [];
  for (const cell of children(child(child(host, 'topology'), 'cells'), 'cell')) {
    const cellId = toInt(attr(cell, 'id')) ?? cells.length;
    const mem = child(cell, 'memory');
    const ids: number[] = [];
    for (const c of children(child(cell, 'cpus'), 'cpu')) {
      const id = toInt(attr(c, 'id'));
      if (id === undefined) continue;
      ids.push(id);
      cpus.push({
        id,
        socket: toInt(attr(c, 'socket_id')) ?? 0,
        die: toInt(attr(c, 'die_id')) ?? 0,
        core: toInt(attr(c, 'core_id')) ?? id,
        siblings: siblingList(attr(c, 'siblings'), id),
        cell: cellId,
      });
    }
    cells.push({ id: cellId, memoryBytes: scaledToBytes(text(cell, 'memory'), attr(mem, 'unit'), 'KiB'), cpus: ids });
  }
  // Without a <topology> (some containers), fall back to nodeinfo's count: CPUs 0..n-1 on one cell.
  if (cpus.length === 0 && nodeinfo.cpus) {
    for (let id = 0; id < nodeinfo.cpus; id++) cpus.push({ id, socket: 0, die: 0, core: id, siblings: [id], cell: 0 });
    cells.push({ id: 0, memoryBytes: nodeinfo.memoryBytes, cpus: cpus.map((c) => c.id) });
  }
  cpus.sort((a, b) => a.id - b.id);
  return {
    sockets: nodeinfo.sockets ?? toInt(attr(cpuTopo, 'sockets')) ?? 1,
    cores: nodeinfo.coresPerSocket ?? toInt(attr(cpuTopo, 'cores')) ?? 1,
    threads: nodeinfo.threadsPerCore ?? toInt(attr(cpuTopo, 'threads')) ?? 1,
    cells,
    cpus,
    onlineCpus: cpus.map((c) => c.id),
    memoryBytes: nodeinfo.memoryBytes ?? cells.reduce((sum, c) => sum + (c.memoryBytes ?? 0), 0),
    cpuModel: nodeinfo.cpuModel ?? (text(child(host, 'cpu'), 'model') || undefined),
  };
}

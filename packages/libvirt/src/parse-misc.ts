/** Parsers for the smaller virsh / osinfo-query outputs. */
import { attr, child, childTexts, children, makeParser, parseXmlRoot, scaledToBytes, text, toInt } from './xml.js';

/** `list --name`, `pool-list --name`, `net-list --name`: one name per line, padded and blank-terminated. */
export function parseNameList(output: string): string[] {
  return output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export type DomainStateName = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'no state';

export interface DomainState {
  /** As virsh prints it; one of DomainStateName for any libvirt of the last decade. */
  state: DomainStateName | string;
  /** e.g. 'booted', 'destroyed', 'user', 'unknown'; undefined without --reason. */
  reason?: string;
}

/** `domstate --reason`: "running (booted)", "shut off (destroyed)". */
export function parseDomstate(output: string): DomainState {
  const line = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (!line) throw new Error('Empty domstate output');
  const m = /^(.*?)\s*\(([^()]*)\)$/.exec(line);
  return m ? { state: m[1]!, reason: m[2]! } : { state: line }; // both groups are required
}

// ---------------------------------------------------------------------------------------------

export interface CapabilitiesGuest {
  osType: string;
  arch: string;
  wordsize?: number;
  emulator?: string;
  /** 'qemu' (TCG) is always offered by the QEMU driver; 'kvm' only when /dev/kvm is usable. */
  domainTypes: string[];
  /** Machine types, including aliases like 'pc' and 'q35'. */
  machines: string[];
}

export interface Capabilities {
  hostArch?: string;
  hostUuid?: string;
  cpuModel?: string;
  cpuVendor?: string;
  guests: CapabilitiesGuest[];
  /** True when an hvm guest of the host's own architecture can run under KVM. */
  kvmAvailable: boolean;
}

const capsParser = makeParser(['capabilities.guest', 'capabilities.guest.arch.domain', 'capabilities.guest.arch.machine']);

export function parseCapabilities(xml: string): Capabilities {
  const caps = parseXmlRoot(capsParser, xml, 'capabilities');
  const host = child(caps, 'host');
  const cpu = child(host, 'cpu');
  const guests: CapabilitiesGuest[] = children(caps, 'guest').map((g) => {
    const arch = child(g, 'arch');
    const domainTypes = [
      ...new Set(
        children(arch, 'domain')
          .map((d) => attr(d, 'type'))
          .filter((t): t is string => !!t),
      ),
    ];
    const machines = [...new Set(childTexts(arch, 'machine'))];
    return {
      osType: text(g, 'os_type') ?? '',
      arch: attr(arch, 'name') ?? '',
      wordsize: toInt(text(arch, 'wordsize')),
      emulator: text(arch, 'emulator') || undefined,
      domainTypes,
      machines,
    };
  });
  const hostArch = text(cpu, 'arch') || undefined;
  return {
    hostArch,
    hostUuid: text(host, 'uuid') || undefined,
    cpuModel: text(cpu, 'model') || undefined,
    cpuVendor: text(cpu, 'vendor') || undefined,
    guests,
    kvmAvailable: guests.some((g) => g.osType === 'hvm' && g.arch === hostArch && g.domainTypes.includes('kvm')),
  };
}

// ---------------------------------------------------------------------------------------------

export interface StoragePoolInfo {
  name: string;
  uuid?: string;
  /** 'dir' | 'logical' | 'netfs' | … */
  type: string;
  capacityBytes?: number;
  allocationBytes?: number;
  availableBytes?: number;
  targetPath?: string;
}

const poolParser = makeParser([]);

export function parsePoolXml(xml: string): StoragePoolInfo {
  const pool = parseXmlRoot(poolParser, xml, 'pool');
  const name = text(pool, 'name');
  if (!name) throw new Error('Pool XML has no <name>');
  const bytes = (el: string) => scaledToBytes(text(pool, el), attr(child(pool, el), 'unit'), 'bytes');
  return {
    name,
    uuid: text(pool, 'uuid') || undefined,
    type: attr(pool, 'type') ?? 'unknown',
    capacityBytes: bytes('capacity'),
    allocationBytes: bytes('allocation'),
    availableBytes: bytes('available'),
    targetPath: text(child(pool, 'target'), 'path') || undefined,
  };
}

// ---------------------------------------------------------------------------------------------

export interface VolumeListEntry {
  name: string;
  path: string;
  /** 'file' | 'block' | 'dir' | 'network' | … */
  type: string;
  /** Parsed from virsh's rounded "1.00 GiB": accurate to ~0.5% only. */
  capacityBytes: number;
  allocationBytes: number;
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  bytes: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
  EiB: 1024 ** 6,
};

/** virsh's pretty sizes ("0.00 B", "196.00 KiB", "1.00 GiB") to bytes. */
export function parseVirshSize(size: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(size);
  if (!m) return undefined;
  const factor = SIZE_UNITS[m[2]!]; // both groups are required
  return factor === undefined ? undefined : Math.round(Number(m[1]!) * factor);
}

/**
 * `vol-list --pool P --details` is a padded table (vshTable: one leading space, columns separated by
 * at least three spaces) whose cells may contain spaces: sizes always do ("1.00 GiB"), and names or
 * paths can. So the three predictable cells are anchored from the right, and name/path are split
 * at the first run of 3+ spaces; header offsets are not used because vshTable pads by display width,
 * which differs from string length for non-ASCII names. Rows that do not fit are skipped.
 */
export function parseVolListDetails(output: string): VolumeListEntry[] {
  const lines = output.split(/\r?\n/);
  // `virsh -q` drops the header and rule, so both are optional.
  const headerIndex = lines.findIndex((l) => /^\s*Name\s+Path\s+Type\s+Capacity\s+Allocation\s*$/.test(l));
  const entries: VolumeListEntry[] = [];
  for (const line of lines.slice(headerIndex + 1)) {
    if (line.trim() === '' || /^-+$/.test(line.trim())) continue;
    const tail = /\s(\S+)\s+(\d+(?:\.\d+)? [A-Za-z]+)\s+(\d+(?:\.\d+)? [A-Za-z]+)\s*$/.exec(line);
    if (!tail) continue;
    // All three groups are required, so a successful match has them.
    const type = tail[1]!,
      capacity = tail[2]!,
      allocation = tail[3]!;
    const head = line.slice(0, tail.index).replace(/^ /, '').trimEnd();
    const gap = /\s{3,}/.exec(head);
    entries.push({
      name: (gap ? head.slice(0, gap.index) : head).trim(),
      path: gap ? head.slice(gap.index + gap[0].length).trim() : '',
      type,
      capacityBytes: parseVirshSize(capacity) ?? 0,
      allocationBytes: parseVirshSize(allocation) ?? 0,
    });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------

export interface NetworkIp {
  family: 'ipv4' | 'ipv6';
  address?: string;
  netmask?: string;
  prefix?: number;
  dhcpRanges: Array<{ start: string; end: string }>;
}

export interface NetworkInfo {
  name: string;
  uuid?: string;
  bridge?: string;
  /** 'nat' | 'route' | 'bridge' | 'open' | …; undefined means an isolated network. */
  forwardMode?: string;
  ips: NetworkIp[];
}

const netParser = makeParser(['network.ip', 'network.ip.dhcp.range']);

export function parseNetworkXml(xml: string): NetworkInfo {
  const net = parseXmlRoot(netParser, xml, 'network');
  const name = text(net, 'name');
  if (!name) throw new Error('Network XML has no <name>');
  const forward = child(net, 'forward');
  return {
    name,
    uuid: text(net, 'uuid') || undefined,
    bridge: attr(child(net, 'bridge'), 'name'),
    // <forward/> without a mode means NAT.
    forwardMode: forward ? (attr(forward, 'mode') ?? 'nat') : undefined,
    ips: children(net, 'ip').map((ip) => ({
      family: attr(ip, 'family') === 'ipv6' ? 'ipv6' : 'ipv4',
      address: attr(ip, 'address'),
      netmask: attr(ip, 'netmask'),
      prefix: toInt(attr(ip, 'prefix')),
      dhcpRanges: children(child(ip, 'dhcp'), 'range')
        .map((r) => ({ start: attr(r, 'start') ?? '', end: attr(r, 'end') ?? '' }))
        .filter((r) => r.start !== '' && r.end !== ''),
    })),
  };
}

// ---------------------------------------------------------------------------------------------

export interface OsinfoEntry {
  shortId: string;
  name: string;
  version: string;
  /** Present when the query asked for the 'id' field (the URL form used in domain metadata). */
  id?: string;
  /** Every column by its header, lower-cased with spaces as '-', for fields beyond the usual ones. */
  fields: Record<string, string>;
}

/** `osinfo-query os --fields=short-id,name,version[,id]`: a '|'-separated table under a dashed rule. */
export function parseOsinfoQuery(output: string): OsinfoEntry[] {
  const lines = output.split(/\r?\n/).filter((l) => l.trim() !== '');
  const ruleIndex = lines.findIndex((l) => /^[-+]+$/.test(l.trim()));
  if (ruleIndex < 1) throw new Error('osinfo-query output has no header');
  // ruleIndex >= 1 was checked above, so the header line exists.
  const keys = lines[ruleIndex - 1]!.split('|').map((h) => h.trim().toLowerCase().replace(/\s+/g, '-'));
  return lines.slice(ruleIndex + 1).map((line) => {
    const cells = line.split('|').map((c) => c.trim());
    const fields: Record<string, string> = {};
    keys.forEach((k, i) => (fields[k] = cells[i] ?? ''));
    const entry: OsinfoEntry = {
      shortId: fields['short-id'] ?? '',
      name: fields['name'] ?? '',
      version: fields['version'] ?? '',
      fields,
    };
    if (fields['id']) entry.id = fields['id'];
    return entry;
  });
}

/**
 * The settings a VM's Settings page edits, read from and written into a domain definition. Edits
 * work on the order-preserving tree (ordered-xml.ts), so only the elements named here change.
 */
import { LibvirtValidationError } from './names.js';
import {
  type OrderedNode,
  buildOrdered,
  canonical,
  element,
  find,
  findAll,
  getAttr,
  kids,
  parseOrdered,
  putChild,
  rootChildren,
  setAttr,
  setText,
  tagOf,
  textOf,
} from './ordered-xml.js';
import { scaledToBytes, toInt } from './xml.js';

export const BOOT_DEVICES = ['hd', 'cdrom', 'network', 'fd'] as const;
export type BootDevice = (typeof BOOT_DEVICES)[number];
/** libvirt's lifecycle actions (on_crash also knows coredump-*). */
export const LIFECYCLE_ACTIONS = ['destroy', 'restart', 'preserve', 'rename-restart', 'coredump-destroy', 'coredump-restart'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];
export const CPU_MODES = ['host-passthrough', 'host-model', 'maximum', 'custom'] as const;
export type CpuMode = (typeof CPU_MODES)[number];
/** Named CPU models: letters, digits and the punctuation of names like "Skylake-Client-IBRS" or "qemu64". */
export const CPU_MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TITLE_MAX = 256;
export const DESCRIPTION_MAX = 4096;

export interface VcpuPin {
  vcpu: number;
  cpuset: string;
}

export interface DomainCputune {
  vcpupin: VcpuPin[];
  emulatorpin?: string;
  shares?: number;
  period?: number;
  quota?: number;
}

export interface DomainConfig {
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  cpuMode: string;
  cpuModel?: string;
  boot: string[];
  title: string;
  description: string;
  onPoweroff: string;
  onReboot: string;
  onCrash: string;
  cputune: DomainCputune;
  blkioWeight?: number;
  memtune: { hardLimitKiB?: number; softLimitKiB?: number };
}

export interface DomainConfigChanges {
  vcpus?: number;
  maxVcpus?: number;
  memoryMiB?: number;
  maxMemoryMiB?: number;
  cpuMode?: CpuMode;
  cpuModel?: string;
  boot?: BootDevice[];
  title?: string;
  description?: string;
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: LifecycleAction;
}

const mib = (node: OrderedNode | undefined): number => {
  const bytes = scaledToBytes(textOf(node), getAttr(node, 'unit'), 'KiB');
  return bytes === undefined ? 0 : Math.round(bytes / 1024 ** 2);
};
const kib = (node: OrderedNode | undefined): number | undefined => {
  const bytes = scaledToBytes(textOf(node), getAttr(node, 'unit'), 'KiB');
  return bytes === undefined ? undefined : Math.round(bytes / 1024);
};

function domainChildren(doc: OrderedNode[]): OrderedNode[] {
  return rootChildren(doc, 'domain');
}

export function parseDomainConfig(xml: string): DomainConfig {
  const d = domainChildren(parseOrdered(xml));
  const vcpu = find(d, 'vcpu');
  const maxVcpus = toInt(textOf(vcpu)) ?? 1;
  const cpu = find(d, 'cpu');
  const cputune = kids(find(d, 'cputune') ?? {});
  const memtune = kids(find(d, 'memtune') ?? {});
  const maxMem = find(d, 'memory');
  return {
    vcpus: toInt(getAttr(vcpu, 'current')) ?? maxVcpus,
    maxVcpus,
    memoryMiB: find(d, 'currentMemory') ? mib(find(d, 'currentMemory')) : mib(maxMem),
    maxMemoryMiB: mib(maxMem),
    // No <cpu> or one without a mode: libvirt's default is a custom model picked by QEMU.
    cpuMode: getAttr(cpu, 'mode') ?? 'custom',
    cpuModel: textOf(find(kids(cpu ?? {}), 'model')) || undefined,
    boot: findAll(kids(find(d, 'os') ?? {}), 'boot')
      .map((b) => getAttr(b, 'dev'))
      .filter((v): v is string => !!v),
    title: textOf(find(d, 'title')) ?? '',
    description: textOf(find(d, 'description')) ?? '',
    onPoweroff: textOf(find(d, 'on_poweroff')) || 'destroy',
    onReboot: textOf(find(d, 'on_reboot')) || 'restart',
    onCrash: textOf(find(d, 'on_crash')) || 'destroy',
    cputune: {
      vcpupin: findAll(cputune, 'vcpupin')
        .map((p) => ({ vcpu: toInt(getAttr(p, 'vcpu')) ?? -1, cpuset: getAttr(p, 'cpuset') ?? '' }))
        .filter((p) => p.vcpu >= 0 && p.cpuset !== ''),
      emulatorpin: getAttr(find(cputune, 'emulatorpin'), 'cpuset'),
      shares: toInt(textOf(find(cputune, 'shares'))),
      period: toInt(textOf(find(cputune, 'period'))),
      quota: toInt(textOf(find(cputune, 'quota'))),
    },
    blkioWeight: toInt(textOf(find(kids(find(d, 'blkiotune') ?? {}), 'weight'))),
    memtune: { hardLimitKiB: kib(find(memtune, 'hard_limit')), softLimitKiB: kib(find(memtune, 'soft_limit')) },
  };
}

/** The <cputune> element as libvirt wrote it, for showing; '' when there is none. */
export function cputuneXmlOf(xml: string): string {
  const node = find(domainChildren(parseOrdered(xml)), 'cputune');
  return node ? buildOrdered([node]).trim() : '';
}

function invalid(field: string, message: string): never {
  throw new LibvirtValidationError('invalid-value', field, message);
}

/** Checks the values a change names (ranges that need the host, like memory, are the caller's). */
export function validateConfigChanges(c: DomainConfigChanges, current: DomainConfig): void {
  const maxVcpus = c.maxVcpus ?? current.maxVcpus;
  if (c.maxVcpus !== undefined && (!Number.isInteger(c.maxVcpus) || c.maxVcpus < 1 || c.maxVcpus > 256))
    invalid('maxVcpus', 'Maximum vCPUs must be a whole number from 1 to 256.');
  if (c.vcpus !== undefined && (!Number.isInteger(c.vcpus) || c.vcpus < 1 || c.vcpus > maxVcpus))
    invalid('vcpus', `vCPUs must be a whole number from 1 to the maximum (${maxVcpus}).`);
  if (c.vcpus === undefined && c.maxVcpus !== undefined && current.vcpus > c.maxVcpus)
    invalid('maxVcpus', `Maximum vCPUs cannot be below the current count (${current.vcpus}).`);
  const maxMem = c.maxMemoryMiB ?? current.maxMemoryMiB;
  if (c.memoryMiB !== undefined && (!Number.isInteger(c.memoryMiB) || c.memoryMiB < 16 || c.memoryMiB > maxMem))
    invalid('memoryMiB', `Memory must be a whole number of MiB from 16 to the maximum (${maxMem} MiB).`);
  if (c.memoryMiB === undefined && c.maxMemoryMiB !== undefined && current.memoryMiB > c.maxMemoryMiB)
    invalid('maxMemoryMiB', `Maximum memory cannot be below the current memory (${current.memoryMiB} MiB).`);
  if (c.cpuMode !== undefined && !CPU_MODES.includes(c.cpuMode)) invalid('cpuMode', `CPU mode must be one of ${CPU_MODES.join(', ')}.`);
  if (c.cpuModel !== undefined && !CPU_MODEL_PATTERN.test(c.cpuModel))
    invalid('cpuModel', 'CPU model must be a model name like "qemu64" or "Skylake-Client".');
  if ((c.cpuMode ?? current.cpuMode) === 'custom' && c.cpuMode === 'custom' && !(c.cpuModel ?? current.cpuModel))
    invalid('cpuModel', 'A custom CPU needs a model.');
  if (c.boot !== undefined) {
    if (c.boot.length === 0 || c.boot.length > BOOT_DEVICES.length) invalid('boot', 'Boot order needs one to four devices.');
    c.boot.forEach((dev, i) => {
      if (!BOOT_DEVICES.includes(dev)) invalid(`boot[${i}]`, `Boot device must be one of ${BOOT_DEVICES.join(', ')}.`);
    });
    if (new Set(c.boot).size !== c.boot.length) invalid('boot', 'Each boot device may appear once.');
  }
  for (const [field, max] of [
    ['title', TITLE_MAX],
    ['description', DESCRIPTION_MAX],
  ] as const) {
    const v = c[field];
    if (v === undefined) continue;
    if (v.length > max) invalid(field, `${field === 'title' ? 'Title' : 'Description'} is longer than ${max} characters.`);
    // libvirt refuses a title with a newline; control characters have no place in either.
    const bad = field === 'title' ? /[\u0000-\u001f\u007f]/ : /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
    if (bad.test(v))
      invalid(field, field === 'title' ? 'Title must be one line of printable text.' : 'Description has control characters.');
  }
  for (const field of ['onPoweroff', 'onReboot', 'onCrash'] as const) {
    const v = c[field];
    if (v === undefined) continue;
    if (!LIFECYCLE_ACTIONS.includes(v)) invalid(field, `Action must be one of ${LIFECYCLE_ACTIONS.join(', ')}.`);
    if (field !== 'onCrash' && v.startsWith('coredump')) invalid(field, 'coredump actions are for on_crash only.');
  }
}

const TOP_ORDER = [
  'name',
  'uuid',
  'genid',
  'title',
  'description',
  'metadata',
  'maxMemory',
  'memory',
  'currentMemory',
  'blkiotune',
  'memtune',
  'memoryBacking',
  'vcpu',
];

/** Top-level elements a change touches: everything else must come back from libvirt unchanged. */
export function touchedElements(c: DomainConfigChanges): string[] {
  const out = new Set<string>();
  if (c.vcpus !== undefined || c.maxVcpus !== undefined) out.add('vcpu').add('vcpus');
  if (c.memoryMiB !== undefined || c.maxMemoryMiB !== undefined) out.add('memory').add('currentMemory');
  if (c.cpuMode !== undefined || c.cpuModel !== undefined) out.add('cpu');
  if (c.boot !== undefined) out.add('os');
  if (c.title !== undefined) out.add('title');
  if (c.description !== undefined) out.add('description');
  if (c.onPoweroff !== undefined) out.add('on_poweroff');
  if (c.onReboot !== undefined) out.add('on_reboot');
  if (c.onCrash !== undefined) out.add('on_crash');
  return [...out];
}

/** Applies validated changes to a domain definition; returns the new XML. */
export function applyConfigChanges(xml: string, c: DomainConfigChanges): string {
  const doc = parseOrdered(xml);
  const d = domainChildren(doc);
  const current = parseDomainConfig(xml);
  if (c.vcpus !== undefined || c.maxVcpus !== undefined) {
    const max = c.maxVcpus ?? current.maxVcpus;
    const now = c.vcpus ?? Math.min(current.vcpus, max);
    const vcpu = find(d, 'vcpu') ?? element('vcpu', { placement: 'static' });
    setText(vcpu, String(max));
    setAttr(vcpu, 'current', now < max ? String(now) : undefined);
    putChild(d, 'vcpu', vcpu, TOP_ORDER);
    // Per-vCPU hot-plug layout (<vcpus>) is sized for the old maximum; libvirt rebuilds it.
    if (c.maxVcpus !== undefined && c.maxVcpus !== current.maxVcpus) putChild(d, 'vcpus', undefined);
  }
  if (c.maxMemoryMiB !== undefined) putChild(d, 'memory', element('memory', { unit: 'KiB' }, String(c.maxMemoryMiB * 1024)), TOP_ORDER);
  if (c.memoryMiB !== undefined || c.maxMemoryMiB !== undefined) {
    const now = c.memoryMiB ?? Math.min(current.memoryMiB, c.maxMemoryMiB ?? current.maxMemoryMiB);
    putChild(d, 'currentMemory', element('currentMemory', { unit: 'KiB' }, String(now * 1024)), TOP_ORDER);
  }
  if (c.cpuMode !== undefined || c.cpuModel !== undefined) editCpu(d, c.cpuMode ?? (current.cpuMode as CpuMode), c.cpuModel);
  if (c.boot !== undefined) {
    const os = find(d, 'os');
    if (!os) invalid('boot', 'This definition has no <os> element to hold a boot order.');
    const rest = kids(os);
    const first = rest.findIndex((n) => tagOf(n) === 'boot');
    const kept = rest.filter((n) => tagOf(n) !== 'boot');
    const at = first >= 0 ? first : kept.findIndex((n) => tagOf(n) === 'type') + 1;
    kept.splice(at, 0, ...c.boot.map((dev) => element('boot', { dev })));
    os[tagOf(os)!] = kept;
  }
  const text = (tag: string, value: string | undefined, after: readonly string[]) => {
    if (value === undefined) return;
    putChild(d, tag, value === '' ? undefined : element(tag, {}, value), after);
  };
  text('title', c.title, ['name', 'uuid', 'genid']);
  text('description', c.description, ['name', 'uuid', 'genid', 'title']);
  const lifecycle = ['clock', 'cpu', 'features', 'os', 'vcpu'];
  text('on_poweroff', c.onPoweroff, lifecycle);
  text('on_reboot', c.onReboot, [...lifecycle, 'on_poweroff']);
  text('on_crash', c.onCrash, [...lifecycle, 'on_poweroff', 'on_reboot']);
  return buildOrdered(doc);
}

function editCpu(d: OrderedNode[], mode: CpuMode, model: string | undefined): void {
  const cpu = find(d, 'cpu') ?? element('cpu');
  setAttr(cpu, 'mode', mode);
  const inner = kids(cpu);
  if (mode === 'custom') {
    if (!getAttr(cpu, 'match')) setAttr(cpu, 'match', 'exact');
    const existing = find(inner, 'model');
    if (model !== undefined) {
      const node = existing ?? element('model', { fallback: 'allow' });
      setText(node, model);
      if (!existing) inner.unshift(node);
    }
  } else {
    // match/check and a named model belong to custom CPUs only; topology, NUMA and features stay.
    setAttr(cpu, 'match', undefined);
    setAttr(cpu, 'check', undefined);
    cpu[tagOf(cpu)!] = inner.filter((n) => tagOf(n) !== 'model');
  }
  putChild(d, 'cpu', cpu, ['features', 'os', 'vcpus', 'vcpu', 'cputune']);
}

/**
 * The definition with the named top-level elements left out (and <os> without its <boot>s), in a
 * form that can be compared: two definitions that agree here differ only in what a change touched.
 */
export function definitionExcept(xml: string, tags: readonly string[]): string {
  const d = domainChildren(parseOrdered(xml)).filter((n) => !tags.includes(tagOf(n) ?? '') || tagOf(n) === 'os');
  const os = find(d, 'os');
  if (os && tags.includes('os')) os[tagOf(os)!] = kids(os).filter((n) => tagOf(n) !== 'boot');
  return canonical(d);
}

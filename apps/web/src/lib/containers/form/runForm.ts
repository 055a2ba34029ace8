/**
 * The run form's model: text boxes and rows as the user edits them, turned into a
 * `CreateContainerBody` (only what differs from docker's defaults, so the preview reads like a
 * hand-written `docker run`), and back from a container's saved settings for "edit and recreate".
 */
import type { CreateContainerBody, MountSpec, RestartPolicyName, TmpfsOption } from '@mirador/contract';
import { TMPFS_OPTIONS } from '@mirador/contract';
import type { KeyValueRow } from '$lib/docker/keyValue';
import { t, type MessageKey } from '$lib/i18n/index.svelte';
import { joinArgs, splitArgs } from '../argv';
import { applyHardening, emptyHardening, hardeningFromSettings, hardeningSlot, type HardeningForm } from './hardeningForm';

export type PortProto = 'tcp' | 'udp' | 'sctp';
export interface PortRow {
  hostIp: string;
  /** Empty: docker picks a free port. */
  hostPort: string;
  containerPort: string;
  proto: PortProto;
}

export type MountKind = MountSpec['type'];
export interface MountRow {
  type: MountKind;
  /** Volume name (empty: anonymous) or absolute host path; unused for tmpfs. */
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs only: `64m`. */
  size: string;
  /** tmpfs only: mount flags, `noexec, nosuid`. */
  flags: string;
  /** tmpfs only: octal permissions, `1777`. */
  mode: string;
}

export interface RunForm {
  hostId: string;
  image: string;
  name: string;
  command: string;
  entrypoint: string;
  env: KeyValueRow[];
  ports: PortRow[];
  mounts: MountRow[];
  /** '' = the default bridge. */
  network: string;
  aliases: string;
  hostname: string;
  restart: RestartPolicyName;
  maxRetries: string;
  user: string;
  workingDir: string;
  labels: KeyValueRow[];
  memory: string;
  cpus: string;
  capDrop: string;
  capAdd: string;
  noNewPrivileges: boolean;
  readOnlyRootfs: boolean;
  privileged: boolean;
  pidHost: boolean;
  devices: string;
  tty: boolean;
  autoRemove: boolean;
  start: boolean;
  /** The "Security & limits" section (confinement, limits, healthcheck). */
  hardening: HardeningForm;
}

export const BUILTIN_NETWORKS = ['host', 'none'] as const;

export function emptyForm(hostId = ''): RunForm {
  return {
    hostId,
    image: '',
    name: '',
    command: '',
    entrypoint: '',
    env: [],
    ports: [],
    mounts: [],
    network: '',
    aliases: '',
    hostname: '',
    restart: 'no',
    maxRetries: '',
    user: '',
    workingDir: '',
    labels: [],
    memory: '',
    cpus: '',
    capDrop: '',
    capAdd: '',
    noNewPrivileges: false,
    readOnlyRootfs: false,
    privileged: false,
    pidHost: false,
    devices: '',
    tty: false,
    autoRemove: false,
    start: true,
    hardening: emptyHardening(),
  };
}

export const emptyPortRow = (): PortRow => ({ hostIp: '', hostPort: '', containerPort: '', proto: 'tcp' });
export const emptyMountRow = (type: MountKind = 'volume'): MountRow => ({
  type,
  source: '',
  target: '',
  readOnly: false,
  size: '',
  flags: '',
  mode: '',
});

/** A tmpfs for a read-only container's writable place, with the safe flags. */
export const suggestedTmpfsRow = (target: string): MountRow => ({ ...emptyMountRow('tmpfs'), target, flags: 'noexec, nosuid' });

/** `[host_ip:][host_port:]container_port[/proto]` — brackets around an IPv6 host address. */
export function portSpec(r: PortRow): string {
  const ip = r.hostIp.trim();
  const hostPort = r.hostPort.trim();
  const proto = r.proto === 'tcp' ? '' : `/${r.proto}`;
  const cport = `${r.containerPort.trim()}${proto}`;
  if (ip) return `${ip.includes(':') ? `[${ip}]` : ip}:${hostPort}:${cport}`;
  if (hostPort) return `${hostPort}:${cport}`;
  return cport;
}

export function parsePortSpec(spec: string): PortRow {
  let rest = spec.trim();
  let proto: PortProto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    const p = rest.slice(slash + 1);
    if (p === 'udp' || p === 'sctp' || p === 'tcp') proto = p;
    rest = rest.slice(0, slash);
  }
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    // Both groups are required, so a successful match has them.
    const [hostPort = '', containerPort = ''] = v6[2]!.split(':');
    return { hostIp: v6[1]!, hostPort, containerPort, proto };
  }
  // split() returns at least one element; each branch reads only indexes its length check covers.
  const parts = rest.split(':');
  if (parts.length >= 3) return { hostIp: parts[0]!, hostPort: parts[1]!, containerPort: parts.slice(2).join(':'), proto };
  if (parts.length === 2) return { hostIp: '', hostPort: parts[0]!, containerPort: parts[1]!, proto };
  return { hostIp: '', hostPort: '', containerPort: parts[0]!, proto };
}

/** Comma- or space-separated words (capabilities, devices, aliases). */
export function words(s: string): string[] {
  return s
    .split(/[\s,]+/)
    .map((w) => w.trim())
    .filter(Boolean);
}

/** Pre-fill the form from a container's saved settings (recreate / run again). */
export function formFromSettings(hostId: string, s: CreateContainerBody): RunForm {
  const f = emptyForm(hostId);
  const network = s.network ?? '';
  return {
    ...f,
    image: s.image,
    name: s.name ?? '',
    command: joinArgs(s.command),
    entrypoint: joinArgs(s.entrypoint),
    env: (s.env ?? []).map((e) => {
      const i = e.indexOf('=');
      return i === -1 ? { key: e, value: '' } : { key: e.slice(0, i), value: e.slice(i + 1) };
    }),
    ports: (s.ports ?? []).map(parsePortSpec),
    mounts: (s.mounts ?? []).map((m) =>
      m.type === 'tmpfs'
        ? { ...emptyMountRow('tmpfs'), target: m.target, size: m.size ?? '', flags: (m.options ?? []).join(', '), mode: m.mode ?? '' }
        : { ...emptyMountRow(m.type), source: m.source ?? '', target: m.target, readOnly: m.readOnly ?? false },
    ),
    network: network === 'bridge' || network === 'default' ? '' : network,
    aliases: (s.networkAliases ?? []).join(', '),
    hostname: s.hostname ?? '',
    restart: s.restart?.name ?? 'no',
    maxRetries: s.restart?.maxRetries ? String(s.restart.maxRetries) : '',
    user: s.user ?? '',
    workingDir: s.workingDir ?? '',
    labels: Object.entries(s.labels ?? {}).map(([key, value]) => ({ key, value })),
    memory: s.memory ?? '',
    cpus: s.cpus !== undefined ? String(s.cpus) : '',
    capDrop: (s.capDrop ?? []).join(', '),
    capAdd: (s.capAdd ?? []).join(', '),
    noNewPrivileges: s.noNewPrivileges ?? false,
    readOnlyRootfs: s.readOnlyRootfs ?? false,
    privileged: s.privileged ?? false,
    pidHost: s.pidHost ?? false,
    devices: (s.devices ?? []).join(', '),
    tty: s.tty ?? false,
    autoRemove: s.autoRemove ?? false,
    start: s.start ?? true,
    hardening: hardeningFromSettings(s),
  };
}

/** Which row each body array entry came from (empty rows are skipped), to put server errors back. */
export interface RowIndex {
  env: number[];
  ports: number[];
  mounts: number[];
}

export interface Built {
  body: CreateContainerBody;
  /** Client-side problems, keyed like the form's error slots (`command`, `env.2`, `mounts.0.target`…). */
  errors: Record<string, string>;
  index: RowIndex;
}

const ARGV_ERRORS: Record<'unclosedSingle' | 'unclosedDouble' | 'trailingBackslash', MessageKey> = {
  unclosedSingle: 'containers.form.argvUnclosedSingle',
  unclosedDouble: 'containers.form.argvUnclosedDouble',
  trailingBackslash: 'containers.form.argvTrailingBackslash',
};

export function buildBody(f: RunForm): Built {
  const errors: Record<string, string> = {};
  const index: RowIndex = { env: [], ports: [], mounts: [] };
  const body: CreateContainerBody = { image: f.image.trim() };

  if (f.name.trim()) {
    body.name = f.name.trim();
    // The engine's rule; saying so here explains the preview instead of leaving it blank.
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(body.name) || body.name.length > 128) errors.name = t('hardening.nameInvalid');
  }

  for (const key of ['command', 'entrypoint'] as const) {
    const r = splitArgs(f[key]);
    if (!r.ok) errors[key] = t(ARGV_ERRORS[r.error]);
    else if (r.argv.length) body[key] = r.argv;
  }

  const env: string[] = [];
  f.env.forEach((row, i) => {
    if (!row.key.trim() && !row.value) return;
    if (!row.key.trim()) errors[`env.${i}`] = t('containers.form.envKeyRequired');
    index.env.push(i);
    env.push(`${row.key.trim()}=${row.value}`);
  });
  if (env.length) body.env = env;

  const ports: string[] = [];
  f.ports.forEach((row, i) => {
    if (!row.hostIp.trim() && !row.hostPort.trim() && !row.containerPort.trim()) return;
    if (!row.containerPort.trim()) errors[`ports.${i}`] = t('containers.form.portContainerRequired');
    index.ports.push(i);
    ports.push(portSpec(row));
  });
  if (ports.length) body.ports = ports;

  const mounts: MountSpec[] = [];
  f.mounts.forEach((row, i) => {
    if (!row.source.trim() && !row.target.trim() && !row.size.trim()) return;
    if (!row.target.trim()) errors[`mounts.${i}.target`] = t('validation.required');
    if (row.type === 'bind' && !row.source.trim()) errors[`mounts.${i}.source`] = t('validation.required');
    index.mounts.push(i);
    const target = row.target.trim();
    if (row.type === 'tmpfs') {
      const flags = words(row.flags);
      const bad = flags.find((x) => !(TMPFS_OPTIONS as readonly string[]).includes(x));
      if (bad !== undefined) errors[`mounts.${i}`] = t('hardening.tmpfsFlagInvalid', { flag: bad, flags: TMPFS_OPTIONS.join(', ') });
      mounts.push({
        type: 'tmpfs',
        target,
        ...(row.size.trim() ? { size: row.size.trim() } : {}),
        ...(row.mode.trim() ? { mode: row.mode.trim() } : {}),
        ...(flags.length && bad === undefined ? { options: flags as TmpfsOption[] } : {}),
      });
    } else if (row.type === 'bind')
      mounts.push({ type: 'bind', source: row.source.trim(), target, ...(row.readOnly ? { readOnly: true } : {}) });
    else
      mounts.push({
        type: 'volume',
        ...(row.source.trim() ? { source: row.source.trim() } : {}),
        target,
        ...(row.readOnly ? { readOnly: true } : {}),
      });
  });
  if (mounts.length) body.mounts = mounts;

  if (f.network) body.network = f.network;
  const aliases = words(f.aliases);
  if (aliases.length && f.network && !(BUILTIN_NETWORKS as readonly string[]).includes(f.network)) body.networkAliases = aliases;
  if (f.hostname.trim()) body.hostname = f.hostname.trim();

  if (f.restart !== 'no') {
    body.restart = { name: f.restart };
    if (f.restart === 'on-failure' && f.maxRetries.trim()) {
      const n = Number(f.maxRetries.trim());
      if (!/^\d+$/.test(f.maxRetries.trim()) || n > 1000) errors.maxRetries = t('containers.form.maxRetriesInvalid');
      else body.restart.maxRetries = n;
    }
  }
  if (f.user.trim()) body.user = f.user.trim();
  if (f.workingDir.trim()) body.workingDir = f.workingDir.trim();

  const labels: Record<string, string> = {};
  f.labels.forEach((row, i) => {
    if (!row.key.trim() && !row.value) return;
    if (!row.key.trim()) errors[`labels.${i}`] = t('containers.form.labelKeyRequired');
    else labels[row.key.trim()] = row.value;
  });
  if (Object.keys(labels).length) body.labels = labels;

  if (f.memory.trim()) body.memory = f.memory.trim();
  if (f.cpus.trim()) {
    const n = Number(f.cpus.trim().replace(',', '.'));
    if (!Number.isFinite(n) || n < 0.01 || n > 1024) errors.cpus = t('containers.form.cpusInvalid');
    else body.cpus = n;
  }
  const capDrop = words(f.capDrop).map((c) => c.toUpperCase());
  const capAdd = words(f.capAdd).map((c) => c.toUpperCase());
  if (capDrop.length) body.capDrop = capDrop;
  if (capAdd.length) body.capAdd = capAdd;
  if (f.noNewPrivileges) body.noNewPrivileges = true;
  if (f.readOnlyRootfs) body.readOnlyRootfs = true;
  if (f.privileged) body.privileged = true;
  if (f.pidHost) body.pidHost = true;
  const devices = words(f.devices);
  if (devices.length) body.devices = devices;
  if (f.tty) body.tty = true;
  if (f.autoRemove) body.autoRemove = true;
  if (!f.start) body.start = false;
  applyHardening(f.hardening, body, errors);

  if (!body.image) errors.image = t('validation.required');
  return { body, errors, index };
}

const TOP_LEVEL = new Set([
  'image',
  'name',
  'command',
  'entrypoint',
  'env',
  'ports',
  'mounts',
  'network',
  'networkAliases',
  'hostname',
  'restart',
  'maxRetries',
  'user',
  'workingDir',
  'labels',
  'memory',
  'cpus',
  'capAdd',
  'capDrop',
  'noNewPrivileges',
  'readOnlyRootfs',
  'privileged',
  'pidHost',
  'devices',
  'tty',
  'autoRemove',
]);

/**
 * The form slot a server `field` points at: `ports[1]` → `ports.<row>`, `mounts[0].source` →
 * `mounts.<row>.source`, `/env/2` → `env.<row>`, `restart.maxRetries` → `maxRetries`.
 */
export function errorSlot(field: string | undefined, index: RowIndex): string | null {
  if (!field) return null;
  const f = field
    .replace(/^\/?(body[./])?/, '')
    .replace(/^\//, '')
    .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
    .replace(/\//g, '.');
  const m = /^(env|ports|mounts)\[(\d+)\](?:\.(\w+))?/.exec(f);
  if (m) {
    const kind = m[1] as keyof RowIndex;
    const row = index[kind][Number(m[2])];
    if (row === undefined) return kind;
    if (kind === 'mounts' && (m[3] === 'source' || m[3] === 'target')) return `mounts.${row}.${m[3]}`;
    return `${kind}.${row}`;
  }
  if (/^restart\.maxRetries/.test(f)) return 'maxRetries';
  const top = f.split(/[.[]/)[0]!; // split() returns at least one element
  if (top === 'networkAliases') return 'aliases';
  return TOP_LEVEL.has(top) ? top : hardeningSlot(f);
}

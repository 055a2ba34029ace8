/**
 * Turns the posture probe's output (host-posture-script.ts) into plain data the host/VM rules read.
 * Nothing here guesses: a section the probe could not read stays `{ ok: false, reason }`, and the
 * rules say "could not read" for it.
 */

/** A value the probe read, or why it could not. */
export type Reading<T> = { ok: true; value: T } | { ok: false; reason: string };

/** One `key = value` line of a libvirt config file, as the file has it (for evidence). */
export interface ConfLine {
  file: string;
  line: number;
  key: string;
  /** Without surrounding quotes; lists keep their brackets (`[ "polkit" ]`). */
  value: string;
  raw: string;
}
export interface ConfFile {
  path: string;
  status: 'ok' | 'missing' | 'denied';
  lines: ConfLine[];
}
export interface SocketInfo {
  path: string;
  owner: string;
  group: string;
  /** Octal permission bits as stat prints them, e.g. `770`. */
  mode: string;
}
export interface ProcessInfo {
  pid: number;
  user: string;
  comm: string;
  /** The LSM label (`/proc/PID/attr/current`), `-` when none could be read. */
  label: string;
  /** The command line; for QEMU only `guest=NAME` (its full line can carry secrets). */
  args: string;
}
export interface PolkitFile {
  path: string;
  text: string;
}
export interface DomainPosture {
  name: string;
  running: boolean;
  /** The security-relevant lines of its XML (domain, graphics, listen, seclabel), passwords masked. */
  xml: string[];
  /** virsh's error when the definition could not be read. */
  error: string | null;
}
export interface Listener {
  address: string;
  port: number;
  /** The process ss names, when it could (root). */
  process: string | null;
  raw: string;
}
export interface SshdValue {
  value: string;
  /** `sshd -T -f FILE: key value` or `FILE:LINE: text`. */
  evidence: string;
}
export interface SshdConfig {
  config: string;
  /** `sshd -T` is sshd's own effective answer; `files` is the fallback when it could not run. */
  source: 'sshd -T' | 'files';
  /** Why sshd -T could not run (fallback only). */
  failure: string | null;
  values: Record<string, SshdValue>;
  /** Config files that could not be read (fallback only). */
  denied: string[];
  /** Whether the files hold Match blocks (their overrides are not judged by the fallback). */
  hasMatch: boolean;
}
export interface UpdatesPosture {
  tool: 'apt' | 'dnf';
  /** Pending security updates: package lines as the tool printed them (`apt list --upgradable`, `dnf updateinfo`). */
  security: string[];
  /** All pending updates (apt only). */
  total: number | null;
  /** Age of the newest downloaded package list, in days (apt only). */
  listsAgeDays: number | null;
}

export interface HostPosture {
  /** The uid the probe ran as (non-root reads less). */
  uid: number | null;
  files: ConfFile[];
  sockets: SocketInfo[];
  processes: Reading<ProcessInfo[]>;
  /** Group name → member user names (supplementary and primary). */
  groups: Reading<Map<string, string[]>>;
  polkit: { dirs: { path: string; status: string }[]; files: PolkitFile[] };
  /** Security models libvirt's capabilities list (`none`, `dac`, `apparmor`, `selinux`); null: no QEMU libvirt endpoint. */
  secModels: Reading<string[]> | null;
  domains: Reading<{ total: number; items: DomainPosture[] }> | null;
  listeners: Reading<Listener[]>;
  /** systemd socket units → is-active answer; null without systemd. */
  units: Map<string, string> | null;
  dockerJson: { status: 'ok' | 'missing' | 'denied'; text: string } | null;
  sshd: Reading<{ running: boolean; configs: SshdConfig[] }>;
  /** null: not asked this time (apt's simulation is the slow part; package lists change slowly). */
  updates: Reading<UpdatesPosture> | null;
  /** False when the output ended early (killed at the time limit, or cut at the size limit). */
  complete: boolean;
}

interface Section {
  name: string;
  args: string;
  lines: string[];
}

function splitSections(out: string, marker: string): Section[] {
  const re = new RegExp(`^@@${marker}:([a-z-]+)(?: (.*))?@@$`);
  const sections: Section[] = [];
  for (const line of out.split('\n')) {
    const m = re.exec(line);
    if (m) sections.push({ name: m[1]!, args: m[2] ?? '', lines: [] });
    else sections.at(-1)?.lines.push(line);
  }
  for (const s of sections) while (s.lines.length > 0 && s.lines.at(-1) === '') s.lines.pop();
  return sections;
}

/** `path status`: the path may hold spaces, the status is the last word. */
function pathAndStatus(args: string): { path: string; status: string } {
  const i = args.lastIndexOf(' ');
  return i < 0 ? { path: args, status: '' } : { path: args.slice(0, i), status: args.slice(i + 1) };
}

const unquote = (v: string) => v.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');

function parseConf(path: string, status: string, lines: string[]): ConfFile {
  const file: ConfFile = { path, status: status === 'ok' ? 'ok' : status === 'missing' ? 'missing' : 'denied', lines: [] };
  for (const l of lines) {
    const m = /^(\d+):\s*([a-z_]+)\s*=\s*(.*?)\s*(?:#.*)?$/.exec(l);
    if (m) file.lines.push({ file: path, line: Number(m[1]), key: m[2]!, value: unquote(m[3]!), raw: l.slice(l.indexOf(':') + 1).trim() });
  }
  return file;
}

function parseProcesses(lines: string[]): ProcessInfo[] {
  return lines.flatMap((l) => {
    const [pid, user, comm, label, ...rest] = l.split('\t');
    if (!pid || !user || !comm) return [];
    return [{ pid: Number(pid), user, comm, label: label ?? '-', args: rest.join('\t').trim() }];
  });
}

function parseGroups(groupLines: string[], primaryLines: string[]): Map<string, string[]> {
  const byGid = new Map<string, string>();
  const groups = new Map<string, string[]>();
  for (const l of groupLines) {
    const [name, , gid, members] = l.split(':');
    if (!name || gid === undefined) continue;
    byGid.set(gid, name);
    groups.set(name, members ? members.split(',').filter(Boolean) : []);
  }
  for (const l of primaryLines) {
    const [user, gid] = l.split(':');
    const group = gid === undefined ? undefined : byGid.get(gid);
    if (!user || !group) continue;
    const members = groups.get(group)!;
    if (!members.includes(user)) members.push(user);
  }
  return groups;
}

/** `LISTEN 0 128 127.0.0.1:2222 0.0.0.0:* users:(("sshd",pid=1,fd=4))` (state column present or not). */
function parseListeners(lines: string[]): Listener[] {
  return lines.flatMap((raw) => {
    const cols = raw.trim().split(/\s+/);
    const local = cols.find((c, i) => i > 0 && /:(\d+)$/.test(c) && !c.endsWith(':*'));
    const m = local ? /^(.*):(\d+)$/.exec(local) : null;
    if (!m) return [];
    const proc = /users:\(\("([^"]+)"/.exec(raw)?.[1] ?? null;
    return [{ address: m[1]!.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, ''), port: Number(m[2]), process: proc, raw: raw.trim() }];
  });
}

const SSHD_KEYS: Record<string, string> = {
  passwordauthentication: 'passwordauthentication',
  kbdinteractiveauthentication: 'kbdinteractiveauthentication',
  challengeresponseauthentication: 'kbdinteractiveauthentication',
  usepam: 'usepam',
  permitrootlogin: 'permitrootlogin',
  permitemptypasswords: 'permitemptypasswords',
  authenticationmethods: 'authenticationmethods',
};

function parseSshdT(config: string, lines: string[]): SshdConfig {
  const values: Record<string, SshdValue> = {};
  for (const l of lines) {
    const m = /^(\S+)\s+(.*)$/.exec(l.trim());
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    // listenaddress/port repeat; keep them all in one value.
    if (values[key] && (key === 'listenaddress' || key === 'port')) values[key].value += ` ${m[2]}`;
    else values[key] ??= { value: m[2]!.toLowerCase(), evidence: `sshd -T -f ${config}: ${l.trim()}` };
  }
  return { config, source: 'sshd -T', failure: null, values, denied: [], hasMatch: false };
}

/**
 * The fallback when `sshd -T` could not run: `FILE:LINE:text` lines of the config and its drop-ins.
 * sshd keeps the first value it reads; Debian's sshd_config includes sshd_config.d/*.conf at its top,
 * so drop-ins are read first when the main file includes them (an approximation, said in the evidence).
 */
function parseSshdFiles(config: string, lines: string[]): SshdConfig {
  const failure = lines[0]?.startsWith('error ') ? lines[0].slice(6) : null;
  const parsed = lines
    .slice(failure === null ? 0 : 1)
    .map((l) => /^(.*?):(\d+):(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[1]!, line: Number(m[2]), text: m[3]!.trim() }));
  const denied = parsed.filter((p) => p.line === 0 && p.text === 'denied').map((p) => p.file);
  const main = parsed.filter((p) => p.file === config && p.line > 0);
  const dropins = parsed.filter((p) => p.file !== config && p.line > 0);
  const includes = main.some((p) => /^include\b/i.test(p.text));
  const ordered = includes ? [...dropins, ...main] : main;
  const values: Record<string, SshdValue> = {};
  // Everything after a Match line belongs to that block, up to the end of its file.
  let matchFile: string | null = null;
  for (const p of ordered) {
    const m = /^(\S+?)(?:\s*=\s*|\s+)(\S+)/.exec(p.text);
    if (!m) continue;
    const word = m[1]!.toLowerCase();
    if (word === 'match') matchFile = p.file;
    if (matchFile === p.file) continue;
    const key = SSHD_KEYS[word];
    if (key) values[key] ??= { value: m[2]!.toLowerCase(), evidence: `${p.file}:${p.line}: ${p.text}` };
  }
  return { config, source: 'files', failure, values, denied, hasMatch: matchFile !== null || parsed.some((p) => /^match\b/i.test(p.text)) };
}

function parseUpdates(lines: string[], nowSeconds: number): Reading<UpdatesPosture> {
  const field = (k: string) => lines.find((l) => l.startsWith(`${k} `))?.slice(k.length + 1);
  const tool = field('tool');
  if (tool === 'none' || tool === undefined) return { ok: false, reason: 'neither apt-get nor dnf is installed on the host' };
  const rc = field('rc');
  const body = lines.filter((l) => !/^(tool|lists|rc|inst) /.test(l));
  if (tool === 'apt') {
    const lists = Number(field('lists'));
    if (!field('lists')) return { ok: false, reason: 'apt has no downloaded package lists (apt-get update never ran)' };
    const errors = body.filter((l) => /^(E|W): /.test(l));
    if (rc !== '0') return { ok: false, reason: `apt list --upgradable failed (exit ${rc ?? '?'}): ${errors.join(' ') || 'no message'}` };
    return {
      ok: true,
      value: {
        tool: 'apt',
        security: body.filter((l) => /upgradable from/.test(l)),
        total: Number(field('inst') ?? NaN),
        listsAgeDays: Number.isFinite(lists) ? Math.max(0, Math.floor((nowSeconds - lists) / 86_400)) : null,
      },
    };
  }
  if (rc !== '0')
    return { ok: false, reason: `dnf -C updateinfo failed (exit ${rc ?? '?'}; the metadata cache may be empty): ${body[0] ?? ''}` };
  return {
    ok: true,
    value: { tool: 'dnf', security: body.filter((l) => /\S+\s+\S+\s+\S+/.test(l)), total: null, listsAgeDays: null },
  };
}

const missing = (what: string): { ok: false; reason: string } => ({ ok: false, reason: `the probe did not get to ${what}` });

/** Parses the probe's output; `nowSeconds` dates the package lists. */
export function parsePosture(out: string, marker: string, nowSeconds = Date.now() / 1000): HostPosture {
  const sections = splitSections(out, marker);
  const one = (name: string) => sections.find((s) => s.name === name);
  const all = (name: string) => sections.filter((s) => s.name === name);

  const id = one('id');
  const uid = id && /^\d+$/.test(id.lines[0] ?? '') ? Number(id.lines[0]) : null;

  const files = all('file').map((s) => {
    const { path, status } = pathAndStatus(s.args);
    return parseConf(path, status, s.lines);
  });
  const sockets = (one('sockets')?.lines ?? []).flatMap((l) => {
    const [path, owner, group, mode] = l.split(' ');
    return path && owner && group && mode ? [{ path, owner, group, mode }] : [];
  });
  const procs = one('procs');
  const groups = one('groups');
  const dirs = all('polkit-dir').map((s) => pathAndStatus(s.args));
  const polkitFiles = all('polkit-file').map((s) => ({ path: s.args, text: s.lines.join('\n') }));

  const sec = one('secmodels');
  let secModels: HostPosture['secModels'] = null;
  if (sec && sec.lines.length > 0) {
    const rc = sec.lines[0]?.replace(/^rc /, '');
    const models = sec.lines.flatMap((l) => /<model>([^<]+)<\/model>/.exec(l)?.[1] ?? []);
    secModels =
      rc === '0'
        ? { ok: true, value: models }
        : { ok: false, reason: `virsh capabilities failed: ${sec.lines.filter((l) => l.startsWith('error')).join(' ') || `exit ${rc}`}` };
  }

  let domains: HostPosture['domains'] = null;
  const dl = one('domains');
  if (dl) {
    const [rc1, rc2, count] = dl.args.split(' ');
    if (rc1 !== '0' || rc2 !== '0')
      domains = { ok: false, reason: `virsh list failed: ${dl.lines.join(' ').trim() || `exit ${rc1}/${rc2}`}` };
    else {
      const items = all('domain').map((s) => {
        const [name = '', ...xml] = s.lines;
        const err = xml.filter((l) => l.startsWith('error'));
        const lines = xml.filter((l) => !l.startsWith('error'));
        // In the one-session batch virsh's errors are not kept (stderr would interleave): no <domain> line means it failed.
        const error = err.length
          ? err.join(' ')
          : lines.some((l) => l.trim().startsWith('<domain'))
            ? null
            : 'virsh printed no definition for it';
        return { name, running: s.args === 'running', xml: lines, error };
      });
      domains = { ok: true, value: { total: Number(count ?? items.length), items } };
    }
  }

  const ls = one('listeners');
  const listeners: HostPosture['listeners'] = !ls
    ? missing('the listening sockets')
    : ls.lines[0] === 'no-ss'
      ? { ok: false, reason: 'ss is not installed on the host' }
      : { ok: true, value: parseListeners(ls.lines) };

  const un = one('units');
  const units =
    un && un.lines[0] !== 'no-systemd'
      ? new Map(
          un.lines.flatMap((l) => (l.includes(' ') ? [[l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1).trim()] as const] : [])),
        )
      : null;

  const dj = one('docker-json');
  const dockerJson = dj ? { status: dj.args as 'ok' | 'missing' | 'denied', text: dj.lines.join('\n') } : null;

  const sshdSections = sections.filter((s) => s.name === 'sshd-t' || s.name === 'sshd-file');
  const sshd: HostPosture['sshd'] =
    sshdSections.length === 0
      ? missing('the SSH server settings')
      : {
          ok: true,
          value: {
            running: !one('sshd-none'),
            configs: sshdSections.map((s) => (s.name === 'sshd-t' ? parseSshdT(s.args, s.lines) : parseSshdFiles(s.args, s.lines))),
          },
        };

  const up = one('updates');
  const updates = up?.lines[0] === 'skipped' ? null : up ? parseUpdates(up.lines, nowSeconds) : missing('the pending updates');

  return {
    uid,
    files,
    sockets,
    processes: procs ? { ok: true, value: parseProcesses(procs.lines) } : missing('the process list'),
    groups: groups ? { ok: true, value: parseGroups(groups.lines, one('primary')?.lines ?? []) } : missing('the groups'),
    polkit: { dirs, files: polkitFiles },
    secModels,
    domains,
    listeners,
    units,
    dockerJson,
    sshd,
    updates,
    complete: one('end') !== undefined,
  };
}

/**
 * The CLI line that lists what a list view shows (teaching aid): `virsh list --all`, `docker ps -a`, …
 * Filters chosen in the UI become the command's own filters, so the line always lists the same thing.
 * Every value a person typed is quoted by the web's one argv quoting helper (`joinArgs`).
 */
import type { ContainerState, VmState } from '@mirador/contract';
import { joinArgs } from '$lib/containers/argv';

/** `virsh` with the host's connection URI (the one Mirador uses), or the default connection when unknown. */
function virsh(uri: string | null | undefined, ...args: string[]): string[] {
  return uri ? ['virsh', '-c', uri, ...args] : ['virsh', ...args];
}

/** virsh's own state filters; the states it has no flag for are "other". */
const VIRSH_STATE_FLAG: Record<VmState, string> = {
  running: '--state-running',
  paused: '--state-paused',
  'shut off': '--state-shutoff',
  crashed: '--state-other',
  pmsuspended: '--state-other',
  'in shutdown': '--state-other',
  unknown: '--state-other',
};

/** A name filter virsh lacks: piped through grep, matched like the UI's search (case-insensitive, fixed text). */
function grepFor(query: string | undefined): string {
  const q = query?.trim();
  return q ? ` | ${joinArgs(['grep', '-iF', '--', q])}` : '';
}

export interface VmListFilter {
  uri?: string | null;
  state?: VmState | '';
  query?: string;
}

/** `virsh -c <uri> list --all` (or `--state-running` …) for one host. */
export function vmListCommand(f: VmListFilter = {}): string {
  const args = virsh(f.uri, 'list', '--all');
  if (f.state) args.push(VIRSH_STATE_FLAG[f.state]);
  return joinArgs(args) + grepFor(f.query);
}

export interface ContainerListFilter {
  state?: ContainerState | '';
  query?: string;
  /** A compose project (the label compose puts on its containers). */
  project?: string;
}

/** `docker ps -a` with `--filter status=…`, `--filter name=…`, `--filter label=com.docker.compose.project=…`. */
export function containerListCommand(f: ContainerListFilter = {}): string {
  const args = ['docker', 'ps', '-a'];
  if (f.state) args.push('--filter', `status=${f.state}`);
  const q = f.query?.trim();
  if (q) args.push('--filter', `name=${q}`);
  if (f.project) args.push('--filter', `label=com.docker.compose.project=${f.project}`);
  return joinArgs(args);
}

/** `docker images` (only dangling ones: `--filter dangling=true`). */
export function imageListCommand(f: { dangling?: boolean; query?: string } = {}): string {
  const args = ['docker', 'images'];
  if (f.dangling) args.push('--filter', 'dangling=true');
  return joinArgs(args) + grepFor(f.query);
}

/** `docker volume ls` (unused only: `--filter dangling=true`; by name: `--filter name=…`). */
export function volumeListCommand(f: { unused?: boolean; query?: string } = {}): string {
  const args = ['docker', 'volume', 'ls'];
  if (f.unused) args.push('--filter', 'dangling=true');
  const q = f.query?.trim();
  if (q) args.push('--filter', `name=${q}`);
  return joinArgs(args);
}

/** `docker network ls` (by name: `--filter name=…`). */
export function dockerNetworkListCommand(f: { query?: string } = {}): string {
  const args = ['docker', 'network', 'ls'];
  const q = f.query?.trim();
  if (q) args.push('--filter', `name=${q}`);
  return joinArgs(args);
}

/** `virsh -c <uri> net-list --all`. */
export function libvirtNetworkListCommand(uri?: string | null): string {
  return joinArgs(virsh(uri, 'net-list', '--all'));
}

/** `virsh -c <uri> pool-list --all`. */
export function poolListCommand(uri?: string | null): string {
  return joinArgs(virsh(uri, 'pool-list', '--all'));
}

/** `virsh -c <uri> vol-list <pool> --details`. */
export function volListCommand(pool: string, uri?: string | null): string {
  return joinArgs(virsh(uri, 'vol-list', pool, '--details'));
}

/** One command per host, each under a `# host` comment, for a list that spans hosts. */
export function perHost(hosts: readonly { name: string; command: string }[]): string {
  if (hosts.length === 1) return hosts[0]?.command ?? '';
  return hosts.map((h) => `# ${h.name.replace(/[\r\n]/g, ' ')}\n${h.command}`).join('\n');
}

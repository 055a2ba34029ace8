/**
 * Which processes on the lab host belong to this test run: the lab is shared, so other runs' `virsh
 * event` or console processes must not be mistaken for ours. They are found through the sshd sessions
 * serving this process's own SSH connections, and what runs below them. Linux /proc only.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** virsh itself, not the script(1) or shell that started it. */
export const EVENT_FOLLOWER = /^virsh -c \S+ event --all --loop/;

export interface Proc {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  args: string;
}

/** Every live process (zombies count as gone). */
export function processes(): Map<number, Proc> {
  const table = new Map<number, Proc>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1] ?? -1);
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim();
      table.set(Number(d), { pid: Number(d), ppid: Number(ppid), uid, comm, args });
    } catch {
      /* exited while we looked */
    }
  }
  return table;
}

export const isRunning = (pid: number) => processes().has(pid);

/** The processes below `roots` (any depth: shells and sshd sit between), roots excluded. */
export function descendants(roots: number[], table = processes()): Proc[] {
  const below = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of table)
      if (!below.has(pid) && below.has(p.ppid)) {
        below.add(pid);
        grew = true;
      }
  }
  return [...below].filter((pid) => !roots.includes(pid)).map((pid) => table.get(pid)!);
}

/** `virsh event` processes below the given processes. */
export const followersUnder = (roots: number[]): number[] =>
  descendants(roots)
    .filter((p) => EVENT_FOLLOWER.test(p.args))
    .map((p) => p.pid)
    .sort();

/** Every `virsh event` process on the host whose command line names this URI. */
export const allFollowers = (uri: string) =>
  [...processes().values()].filter((p) => EVENT_FOLLOWER.test(p.args) && p.args.includes(` ${uri} `)).map((p) => p.pid);

const socketInodes = (pid: number | 'self') =>
  new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''];
      } catch {
        return [];
      }
    }),
  );

/** IPv4 TCP sockets: inode → local and remote port. */
function tcpSockets() {
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 9)
    .map((f) => ({ local: parseInt(f[1]!.split(':')[1]!, 16), remote: parseInt(f[2]!.split(':')[1]!, 16), inode: f[9]! }));
}

/** The sshd processes serving this process's TCP connections to `sshPort` (a proxy in this process counts). */
export function ourSshSessions(sshPort: number, table = processes()): number[] {
  const mine = socketInodes('self');
  const sockets = tcpSockets();
  const ourPorts = new Set(sockets.filter((s) => mine.has(s.inode) && s.remote === sshPort).map((s) => s.local));
  const theirInodes = new Set(sockets.filter((s) => s.local === sshPort && ourPorts.has(s.remote)).map((s) => s.inode));
  const sessions: number[] = [];
  for (const p of table.values()) {
    if (p.comm !== 'sshd' && !p.args.startsWith('sshd')) continue;
    try {
      if ([...socketInodes(p.pid)].some((i) => theirInodes.has(i))) sessions.push(p.pid);
    } catch {
      /* exited while we looked */
    }
  }
  return sessions;
}

/** Our sshd sessions to `sshPort` and everything that runs below them. */
export function ourSshSessionTree(sshPort: number): Proc[] {
  const table = processes();
  return descendants(ourSshSessions(sshPort, table), table);
}

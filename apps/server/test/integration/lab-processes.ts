/**
 * Which processes on the lab host belong to this test run (the lab is shared: other runs start
 * their own `virsh event` processes, which must not be mistaken for ours). Linux /proc only.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** virsh itself, not the script(1) or shell that started it. */
export const EVENT_FOLLOWER = /^virsh -c \S+ event --all --loop/;

/** Every live process: parent and command line (zombies count as gone). */
export function processes(): Map<number, { ppid: number; args: string }> {
  const table = new Map<number, { ppid: number; args: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      table.set(Number(d), { ppid: Number(ppid), args: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      /* exited while we looked */
    }
  }
  return table;
}

/** `virsh event` processes below the given processes (any depth: shells and sshd sit between). */
export function followersUnder(roots: number[]): number[] {
  const table = processes();
  const below = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of table)
      if (!below.has(pid) && below.has(p.ppid)) {
        below.add(pid);
        grew = true;
      }
  }
  return [...below].filter((pid) => !roots.includes(pid) && EVENT_FOLLOWER.test(table.get(pid)?.args ?? '')).sort();
}

/** Every `virsh event` process on the host whose command line names this URI. */
export const allFollowers = (uri: string) =>
  [...processes()].filter(([, p]) => EVENT_FOLLOWER.test(p.args) && p.args.includes(` ${uri} `)).map(([pid]) => pid);

export const isRunning = (pid: number) => processes().has(pid);

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

/** The lab sshd processes serving this process's TCP connections to `sshPort` (a proxy in this process counts). */
export function ourSshSessions(sshPort: number): number[] {
  const mine = socketInodes('self');
  const sockets = tcpSockets();
  const ourPorts = new Set(sockets.filter((s) => mine.has(s.inode) && s.remote === sshPort).map((s) => s.local));
  const theirInodes = new Set(sockets.filter((s) => s.local === sshPort && ourPorts.has(s.remote)).map((s) => s.inode));
  const sessions: number[] = [];
  for (const [pid, p] of processes()) {
    if (!p.args.startsWith('sshd')) continue;
    try {
      if ([...socketInodes(pid)].some((i) => theirInodes.has(i))) sessions.push(pid);
    } catch {
      /* exited while we looked */
    }
  }
  return sessions;
}

import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { readLab, type Lab } from '../helpers/lab.js';

/**
 * The lab pieces the fault suite may kill and start again (scripts/lab/fault-sshd.sh, fault-docker.sh):
 * never the lab's own daemons, which other tests use at the same time. Each records in lab.json the
 * command that starts it, so a test brings it back exactly as `lab.sh up` does.
 */
export interface FaultLab extends Lab {
  faultSshd: {
    host: string;
    port: number;
    hostKeyFingerprint: string;
    knownHostsPath: string;
    pidFile: string;
    logFile: string;
    command: string[];
  };
  faultDocker: { socket: string; pidFile: string; logFile: string; command: string[] };
}

export function readFaultLab(): FaultLab {
  const lab = readLab() as Partial<FaultLab> & Lab;
  if (!lab.faultSshd || !lab.faultDocker)
    throw new Error('The lab has no fault pieces (faultSshd, faultDocker): run bash scripts/lab.sh up');
  return lab as FaultLab;
}

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

/** The processes below `roots` (any depth), roots excluded. */
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

export const alive = (pid: number) => processes().has(pid);

/** The pid a pid file names, if that process is alive. */
export function pidFromFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Starts a lab daemon again the way lab.sh does: its own session, output appended to its log, not our child to wait for. */
export function spawnDetached(command: string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    return child.pid!;
  } finally {
    closeSync(fd);
  }
}

/** Virsh processes (event followers, consoles) of a process list. */
export const virshOf = (procs: Proc[]) => procs.filter((p) => /^virsh .*\b(event|console)\b/.test(p.args));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/**
 * The sshd processes serving this process's SSH connections to `sshPort`, and what runs below them: other
 * test runs share the lab, so their virsh processes must not be mistaken for ours.
 */
export function ourSshSessionTree(sshPort: number): Proc[] {
  const mine = socketInodes('self');
  const sockets = tcpSockets();
  const ourPorts = new Set(sockets.filter((s) => mine.has(s.inode) && s.remote === sshPort).map((s) => s.local));
  const theirInodes = new Set(sockets.filter((s) => s.local === sshPort && ourPorts.has(s.remote)).map((s) => s.inode));
  const table = processes();
  const sessions: number[] = [];
  for (const p of table.values()) {
    if (p.comm !== 'sshd') continue;
    try {
      if ([...socketInodes(p.pid)].some((i) => theirInodes.has(i))) sessions.push(p.pid);
    } catch {
      /* exited while we looked */
    }
  }
  return descendants(sessions, table);
}

/**
 * Waits (at most 5 s) until the server has no file being written in its data dir: the audit head is written
 * to a temp file and renamed, so a record appended as a stream closes can be caught mid-write.
 */
export async function dataDirSettled(dataDir: string): Promise<void> {
  const until = Date.now() + 5_000;
  while (readdirSync(dataDir).some((f) => f.endsWith('.tmp')) && Date.now() < until) await sleep(100);
}

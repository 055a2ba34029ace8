import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { readLab, type Lab } from '../helpers/lab.js';
import { isRunning, type Proc } from '../helpers/lab-processes.js';

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

/** The pid a pid file names, if that process is alive. */
export function pidFromFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 && isRunning(pid) ? pid : null;
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

/**
 * Waits (at most 5 s) until the server has no file being written in its data dir: the audit head is written
 * to a temp file and renamed, so a record appended as a stream closes can be caught mid-write.
 */
export async function dataDirSettled(dataDir: string): Promise<void> {
  const until = Date.now() + 5_000;
  while (readdirSync(dataDir).some((f) => f.endsWith('.tmp')) && Date.now() < until) await sleep(100);
}

// Test helpers for the real lab sshd (bash scripts/lab.sh up). Never skips: a missing lab fails loudly.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { SshHostConnection, type SshHostConnectionOptions } from '../src/host-connection.js';
import { LocalRunner, type LocalRunnerOptions } from '../src/local-runner.js';
import type { CommandRunner, ConnectionState, StateDetail } from '../src/runner.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LAB_DIR = resolve(ROOT, '.lab');

export interface Lab {
  ssh: { host: string; port: number; user: string; privateKeyPath: string; hostKeyFingerprint: string };
  sshImpostor: { port: number; hostKeyFingerprint: string };
}

export function lab(): Lab {
  const file = resolve(LAB_DIR, 'lab.json');
  if (!existsSync(file)) throw new Error(`The test lab is not set up (${file} missing): run \`bash scripts/lab.sh up\` as root`);
  return JSON.parse(readFileSync(file, 'utf8')) as Lab;
}

/** Pid of the lab's listening sshd on `port`; throws if it is not running. */
export function sshdMasterPid(port: number): number {
  const pidFile = resolve(LAB_DIR, 'pids', `sshd-${port}.pid`);
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
  if (!(pid > 0) || !existsSync(`/proc/${pid}`)) {
    throw new Error(`The lab sshd on port ${port} is not running (pid file ${pidFile}): run \`bash scripts/lab.sh up\``);
  }
  return pid;
}

export function labTarget(over: Partial<SshHostConnectionOptions> = {}): SshHostConnectionOptions {
  const l = lab();
  sshdMasterPid(l.ssh.port);
  return {
    host: l.ssh.host,
    port: l.ssh.port,
    username: l.ssh.user,
    privateKey: readFileSync(l.ssh.privateKeyPath, 'utf8'),
    expectedFingerprint: l.ssh.hostKeyFingerprint,
    ...over,
  };
}

function ss(filter: string): string[] {
  return execFileSync('ss', ['-tnpH', 'state', 'established', filter], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim());
}

/** Established TCP connections from this process to the lab sshd. */
export function ourConnectionsTo(port: number): string[] {
  return ss(`( dport = :${port} )`).filter((l) => l.includes(`pid=${process.pid},`));
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * The sshd processes serving the connection whose client side is 127.0.0.1:`clientPort`: found by
 * socket, and checked to be children of the lab's sshd master (which is never touched).
 */
export function sshdServing(port: number, clientPort: number): number[] {
  const master = sshdMasterPid(port);
  const pids = new Set<number>();
  for (const line of ss(`( sport = :${port} and dport = :${clientPort} )`)) {
    for (const m of line.matchAll(/pid=(\d+)/g)) pids.add(Number(m[1]));
  }
  pids.delete(master);
  if (pids.size === 0) throw new Error(`No sshd process found serving client port ${clientPort}`);
  for (const pid of pids) {
    if (parentOf(pid) !== master) throw new Error(`pid ${pid} is not a child of the lab sshd ${master}; refusing to touch it`);
  }
  return [...pids];
}

/** pid and all its descendants (children first in the returned order does not matter for SIGKILL). */
export function withDescendants(pids: number[]): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out = new Set(pids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of rows) {
      if (out.has(ppid) && !out.has(pid)) {
        out.add(pid);
        grew = true;
      }
    }
  }
  return [...out];
}

export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function processesMatching(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() && !l.includes('pgrep'));
  } catch {
    return [];
  }
}

/** Pids whose full command line is exactly `cmdline` (for markers unique to this test process). */
export function pidsOf(cmdline: string): number[] {
  return processesMatching(cmdline)
    .map((l) => /^(\d+) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[2] === cmdline)
    .map((m) => Number(m[1]));
}

export async function waitFor(what: string | (() => string), cond: () => boolean, timeoutMs: number, stepMs = 25): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return Date.now() - t0;
}

/** Records 'state' events with their time. */
export function recordStates(runner: CommandRunner): Array<{ state: ConnectionState; detail: StateDetail; at: number }> {
  const seen: Array<{ state: ConnectionState; detail: StateDetail; at: number }> = [];
  runner.on('state', (state, detail) => seen.push({ state, detail, at: Date.now() }));
  return seen;
}

/** Collects a channel's output as text and waits for a pattern in it. */
export function collect(ch: { on(event: 'data', fn: (b: Buffer) => void): unknown }) {
  let text = '';
  ch.on('data', (b: Buffer) => (text += b.toString('utf8')));
  return {
    get text() {
      return text;
    },
    async waitFor(re: RegExp, timeoutMs = 30_000): Promise<void> {
      await waitFor(
        () => `${re} in output ${JSON.stringify(text.slice(-300))}`,
        () => re.test(text),
        timeoutMs,
      );
    },
  };
}

/**
 * Runner factories for a test file: every runner they make is closed after each test. Call once at
 * the top of the file (it registers the afterEach hook).
 */
export function runnersClosedAfterEach() {
  const open: CommandRunner[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  const track = <R extends CommandRunner>(r: R): R => {
    open.push(r);
    return r;
  };
  return {
    connection: (over: Partial<SshHostConnectionOptions> = {}) => track(new SshHostConnection(labTarget(over))),
    local: (opts: LocalRunnerOptions = {}) => track(new LocalRunner(opts)),
  };
}

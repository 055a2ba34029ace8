import type Docker from 'dockerode';
import { engineMessage } from './docker-errors.js';

/**
 * Docker has no API to end an exec: closing its stream leaves the process running in the
 * container. So a terminal's command starts through this POSIX-sh wrapper, which first tells its
 * own pid (as the container sees it) and then becomes the command with `exec`, keeping that pid.
 * The report is an OSC sequence, which a terminal ignores should it ever reach one, and is
 * stripped from the stream. No bash, no printf binary: `printf` is a builtin of dash, BusyBox ash and bash.
 */
export function withPidReport(argv: string[]): string[] {
  return ['/bin/sh', '-c', `printf '\\033]7770;mirador-pid=%s\\007' "$$"; exec "$@"`, 'sh', ...argv];
}

const PID_REPORT = /\x1b\]7770;mirador-pid=(\d{1,10})\x07/;
/** The report comes first; if it is not in the first output, the wrapper did not run (no /bin/sh). */
const MAX_REPORT_WAIT_CHARS = 256;

/**
 * Reads the pid report off the front of a terminal's output. `push` returns what the viewers may
 * see; `pid` is set once the report was found, and `gaveUp` when it will not come.
 */
export class PidReportReader {
  pid: number | null = null;
  gaveUp = false;
  private head = '';

  push(text: string): string {
    if (this.pid !== null || this.gaveUp) return text;
    this.head += text;
    const m = PID_REPORT.exec(this.head);
    if (m) {
      this.pid = Number(m[1]);
      const rest = this.head.slice(0, m.index) + this.head.slice(m.index + m[0].length);
      this.head = '';
      return rest;
    }
    if (this.head.length < MAX_REPORT_WAIT_CHARS) return '';
    return this.giveUp();
  }

  /** The stream ended or the wait is over: what was held back goes to the viewers. */
  giveUp(): string {
    if (this.pid !== null || this.gaveUp) return '';
    this.gaveUp = true;
    const rest = this.head;
    this.head = '';
    return rest;
  }
}

interface Log {
  warn(obj: unknown, msg: string): void;
}

const POLL_MS = 100;
/** How long each signal gets to end the process before the next, stronger one. */
const GRACE_MS = 1_500;

/**
 * Ends a terminal's process: HUP (what a closed terminal sends; shells exit on it and pass it to
 * their jobs), then KILL, each through a second exec running the shell's builtin `kill` (no procps
 * needed), first as the terminal's own user, then as root (the shell may have become another user).
 * The exec's `Running` is checked before each signal so a pid is only signalled while it is still
 * the terminal's. Never throws: a stopped or removed container simply has nothing left to end.
 */
export async function endExecProcess(
  container: Docker.Container,
  exec: Docker.Exec,
  pid: number,
  user: string | undefined,
  log: Log,
): Promise<boolean> {
  const running = async () => (await exec.inspect().catch(() => null))?.Running === true;
  const steps: Array<[signal: 'HUP' | 'KILL', user: string | undefined]> = [
    ['HUP', user],
    ['KILL', user],
  ];
  if (user !== '0' && user !== 'root' && !user?.startsWith('0:')) steps.push(['KILL', '0']);
  for (const [signal, as] of steps) {
    if (!(await running())) return true;
    try {
      const killer = await container.exec({
        Cmd: ['/bin/sh', '-c', `kill -${signal} "$1"`, 'sh', String(pid)],
        AttachStdout: false,
        AttachStderr: false,
        ...(as ? { User: as } : {}),
      });
      await killer.start({ Detach: true });
    } catch (err) {
      // The container stopped or went away meanwhile: its processes went with it.
      if (!(await running())) return true;
      log.warn({ err: engineMessage(err), pid, signal }, 'could not signal a closed terminal');
      continue;
    }
    for (let waited = 0; waited < GRACE_MS; waited += POLL_MS) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (!(await running())) return true;
    }
  }
  const gone = !(await running());
  if (!gone) log.warn({ pid }, 'a closed terminal is still running in its container');
  return gone;
}

/**
 * The endings under way, so that the server waits for them when it shuts down (a shell must not
 * outlive Mirador's close because the engine connection went first).
 */
export class ExecReaper {
  private pending = new Set<Promise<unknown>>();

  track(ending: Promise<unknown>) {
    const settled = ending.catch(() => {}).finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  /** Resolves when every ending is done, or after `timeoutMs`. */
  async settle(timeoutMs: number) {
    if (!this.pending.size) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.pending]), timeout]);
    clearTimeout(timer);
  }
}

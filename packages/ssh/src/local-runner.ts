import { spawn as spawnChild, execFile, type ChildProcess } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { SshError } from './errors.js';
import type { ExecResult } from './exec.js';
import { runExec } from './exec-job.js';
import { toCommandLine } from '@mirador/argv';
import { StateEmitter } from './state-emitter.js';
import {
  BaseProcessChannel,
  Semaphore,
  assertTcpPort,
  sshSignalName,
  type CommandRunner,
  type ConnectionState,
  type ProcessChannel,
  type RunExecOptions,
  type RunnerLoad,
  type SpawnOptions,
} from './runner.js';

export interface LocalRunnerOptions {
  /** Concurrent `exec`s; more wait in a FIFO queue. Default 8. */
  maxConcurrent?: number;
  /** Concurrent `spawn`ed processes; more are refused. Default 16. */
  maxChannels?: number;
  /** Default `exec` timeout, queue time included. Default 30 s. */
  defaultTimeoutMs?: number;
  /** Environment of the processes (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const WHERE = 'the local host';

/** Signal name of a local exit in the SSH spelling (`KILL`, not `SIGKILL`), like remote results. */
function sigName(signal: NodeJS.Signals | null): string | null {
  return signal ? sshSignalName(signal) : null;
}

/** Sends a signal to a child's whole process group (children are started as group leaders). */
function killGroup(child: ChildProcess, signal: string): void {
  const sig = `SIG${sshSignalName(signal)}` as NodeJS.Signals;
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

/** What a shell would report for a command that cannot be started: 127 not found, 126 not executable. */
function spawnFailure(argv0: string, err: NodeJS.ErrnoException): { code: number; message: string } {
  if (err.code === 'ENOENT') return { code: 127, message: `${argv0}: command not found\n` };
  return { code: 126, message: `${argv0}: ${err.message}\n` };
}

/**
 * The 'local' host (Mirador on the lab server itself): the same CommandRunner contract over local
 * processes. argv goes straight to execve (child_process.spawn without a shell) — nothing is
 * interpreted. A pty is provided by util-linux `script`, the only place a shell is involved, and
 * there the command line comes from the one quoting helper, toCommandLine.
 */
export class LocalRunner extends StateEmitter implements CommandRunner {
  private _state: ConnectionState = 'online';
  private readonly slots: Semaphore;
  private readonly maxChannels: number;
  private readonly defaultTimeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cwd?: string;
  private readonly jobs = new Set<(err: SshError) => void>();
  private readonly channels = new Set<LocalProcessChannel>();
  private closing: Promise<void> | null = null;

  constructor(opts: LocalRunnerOptions = {}) {
    super();
    this.slots = new Semaphore(opts.maxConcurrent ?? 8);
    this.maxChannels = opts.maxChannels ?? 16;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 30_000;
    this.env = opts.env ?? process.env;
    this.cwd = opts.cwd;
  }

  get state(): ConnectionState {
    return this._state;
  }

  get load(): RunnerLoad {
    return { running: this.slots.running, queued: this.slots.queued, channels: this.channels.size };
  }

  /** Nothing to connect; kept for symmetry with SshHostConnection. */
  async connect(): Promise<void> {
    if (this.closing) throw this.closedError();
  }

  exec(argv: readonly string[], opts: RunExecOptions = {}): Promise<ExecResult> {
    const host = {
      where: WHERE,
      slots: this.slots,
      defaultTimeoutMs: this.defaultTimeoutMs,
      closed: this.closing ? this.closedError() : null,
    };
    return runExec(argv, opts, host, (job) => {
      const c = spawnChild(argv[0]!, argv.slice(1), {
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true, // own process group: a timeout kills the command and its children
        env: this.env,
        cwd: this.cwd,
      });
      const kill = () => killGroup(c, 'KILL');
      job.started(kill);
      const onClose = (err: SshError) => {
        kill();
        job.fail(err);
      };
      this.jobs.add(onClose);
      job.onFinish(() => this.jobs.delete(onClose));
      c.on('error', (err: NodeJS.ErrnoException) => {
        if (c.pid !== undefined) return; // a late error of a started process; 'close' follows
        const f = spawnFailure(argv[0]!, err);
        job.errOut.push(Buffer.from(f.message));
        job.complete(f.code, null);
      });
      c.stdout!.on('data', (d: Buffer) => job.out.push(d));
      c.stderr!.on('data', (d: Buffer) => job.errOut.push(d));
      c.stdin!.on('error', () => {}); // EPIPE when the command does not read its input
      c.on('close', (code, sig) => {
        if (c.pid === undefined) return; // could not start: reported by 'error'
        job.complete(code, sigName(sig));
      });
      if (opts.stdin !== undefined) c.stdin!.end(opts.stdin);
      else c.stdin!.end();
    });
  }

  async spawn(argv: readonly string[], opts: SpawnOptions = {}): Promise<ProcessChannel> {
    const command = toCommandLine(argv);
    if (this.closing) throw this.closedError();
    if (this.channels.size >= this.maxChannels) {
      throw new SshError('ssh_error', `Too many open channels on ${WHERE} (limit ${this.maxChannels}): close a console first`);
    }
    const pty = opts.pty;
    let child: ChildProcess;
    if (pty) {
      // util-linux script(1) allocates the pty and runs `$SHELL -c <line>`: SHELL is pinned to
      // /bin/sh and <line> is built by toCommandLine. The initial size is set inside the pty before
      // the command starts; later resizes go through stty -F on the pty (see resize()).
      const line = `stty rows ${int(pty.rows)} cols ${int(pty.cols)} 2>/dev/null; exec ${command}`;
      child = spawnChild('script', ['-qfec', line, '/dev/null'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        env: { ...this.env, TERM: pty.term ?? 'xterm-256color', SHELL: '/bin/sh' },
        cwd: this.cwd,
      });
    } else {
      child = spawnChild(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: this.env, cwd: this.cwd });
    }
    const channel = new LocalProcessChannel(child, Boolean(pty), pty ? 'script' : argv[0]!, () => this.channels.delete(channel));
    this.channels.add(channel);
    return channel;
  }

  /** A TCP connection to 127.0.0.1:port on this machine; it fails like the SSH variant when nothing listens. */
  openLoopbackPort(port: number): Promise<Duplex> {
    assertTcpPort(port);
    if (this.closing) return Promise.reject(this.closedError());
    return new Promise<Duplex>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => reject(new SshError('ssh_error', `Could not reach 127.0.0.1:${port}: ${err.message}`)));
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    const err = this.closedError();
    this.closing = (async () => {
      this.slots.flush(err);
      for (const fail of [...this.jobs]) fail(err);
      this.jobs.clear();
      const exits = [...this.channels].map(
        (ch) => new Promise<void>((resolve) => (ch.exited ? resolve() : ch.once('exit', () => resolve()))),
      );
      for (const ch of [...this.channels]) ch.kill('KILL');
      await Promise.all(exits);
    })();
    this.setState('closed');
    return this.closing;
  }

  private setState(state: ConnectionState): void {
    if (state === this._state) return;
    this._state = state;
    this.tellState('LocalRunner', state, {});
  }

  private closedError(): SshError {
    return new SshError('unreachable', `The runner for ${WHERE} was closed`);
  }
}

function int(n: number): number {
  const v = Math.trunc(Number(n));
  if (!Number.isFinite(v) || v < 1 || v > 10_000) throw new Error(`Invalid terminal size ${n}`);
  return v;
}

class LocalProcessChannel extends BaseProcessChannel {
  private ptsPath: string | null = null;
  private wantedSize: { cols: number; rows: number } | null = null;
  private resizing = false;

  constructor(
    private readonly child: ChildProcess,
    pty: boolean,
    private readonly argv0: string,
    private readonly onEnd: () => void,
  ) {
    super(pty);
    child.stdin!.on('error', () => {});
    child.stdin!.on('drain', () => this.emit('drain'));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      const f = spawnFailure(this.argv0, err);
      setImmediate(() => {
        this.emit('stderr', Buffer.from(f.message));
        this.end(f.code, null);
      });
    });
    // Like child_process itself: output flows from the next turn of the event loop.
    setImmediate(() => {
      if (this.exited) return;
      child.stdout!.on('data', (d: Buffer) => this.emit('data', d));
      child.stderr!.on('data', (d: Buffer) => this.emit('stderr', d));
      child.on('close', (code, sig) => {
        if (child.pid !== undefined) this.end(code, sigName(sig));
      });
    });
  }

  write(data: string | Buffer): boolean {
    if (this.exited || !this.child.stdin!.writable) return true;
    return this.child.stdin!.write(data);
  }

  endInput(): void {
    if (!this.exited) this.child.stdin!.end();
  }

  pause(): void {
    this.child.stdout?.pause();
  }

  resume(): void {
    this.child.stdout?.resume();
  }

  /** Sets the pty size with `stty -F <pty> rows R cols C`; the kernel then sends SIGWINCH. */
  resize(cols: number, rows: number): void {
    if (!this.pty || this.exited) return;
    this.wantedSize = { cols: int(cols), rows: int(rows) };
    if (!this.resizing) void this.applySize();
  }

  private async applySize(): Promise<void> {
    this.resizing = true;
    try {
      while (this.wantedSize && !this.exited) {
        const { cols, rows } = this.wantedSize;
        this.wantedSize = null;
        const pts = this.ptsPath ?? (this.ptsPath = await this.findPts());
        if (!pts) return;
        await new Promise<void>((resolve) => {
          execFile('stty', ['-F', pts, 'rows', String(rows), 'cols', String(cols)], { timeout: 5_000 }, () => resolve());
        });
      }
    } finally {
      this.resizing = false;
    }
  }

  /** The pty slave: stdin of script's child (the command, which runs in its own session on it). */
  private async findPts(): Promise<string | null> {
    const pid = this.child.pid;
    if (pid === undefined) return null;
    for (let i = 0; i < 50 && !this.exited; i++) {
      try {
        const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
        for (const kid of kids) {
          const link = await readlink(`/proc/${kid}/fd/0`).catch(() => '');
          if (/^\/dev\/pts\/\d+$/.test(link)) return link;
        }
      } catch {
        return null; // no /proc (or the process is gone): resize is a no-op
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  }

  kill(signal = 'TERM'): void {
    if (this.exited) return;
    const name = sshSignalName(signal);
    killGroup(this.child, name);
    this.armGrace(() => {
      killGroup(this.child, 'KILL');
      this.end(null, name);
    });
  }

  private end(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.onEnd();
    this.finish(code, signal);
  }
}

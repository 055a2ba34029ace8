import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { SshErrorCode } from './errors.js';
import type { ExecOptions, ExecResult } from './exec.js';

/**
 * - `idle`: never connected (connections are opened lazily, or by `connect()`).
 * - `connecting`: a connection attempt is in flight.
 * - `online`: commands run.
 * - `offline`: the host cannot be reached (refused, timed out, dropped); reconnecting with backoff.
 * - `error`: the host answered but we refuse it or it refuses us (host key mismatch, auth failed,
 *   no credentials, protocol error); retried slowly, or at once after `updateTarget()`.
 * - `closed`: `close()` was called; terminal.
 */
export type ConnectionState = 'idle' | 'connecting' | 'online' | 'offline' | 'error' | 'closed';

export interface StateDetail {
  message?: string;
  code?: SshErrorCode;
}

export type StateListener = (state: ConnectionState, detail: StateDetail) => void;

export interface RunExecOptions extends ExecOptions {
  /**
   * Budget for the whole call: waiting for a free slot, waiting for the connection, and running.
   * Defaults to the runner's `defaultTimeoutMs`.
   */
  timeoutMs?: number;
  /** Aborting kills the command (if it started) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface PtyOptions {
  cols: number;
  rows: number;
  /** $TERM for the process; default `xterm-256color`. */
  term?: string;
}

export interface SpawnOptions {
  /** Allocate a pseudo-terminal (consoles, interactive shells). */
  pty?: PtyOptions;
}

export interface RunnerLoad {
  /** `exec`s holding a slot (at most `maxConcurrent`). */
  running: number;
  /** `exec`s waiting for a slot. */
  queued: number;
  /** Open `spawn`ed channels (at most `maxChannels`). */
  channels: number;
}

/**
 * A long-lived process: `virsh event --all --loop`, `virsh console x`, a shell.
 *
 * Output starts flowing on the next turn of the event loop after `spawn()` resolves:
 * attach listeners right after `await`ing it.
 */
export interface ProcessChannel extends EventEmitter {
  readonly pty: boolean;
  /** True once 'exit' has been emitted. */
  readonly exited: boolean;
  /** Writes to stdin; false when the pipe or SSH window is full: wait for 'drain' before writing more. */
  write(data: string | Buffer): boolean;
  /** Closes stdin: the process reads end-of-file (an upload is complete). */
  endInput?(): void;
  /** Changes the terminal size; a no-op without a pty or after exit. */
  resize(cols: number, rows: number): void;
  /**
   * Sends `signal` (default `TERM`; `KILL`/`SIGKILL` spellings both work) and closes the channel.
   * 'exit' follows; at the latest after a short grace period.
   */
  kill(signal?: string): void;
  /**
   * Flow control for big outputs (a disk image streamed to a browser): stops reading stdout until
   * `resume()`, so the sender is held back by the SSH window or the pipe instead of filling memory.
   */
  pause?(): void;
  resume?(): void;
  on(event: 'data' | 'stderr', fn: (chunk: Buffer) => void): this;
  on(event: 'drain', fn: () => void): this;
  /** Exactly once: when the process ends, when it is killed, or when the connection drops (code null). */
  on(event: 'exit', fn: (code: number | null, signal: string | null) => void): this;
  once(event: 'data' | 'stderr', fn: (chunk: Buffer) => void): this;
  once(event: 'exit', fn: (code: number | null, signal: string | null) => void): this;
  // EventEmitter's own listener type (these overloads must stay assignable from a stream).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string | symbol, fn: (...args: any[]) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  once(event: string | symbol, fn: (...args: any[]) => void): this;
}

/** What drivers (libvirt, docker-over-ssh, …) run commands through: a remote host or this machine. */
export interface CommandRunner {
  readonly state: ConnectionState;
  readonly load: RunnerLoad;
  /**
   * Runs argv and collects its output.
   * - Resolves with `timedOut: true` when the command was sent but did not finish in time (it was killed).
   * - Rejects with `SshError('timeout')` when the time ran out before the command was sent
   *   (queued behind `maxConcurrent` others, or still connecting): it never ran.
   * - Rejects with `SshError('unreachable' | 'host_key_mismatch' | 'auth_failed' | …)` when the
   *   host is not usable or the connection dropped while the command ran (it may have run partly).
   */
  exec(argv: readonly string[], opts?: RunExecOptions): Promise<ExecResult>;
  spawn(argv: readonly string[], opts?: SpawnOptions): Promise<ProcessChannel>;
  /**
   * A TCP byte stream to `port` on the host's own loopback (127.0.0.1), such as a VM's VNC display.
   * Only loopback: a caller can never aim it at another machine, and what listens there is the host's.
   */
  openLoopbackPort(port: number): Promise<Duplex>;
  on(event: 'state', fn: StateListener): this;
  off(event: 'state', fn: StateListener): this;
  /** Ends every command and channel; no reconnects, no timers left. Idempotent. */
  close(): Promise<void>;
}

/** `KILL` / `SIGKILL` → `KILL` (the SSH spelling). */
export function sshSignalName(signal: string): string {
  return signal.toUpperCase().replace(/^SIG/, '');
}

/** FIFO counting semaphore whose waiters can give up (timeout/abort) and be flushed. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ grant: (release: () => void) => void; fail: (err: unknown) => void }> = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error('Semaphore limit must be at least 1');
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function (idempotent). `cancel` removes a still-waiting request. */
  acquire(): { promise: Promise<() => void>; cancel: (err: unknown) => void } {
    let waiter: (typeof this.waiters)[number] | null = null;
    const promise = new Promise<() => void>((resolve, reject) => {
      if (this.active < this.limit) {
        this.active++;
        resolve(this.releaser());
        return;
      }
      waiter = { grant: resolve, fail: reject };
      this.waiters.push(waiter);
    });
    const cancel = (err: unknown) => {
      if (!waiter) return;
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) {
        this.waiters.splice(i, 1);
        waiter.fail(err);
      }
    };
    return { promise, cancel };
  }

  /** Rejects every waiter (used by close()). */
  flush(err: unknown): void {
    for (const w of this.waiters.splice(0)) w.fail(err);
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next.grant(this.releaser());
      else this.active--;
    };
  }
}

/** The grace period between asking a process/channel to end and reporting it ended anyway. */
/** TCP ports are 1–65535; anything else is a caller's mistake, refused before a connection is tried. */
export function assertTcpPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`Invalid TCP port ${port}`);
}

export const KILL_GRACE_MS = 2_000;

/** Base for ProcessChannel implementations: guarantees a single 'exit'. */
export abstract class BaseProcessChannel extends EventEmitter implements ProcessChannel {
  private done = false;
  private graceTimer: NodeJS.Timeout | null = null;

  constructor(readonly pty: boolean) {
    super();
  }

  get exited(): boolean {
    return this.done;
  }

  abstract write(data: string | Buffer): boolean;
  abstract resize(cols: number, rows: number): void;
  abstract kill(signal?: string): void;

  /** Emits 'exit' once; later calls are ignored. */
  protected finish(code: number | null, signal: string | null): void {
    if (this.done) return;
    this.done = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.emit('exit', code, signal);
  }

  /** After kill(): report exit anyway if the other side never confirms. */
  protected armGrace(onExpire: () => void): void {
    if (this.done || this.graceTimer) return;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      onExpire();
    }, KILL_GRACE_MS);
  }
}

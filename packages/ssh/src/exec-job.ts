import { SshError } from './errors.js';
import type { ExecResult } from './exec.js';
import { toCommandLine } from '@mirador/argv';
import { KILL_GRACE_MS, type RunExecOptions, type Semaphore } from './runner.js';

/**
 * The bookkeeping of one `CommandRunner.exec`, written once for SshHostConnection and LocalRunner:
 * a slot under `maxConcurrent`, the budget timer (queue wait included), the abort signal, output
 * capped per stream, killing a started command, and answering the caller exactly once. A runner
 * only says how to start the command (`start`), how to kill it (`job.started(kill)`), and when it
 * ended (`job.complete` / `job.fail`).
 */

export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** Collects a stream's output up to a byte cap (the rest is counted and dropped). */
export class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    if (this.length < this.max) this.chunks.push(this.length + chunk.length > this.max ? chunk.subarray(0, this.max - this.length) : chunk);
    this.length += chunk.length;
  }

  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * queued → (connecting → opening →) running. Before `running` nothing was sent; `opening` = sent
 * but not confirmed (SSH only: the channel is being opened).
 */
export type ExecPhase = 'queued' | 'connecting' | 'opening' | 'running';

export interface ExecHost {
  /** Where commands run, for messages (captured when exec() is called). */
  where: string;
  slots: Semaphore;
  defaultTimeoutMs: number;
  /** Set once the runner is closed: what new commands are rejected with. */
  closed: Error | null;
}

/**
 * Validates argv, refuses at once when closed or already aborted, then runs the job: `start(job)` is
 * called once a slot is free (synchronously, in the same turn as the grant). A throw or rejection
 * of `start` fails the job.
 */
export function runExec(
  argv: readonly string[],
  opts: RunExecOptions,
  host: ExecHost,
  start: (job: ExecJob) => void | Promise<void>,
): Promise<ExecResult> {
  let command: string;
  try {
    command = toCommandLine(argv); // validates (non-empty, no NUL) and names the command in errors
  } catch (err) {
    return Promise.reject(err);
  }
  if (host.closed) return Promise.reject(host.closed);
  if (opts.signal?.aborted) return Promise.reject(abortReason(opts.signal));
  return new Promise<ExecResult>((resolve, reject) => {
    new ExecJob(command, opts, host, resolve, reject).begin(start);
  });
}

export class ExecJob {
  readonly where: string;
  readonly timeoutMs: number;
  /** When the budget runs out (epoch ms). */
  readonly deadline: number;
  readonly out: OutputBuffer;
  readonly errOut: OutputBuffer;

  // `settled` = the caller has its answer; `finished` = the slot is free and nothing is left to
  // clean up. They differ while a killed command's channel/process ends.
  private _phase: ExecPhase = 'queued';
  private _settled = false;
  private _finished = false;
  private timedOut = false;
  private release: (() => void) | null = null;
  private timer: NodeJS.Timeout | null;
  private killer: (() => void) | null = null;
  private readonly cleanups: Array<() => void> = [];
  private readonly signal: AbortSignal | undefined;
  private readonly slot: ReturnType<Semaphore['acquire']>;

  constructor(
    readonly command: string,
    opts: RunExecOptions,
    private readonly host: ExecHost,
    private readonly resolve: (r: ExecResult) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.where = host.where;
    this.timeoutMs = opts.timeoutMs ?? host.defaultTimeoutMs;
    this.deadline = Date.now() + this.timeoutMs;
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.out = new OutputBuffer(max);
    this.errOut = new OutputBuffer(max);
    this.signal = opts.signal;
    this.timer = setTimeout(this.onTimeout, this.timeoutMs);
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.slot = host.slots.acquire();
  }

  get phase(): ExecPhase {
    return this._phase;
  }

  get settled(): boolean {
    return this._settled;
  }

  get finished(): boolean {
    return this._finished;
  }

  begin(start: (job: ExecJob) => void | Promise<void>): void {
    this.slot.promise
      .then(
        async (rel) => {
          if (this._finished) return rel();
          this.release = rel;
          await start(this);
        },
        (err) => this.fail(err),
      )
      .catch((err) => this.fail(err));
  }

  /** Moves on before the command runs (SSH: connecting, then opening the channel). */
  enter(phase: 'connecting' | 'opening'): void {
    this._phase = phase;
  }

  /** The command runs; `kill` ends it on timeout or abort (once). */
  started(kill: () => void): void {
    this._phase = 'running';
    this.killer = kill;
  }

  /** Runs `fn` when the job is finished (e.g. drop a failure hook). */
  onFinish(fn: () => void): void {
    if (this._finished) fn();
    else this.cleanups.push(fn);
  }

  /** The command ended: answer with its status and output. */
  complete(code: number | null, signal: string | null): void {
    this.finish();
    this.resolveWith(code, signal);
  }

  /** The command could not run, or its runner/connection went away. */
  fail(err: unknown): void {
    this.finish();
    this.rejectWith(err);
  }

  /** Frees the slot without answering (a command killed after the answer was given). */
  finish(): void {
    if (this._finished) return;
    this._finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.signal?.removeEventListener('abort', this.onAbort);
    for (const fn of this.cleanups.splice(0)) fn();
    this.release?.();
    this.release = null;
  }

  private resolveWith(code: number | null, signal: string | null): void {
    if (this._settled) return;
    this._settled = true;
    this.resolve({ code, signal, stdout: this.out.toString(), stderr: this.errOut.toString(), timedOut: this.timedOut });
  }

  private rejectWith(err: unknown): void {
    if (this._settled) return;
    this._settled = true;
    this.reject(err);
  }

  /**
   * Kills a started command. The caller is answered at once; the slot stays taken until the
   * command is confirmed ended (channel closed / process exited), or at most a grace period.
   */
  private kill(): void {
    this.killer!();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.finish();
    }, KILL_GRACE_MS);
  }

  private readonly onTimeout = (): void => {
    this.timer = null;
    const phase = this._phase;
    if (phase === 'queued' || phase === 'connecting') {
      const { slots } = this.host;
      const why =
        phase === 'queued' ? `${slots.running} commands running and ${slots.queued} waiting (limit ${slots.limit})` : `still connecting`;
      const err = new SshError(
        'timeout',
        `\`${this.command}\` did not start within ${this.timeoutMs} ms on ${this.where}: ${why}; it was not run`,
      );
      this.slot.cancel(err);
      this.fail(err);
    } else if (phase === 'opening') {
      // Sent but not confirmed: report it like a killed command; the channel is closed when it opens.
      this.timedOut = true;
      this.resolveWith(null, 'KILL');
    } else {
      this.timedOut = true;
      this.kill();
      this.resolveWith(null, 'KILL');
    }
  };

  private readonly onAbort = (): void => {
    const reason = abortReason(this.signal!);
    const phase = this._phase;
    if (phase === 'queued' || phase === 'connecting') {
      this.slot.cancel(reason);
      this.finish();
    } else if (phase === 'running') this.kill();
    this.rejectWith(reason);
  };
}

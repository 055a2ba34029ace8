import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { closeChannel, signalChannel } from './channel-signal.js';
import { connectSsh, type PresentedHostKey, type SshClient, type SshTarget } from './connect.js';
import { SshError, classifySshError, type SshErrorCode } from './errors.js';
import type { ExecResult } from './exec.js';
import { runExec, type ExecJob } from './exec-job.js';
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
  type StateDetail,
} from './runner.js';

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** The pace for failures an admin has to fix (wrong key, changed host key). Default maxMs. */
  slowMs?: number;
}

export interface SshHostConnectionOptions extends SshTarget {
  /** Concurrent `exec`s on the connection; more wait in a FIFO queue. Default 8. */
  maxConcurrent?: number;
  /**
   * Concurrent `spawn`ed channels (consoles, event streams); more are refused. Default 16.
   * sshd's MaxSessions (default 10) must be ≥ maxConcurrent + maxChannels, or opening a channel
   * beyond it fails with an SshError saying so.
   */
  maxChannels?: number;
  /** Default `exec` timeout, queue time included. Default 30 s. */
  defaultTimeoutMs?: number;
  /** Reconnect delays: minMs doubling up to maxMs, with jitter (each delay is 50–100 % of that). Default 1 s..30 s. */
  backoff?: BackoffOptions;
  /** SSH keepalive period. Default 5 s. */
  keepaliveIntervalMs?: number;
  /**
   * Unanswered keepalives tolerated: a peer that stops answering is declared dead after
   * keepaliveCountMax to keepaliveCountMax + 1 intervals. Default 2 (→ within 10–15 s).
   */
  keepaliveCountMax?: number;
  /**
   * Trust on first use: with no `expectedFingerprint`, called with the key of the first connection
   * that authenticates; once it resolves, that key is required from then on. If it throws, the
   * connection is dropped (state 'error') and retried.
   */
  onHostKeyPinned?: (key: PresentedHostKey) => void | Promise<void>;
  /**
   * Wrap each `exec` as `timeout -s KILL <remaining budget + 0.5 s> argv…` (coreutils/busybox) so a timed-out
   * command really dies on the host, also when the connection dropped meanwhile. Needed because
   * sshd refuses "signal" requests for root logins (no privilege separation after a root login), so
   * the KILL we send on timeout only works for non-root users. Default true; turn off for hosts
   * without `timeout(1)`.
   */
  remoteTimeout?: boolean;
  /** ssh2 protocol trace, for diagnostics. */
  debug?: (message: string) => void;
}

const TARGET_KEYS = [
  'host',
  'port',
  'username',
  'privateKey',
  'passphrase',
  'password',
  'expectedFingerprint',
  'readyTimeoutMs',
  'keepaliveIntervalMs',
  'keepaliveCountMax',
] as const satisfies readonly (keyof SshTarget)[];

/** Failures an admin has to fix: retried at the slowest pace only. */
const SLOW_RETRY: ReadonlySet<SshErrorCode> = new Set(['host_key_mismatch', 'auth_failed', 'no_credentials']);

function stateFor(code: SshErrorCode): ConnectionState {
  return code === 'unreachable' || code === 'timeout' ? 'offline' : 'error';
}

/** One authenticated ssh2 client and what runs on it. */
interface Live {
  client: SshClient;
  hostKey: PresentedHostKey | null;
  /** Failure hooks of exec jobs holding a channel (or about to). */
  jobs: Set<(err: SshError) => void>;
  channels: Set<SshProcessChannel>;
  dead: boolean;
  lastError: unknown;
}

/**
 * One persistent, shared, self-healing SSH connection to a host. Every `exec`/`spawn` is a channel
 * on the same ssh2 Client; see README.md for the behaviour contract.
 */
export class SshHostConnection extends StateEmitter implements CommandRunner {
  private target: SshTarget;
  private readonly maxChannels: number;
  private readonly defaultTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly onHostKeyPinned?: (key: PresentedHostKey) => void | Promise<void>;
  private readonly debug?: (message: string) => void;
  private readonly remoteTimeout: boolean;
  private readonly slots: Semaphore;

  private _state: ConnectionState = 'idle';
  private _detail: StateDetail = {};
  private live: Live | null = null;
  /** The client of the attempt in flight (destroyed by close()). */
  private connecting: Live | null = null;
  private attempt: Promise<Live> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private targetVersion = 0;
  private lastError: SshError | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private pendingChannels = 0;
  private connects = 0;

  constructor(opts: SshHostConnectionOptions) {
    super();
    const { maxConcurrent, maxChannels, defaultTimeoutMs, backoff, onHostKeyPinned, debug, remoteTimeout, ...target } = opts;
    this.remoteTimeout = remoteTimeout ?? true;
    this.target = {
      ...target,
      keepaliveIntervalMs: target.keepaliveIntervalMs ?? 5_000,
      keepaliveCountMax: target.keepaliveCountMax ?? 2,
    };
    this.slots = new Semaphore(maxConcurrent ?? 8);
    this.maxChannels = maxChannels ?? 16;
    this.defaultTimeoutMs = defaultTimeoutMs ?? 30_000;
    this.backoff = backoff ?? { minMs: 1_000, maxMs: 30_000 };
    if (!(this.backoff.minMs > 0 && this.backoff.maxMs >= this.backoff.minMs)) throw new Error('backoff needs 0 < minMs <= maxMs');
    if (this.backoff.slowMs !== undefined && !(this.backoff.slowMs > 0)) throw new Error('backoff.slowMs must be > 0');
    this.onHostKeyPinned = onHostKeyPinned;
    this.debug = debug;
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** Why the connection is in its state (message/code of the last failure; empty when online). */
  get stateDetail(): StateDetail {
    return this._detail;
  }

  /** The key presented by the current connection (null when not connected). */
  get hostKey(): PresentedHostKey | null {
    return this.live?.hostKey ?? null;
  }

  /** The pinned fingerprint in force (the configured one, or the one pinned on first use). */
  get expectedFingerprint(): string | null {
    return this.target.expectedFingerprint ?? null;
  }

  /** How many SSH connections were established so far (1 + reconnects). */
  get connectCount(): number {
    return this.connects;
  }

  get load(): RunnerLoad {
    return { running: this.slots.running, queued: this.slots.queued, channels: this.live?.channels.size ?? 0 };
  }

  get where(): string {
    return `${this.target.username}@${this.target.host}:${this.target.port}`;
  }

  /**
   * Connects now (otherwise the first exec/spawn does). Resolves once online; rejects with the
   * SshError of this attempt (the connection keeps retrying in the background).
   */
  async connect(): Promise<void> {
    if (this.closed) throw this.closedError();
    if (this.live) return;
    this.failures = 0;
    await this.startAttempt(false);
  }

  /**
   * Changes how to reach or trust the host without recreating the object (new key, new pin, new
   * address). A changed address or a pin the current connection does not satisfy reconnects at
   * once (running commands fail with 'unreachable'); changed credentials are used by the next
   * connection. A host in 'offline'/'error' is retried at once.
   */
  updateTarget(partial: Partial<SshTarget>): void {
    if (this.closed) return;
    const before = this.target;
    const changed = (k: keyof SshTarget) => k in partial && (partial[k] ?? null) !== (before[k] ?? null);
    if (!TARGET_KEYS.some(changed)) return;
    this.target = { ...before, ...partial };
    this.targetVersion++;
    const live = this.live;
    if (live) {
      const pin = this.target.expectedFingerprint;
      const addressChanged = changed('host') || changed('port') || changed('username');
      const pinBroken = changed('expectedFingerprint') && (!pin || pin !== live.hostKey?.fingerprint);
      if (addressChanged || pinBroken) this.reconnectNow('its connection settings changed');
      return;
    }
    // An attempt in flight notices the new version and starts over with the new target.
    if (this.attempt) return;
    if (this._state === 'offline' || this._state === 'error') {
      this.failures = 0;
      this.startAttempt(false).catch(() => {});
    }
  }

  exec(argv: readonly string[], opts: RunExecOptions = {}): Promise<ExecResult> {
    const host = {
      where: this.where,
      slots: this.slots,
      defaultTimeoutMs: this.defaultTimeoutMs,
      closed: this.closed ? this.closedError() : null,
    };
    return runExec(argv, opts, host, async (job) => {
      const where = job.where;
      job.enter('connecting');
      let live: Live;
      try {
        live = await this.ready();
      } catch (err) {
        job.fail(err);
        return;
      }
      if (job.finished) return;
      if (live.dead) {
        job.fail(new SshError('unreachable', `Lost the connection to ${where}`));
        return;
      }
      const onDrop = (err: SshError) => {
        job.fail(new SshError(err.code, `${err.message} (while running \`${job.command}\`; it may have run partly)`, err.details));
      };
      live.jobs.add(onDrop);
      job.onFinish(() => live.jobs.delete(onDrop));
      job.enter('opening');
      try {
        live.client.exec(this.wire(argv, job), (err, ch) => {
          if (err) {
            job.fail(this.channelError(err, live));
            return;
          }
          ch.on('error', () => {});
          if (job.settled || job.finished) {
            // Timed out or aborted while the channel was opening.
            killChannel(ch);
            job.finish();
            return;
          }
          job.started(() => killChannel(ch));
          ch.on('data', (d: Buffer) => job.out.push(d));
          ch.stderr.on('data', (d: Buffer) => job.errOut.push(d));
          ch.on('close', (code: number | null | undefined, sig: string | null | undefined) => {
            afterStderr(ch, () => job.complete(code ?? null, sig ?? null));
          });
          if (opts.stdin !== undefined) ch.end(opts.stdin);
          else ch.end();
        });
      } catch (err) {
        job.fail(live.dead ? new SshError('unreachable', `Lost the connection to ${where}`) : classifySshError(err, where));
      }
    });
  }

  async spawn(argv: readonly string[], opts: SpawnOptions = {}): Promise<ProcessChannel> {
    const command = toCommandLine(argv);
    if (this.closed) throw this.closedError();
    const open = (this.live?.channels.size ?? 0) + this.pendingChannels;
    if (open >= this.maxChannels) {
      throw new SshError('ssh_error', `Too many open channels to ${this.where} (limit ${this.maxChannels}): close a console first`);
    }
    this.pendingChannels++;
    try {
      const live = await this.ready();
      if (live.dead) throw new SshError('unreachable', `Lost the connection to ${this.where}`);
      const pty = opts.pty;
      const stream = await new Promise<ClientChannel>((resolve, reject) => {
        try {
          const execOpts = pty ? { pty: { cols: pty.cols, rows: pty.rows, term: pty.term ?? 'xterm-256color' } } : {};
          live.client.exec(command, execOpts, (err, ch) => (err ? reject(this.channelError(err, live)) : resolve(ch)));
        } catch (err) {
          reject(live.dead ? new SshError('unreachable', `Lost the connection to ${this.where}`) : classifySshError(err, this.where));
        }
      });
      if (this.closed || live.dead) {
        closeChannel(stream);
        throw this.closed ? this.closedError() : new SshError('unreachable', `Lost the connection to ${this.where}`);
      }
      const channel = new SshProcessChannel(stream, Boolean(pty), () => live.channels.delete(channel));
      live.channels.add(channel);
      return channel;
    } finally {
      this.pendingChannels--;
    }
  }

  /**
   * A byte stream to a Unix socket on the host through sshd's streamlocal forwarding (the Docker
   * socket, typically). Rides the same pinned, authenticated connection as every command, so no
   * second trust decision and no `docker` CLI is needed on the host. Streams end when it drops.
   */
  async openStreamLocal(socketPath: string): Promise<Duplex> {
    if (this.closed) throw this.closedError();
    const live = await this.ready();
    if (live.dead) throw new SshError('unreachable', `Lost the connection to ${this.where}`);
    return new Promise<Duplex>((resolve, reject) => {
      try {
        live.client.openssh_forwardOutStreamLocal(socketPath, (err, stream) => {
          if (err) {
            const hint = /prohibited|denied|open failed/i.test(err.message)
              ? ' (sshd must allow AllowStreamLocalForwarding and the login must be able to open the socket)'
              : '';
            return reject(new SshError('ssh_error', `Could not open ${socketPath} on ${this.where}: ${err.message}${hint}`));
          }
          resolve(stream);
        });
      } catch (err) {
        reject(live.dead ? new SshError('unreachable', `Lost the connection to ${this.where}`) : classifySshError(err, this.where));
      }
    });
  }

  /** A direct-tcpip channel to 127.0.0.1:port on the host, over the same pinned connection. */
  async openLoopbackPort(port: number): Promise<Duplex> {
    assertTcpPort(port);
    if (this.closed) throw this.closedError();
    const live = await this.ready();
    if (live.dead) throw new SshError('unreachable', `Lost the connection to ${this.where}`);
    return new Promise<Duplex>((resolve, reject) => {
      try {
        live.client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, stream) => {
          if (err) {
            const hint = /prohibited|denied/i.test(err.message) ? ' (sshd must allow AllowTcpForwarding for this login)' : '';
            return reject(new SshError('ssh_error', `Could not reach 127.0.0.1:${port} on ${this.where}: ${err.message}${hint}`));
          }
          resolve(stream);
        });
      } catch (err) {
        reject(live.dead ? new SshError('unreachable', `Lost the connection to ${this.where}`) : classifySshError(err, this.where));
      }
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.clearRetry();
    const err = this.closedError();
    this.slots.flush(err);
    const live = this.live;
    this.live = null;
    const connecting = this.connecting;
    this.setState('closed', {});
    this.closing = (async () => {
      const waits: Promise<void>[] = [];
      if (live) {
        this.failAll(live, err);
        waits.push(endClient(live.client));
      }
      if (connecting) waits.push(endClient(connecting.client, true));
      if (this.attempt)
        waits.push(
          this.attempt.then(
            () => {},
            () => {},
          ),
        );
      await Promise.all(waits);
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------- internals --

  private closedError(): SshError {
    return new SshError('unreachable', `The connection to ${this.where} was closed`);
  }

  private setState(state: ConnectionState, detail: StateDetail = {}): void {
    const changed = state !== this._state || detail.code !== this._detail.code;
    this._state = state;
    this._detail = detail;
    if (!changed) return;
    this.tellState('SshHostConnection', state, detail);
  }

  /** The live connection; waits for a first/explicit attempt; fails fast while offline/error. */
  private ready(): Promise<Live> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.live) return Promise.resolve(this.live);
    if ((this._state === 'offline' || this._state === 'error') && this.lastError) {
      const e = this.lastError;
      return Promise.reject(new SshError(e.code, e.message, e.details));
    }
    return this.startAttempt(false);
  }

  /**
   * Starts (or joins) a connection attempt. Background retries do not announce 'connecting', so an
   * offline host does not flap offline→connecting→offline on every retry.
   */
  private startAttempt(background: boolean): Promise<Live> {
    if (this.attempt) return this.attempt;
    this.clearRetry();
    const p = this.runAttempt(background).finally(() => {
      if (this.attempt === p) this.attempt = null;
    });
    this.attempt = p;
    p.catch(() => {}); // failures are reported through 'state' and to whoever awaits
    return p;
  }

  private async runAttempt(background: boolean): Promise<Live> {
    for (;;) {
      if (this.closed) throw this.closedError();
      const version = this.targetVersion;
      const target = { ...this.target };
      if (!background) this.setState('connecting', {});
      let live: Live | null = null;
      try {
        live = await this.open(target);
        this.checkCurrent(version);
        if (!target.expectedFingerprint && live.hostKey) {
          try {
            await this.onHostKeyPinned?.(live.hostKey);
          } catch (err) {
            throw new SshError(
              'ssh_error',
              `Could not pin the host key of ${this.where} (${live.hostKey.fingerprint}): ${(err as Error)?.message ?? String(err)}`,
            );
          }
          this.checkCurrent(version);
          this.target = { ...this.target, expectedFingerprint: live.hostKey.fingerprint };
        }
        if (live.dead) throw new SshError('unreachable', `The connection to ${this.where} closed right after login`);
        this.live = live;
        this.connects++;
        this.failures = 0;
        this.lastError = null;
        this.setState('online', {});
        return live;
      } catch (err) {
        if (live && this.live !== live) void endClient(live.client);
        if (this.closed) throw this.closedError();
        if (version !== this.targetVersion) continue; // settings changed meanwhile: try the new ones now
        const e = classifySshError(err, this.where);
        this.failures++;
        this.lastError = e;
        this.setState(stateFor(e.code), { code: e.code, message: e.message });
        this.scheduleRetry(e.code);
        throw e;
      }
    }
  }

  private checkCurrent(version: number): void {
    if (this.closed) throw this.closedError();
    if (version !== this.targetVersion) throw new Error('connection settings changed during the attempt');
  }

  private async open(target: SshTarget): Promise<Live> {
    const live: Live = { client: null!, hostKey: null, jobs: new Set(), channels: new Set(), dead: false, lastError: null };
    try {
      const conn = await connectSsh(target, {
        debug: this.debug,
        onClient: (client) => {
          live.client = client;
          this.connecting = live;
          // Never let an ssh2 'error' crash the process; remember it to explain a drop.
          client.on('error', (err: unknown) => {
            live.lastError = err;
          });
          client.on('close', () => {
            live.dead = true;
            if (this.live === live) this.onDrop(live);
          });
        },
      });
      live.hostKey = conn.hostKey;
      return live;
    } finally {
      if (this.connecting === live) this.connecting = null;
    }
  }

  private onDrop(live: Live): void {
    if (this.live !== live) return;
    this.live = null;
    const cause = live.lastError as (Error & { level?: string }) | null;
    const why =
      cause?.level === 'client-timeout'
        ? `no answer to ${this.target.keepaliveCountMax! + 1} keepalives sent every ${this.target.keepaliveIntervalMs! / 1000} s`
        : cause?.message
          ? cause.message
          : 'the connection was closed';
    const err = new SshError('unreachable', `Lost the connection to ${this.where}: ${why}`);
    this.failAll(live, err);
    if (this.closed) return;
    this.lastError = err;
    this.failures = 0;
    this.setState('offline', { code: err.code, message: err.message });
    this.scheduleRetry(err.code);
  }

  /** Fails every job and ends every channel of a connection that is gone (or being replaced). */
  private failAll(live: Live, err: SshError): void {
    live.dead = true;
    for (const fail of [...live.jobs]) fail(err);
    live.jobs.clear();
    for (const ch of [...live.channels]) ch.connectionLost();
    live.channels.clear();
  }

  private reconnectNow(reason: string): void {
    const live = this.live;
    if (!live) return;
    this.live = null;
    this.failAll(live, new SshError('unreachable', `Reconnecting to ${this.where}: ${reason}`));
    void endClient(live.client);
    this.failures = 0;
    this.startAttempt(false).catch(() => {});
  }

  private scheduleRetry(code: SshErrorCode): void {
    if (this.closed) return;
    this.clearRetry();
    const { minMs, maxMs } = this.backoff;
    const base = SLOW_RETRY.has(code)
      ? (this.backoff.slowMs ?? maxMs)
      : Math.min(maxMs, minMs * 2 ** Math.min(Math.max(this.failures - 1, 0), 30));
    const delay = base / 2 + (Math.random() * base) / 2;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed && !this.live) this.startAttempt(true).catch(() => {});
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** What is sent: argv, bounded on the host by the remaining budget plus 0.5 s (see remoteTimeout). */
  private wire(argv: readonly string[], job: ExecJob): string {
    if (!this.remoteTimeout) return job.command;
    const secs = Math.max(1, (job.deadline - Date.now()) / 1000 + 0.5).toFixed(1);
    return toCommandLine(['timeout', '-s', 'KILL', secs, ...argv]);
  }

  private channelError(err: Error, live: Live): SshError {
    if (live.dead) return new SshError('unreachable', `Lost the connection to ${this.where}`);
    const hint = /open failure|open failed|prohibited/i.test(err.message)
      ? ' — the host refused another session; sshd MaxSessions must be at least maxConcurrent + maxChannels'
      : '';
    return new SshError('ssh_error', `Could not start a command on ${this.where}: ${err.message}${hint}`);
  }
}

/**
 * Kills an exec's command: a KILL signal request, then closing the channel (sshd refuses the signal
 * for root logins; the remote `timeout` wrapper covers that, see remoteTimeout).
 */
function killChannel(ch: ClientChannel): void {
  signalChannel(ch, 'KILL');
  closeChannel(ch);
}

/** Calls `done` once the channel's stderr has been fully delivered too. */
function afterStderr(ch: ClientChannel, done: () => void): void {
  const stderr = ch.stderr;
  if (stderr.readableEnded || stderr.destroyed) return done();
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    done();
  };
  stderr.once('end', once);
  stderr.once('close', once);
}

/** Ends a client and waits (briefly) for its socket to close. */
function endClient(client: SshClient, hard = false): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    const done = () => {
      if (timer) clearTimeout(timer);
      client.removeListener('close', done);
      resolve();
    };
    client.once('close', done);
    // A client that never connected (or is already closed) emits no 'close': don't wait for it.
    const sock = (client as unknown as { _sock?: { destroyed?: boolean } })._sock;
    if (!sock || sock.destroyed) return done();
    timer = setTimeout(() => {
      timer = null;
      client.destroy();
      done();
    }, 1_000);
    try {
      if (hard) client.destroy();
      else client.end();
    } catch {
      done();
    }
  });
}

class SshProcessChannel extends BaseProcessChannel {
  constructor(
    private readonly stream: ClientChannel,
    pty: boolean,
    private readonly onEnd: () => void,
  ) {
    super(pty);
    stream.on('error', () => {});
    stream.on('drain', () => this.emit('drain'));
    // Output flows from the next turn of the event loop, so the caller can attach listeners
    // after awaiting spawn() (ssh2 buffers meanwhile, with flow control).
    setImmediate(() => this.attach());
  }

  private attach(): void {
    if (this.exited) return;
    const s = this.stream;
    s.on('data', (d: Buffer) => this.emit('data', d));
    s.stderr.on('data', (d: Buffer) => this.emit('stderr', d));
    s.on('close', (code: number | null | undefined, sig: string | null | undefined) => {
      afterStderr(s, () => this.end(code ?? null, sig ?? null));
    });
  }

  write(data: string | Buffer): boolean {
    if (this.exited) return true;
    try {
      return this.stream.write(data);
    } catch {
      return true; // the channel is closing: 'exit' follows, nothing to wait for
    }
  }

  endInput(): void {
    if (this.exited) return;
    try {
      this.stream.end();
    } catch {
      /* the channel is closing */
    }
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  resize(cols: number, rows: number): void {
    if (!this.pty || this.exited) return;
    try {
      this.stream.setWindow(rows, cols, 0, 0);
    } catch {
      /* the channel is closing */
    }
  }

  kill(signal = 'TERM'): void {
    if (this.exited) return;
    const name = sshSignalName(signal);
    signalChannel(this.stream, name);
    closeChannel(this.stream);
    this.armGrace(() => this.end(null, name));
  }

  /** The connection is gone: the process is unreachable from here on. */
  connectionLost(): void {
    this.end(null, null);
  }

  private end(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.onEnd();
    this.finish(code, signal);
  }
}

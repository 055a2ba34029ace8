import { StringDecoder } from 'node:string_decoder';
import type { ConsoleServerMessage } from '@mirador/contract';
import type { CommandRunner, ProcessChannel } from '@mirador/ssh';
import { consoleArgv, withCLocale } from '@mirador/libvirt';

export interface ConsoleViewer {
  /** False for viewers, and from the moment a typing user is demoted. */
  canWrite: boolean;
  send(msg: ConsoleServerMessage): void;
}

interface ConsoleTarget {
  hostId: string;
  name: string;
  uri: string;
  runner: () => Promise<CommandRunner>;
  /** Current state from the inventory: the console only attaches to a running VM. */
  isRunning: () => boolean;
  hasSerialConsole: () => boolean;
}

const REPLAY_BYTES = 64 * 1024;
const REATTACH_MS = 1500;
const IDLE_CLOSE_MS = 15_000;
/** Ctrl+] is virsh console's escape: typed by one viewer it would cut the stream for everyone. */
const ESCAPE = /\x1d/g;
/** virsh prints this once it really holds the console; keys sent before it would be lost. */
const READY_BANNER = /Escape character is/;
/** A warning virsh prints on hosts without polkit; it is noise in a shared console. */
const POLKIT_NOISE = /Authorization not available\. Check if polkit service is running[^\n]*\n?/g;
const MAX_PENDING_INPUT = 4096;

/**
 * One `virsh console` stream per VM (libvirt allows one per device), fanned out to every viewer.
 * Late joiners get the recent output replayed; the stream re-attaches by itself when the guest
 * comes back (reboot, start) and closes when nobody has watched for a while.
 */
export class ConsoleSession {
  private viewers = new Set<ConsoleViewer>();
  private channel: ProcessChannel | null = null;
  private attaching = false;
  private replay = '';
  private decoder = new StringDecoder('utf8');
  private timer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private size = { cols: 80, rows: 24 };
  private lastStatus: ConsoleServerMessage | null = null;
  private ready = false;
  private pendingInput = '';

  constructor(
    private readonly target: ConsoleTarget,
    private readonly onEmpty: () => void,
  ) {}

  get viewerCount() {
    return this.viewers.size;
  }

  join(viewer: ConsoleViewer) {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.viewers.add(viewer);
    if (this.replay) viewer.send({ type: 'output', data: this.replay });
    this.broadcastStatus(this.lastStatusState(), this.lastStatusMessage());
    void this.attach();
  }

  leave(viewer: ConsoleViewer) {
    this.viewers.delete(viewer);
    if (this.viewers.size > 0) {
      this.broadcastStatus(this.lastStatusState(), this.lastStatusMessage());
      return;
    }
    this.idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  /** Re-sends the current status to one viewer (its read-only flag changed). */
  refresh(viewer: ConsoleViewer) {
    if (!this.viewers.has(viewer)) return;
    viewer.send({
      type: 'status',
      state: this.lastStatusState(),
      message: this.lastStatusMessage(),
      readOnly: !viewer.canWrite,
      viewers: this.viewers.size,
    });
  }

  input(viewer: ConsoleViewer, data: string) {
    if (!viewer.canWrite) return;
    const clean = data.replace(ESCAPE, '');
    if (!clean) return;
    // Keys typed while virsh is still connecting are kept and sent once it holds the console.
    if (this.channel && this.ready) this.channel.write(clean);
    else this.pendingInput = (this.pendingInput + clean).slice(-MAX_PENDING_INPUT);
  }

  resize(viewer: ConsoleViewer, cols: number, rows: number) {
    if (!viewer.canWrite) return;
    this.size = { cols, rows };
    this.channel?.resize(cols, rows);
  }

  /** Called when the inventory sees the VM change state, so a started guest gets its console at once. */
  poke() {
    if (!this.channel && !this.closed && this.viewers.size > 0) void this.attach();
  }

  private async attach() {
    if (this.channel || this.attaching || this.closed) return;
    if (!this.target.hasSerialConsole()) {
      this.broadcastStatus('closed', 'This VM has no serial console (add <serial type="pty"/> to its definition)');
      return;
    }
    if (!this.target.isRunning()) {
      this.broadcastStatus('waiting', 'The VM is not running; the console attaches when it starts');
      this.retryLater();
      return;
    }
    this.attaching = true;
    try {
      const runner = await this.target.runner();
      const ch = await runner.spawn(withCLocale(consoleArgv(this.target.uri, this.target.name)), {
        pty: { ...this.size, term: 'xterm-256color' },
      });
      if (this.closed) return ch.kill('KILL');
      this.channel = ch;
      this.ready = false;
      let stderr = '';
      let banner = '';
      const markReady = () => {
        if (this.ready || this.channel !== ch) return;
        this.ready = true;
        this.broadcastStatus('attached', 'Connected to the serial console');
        // A fresh prompt for whoever just arrived, then whatever was typed while connecting.
        ch.write('\r' + this.pendingInput);
        this.pendingInput = '';
      };
      const fallback = setTimeout(markReady, 3000);
      fallback.unref();
      ch.on('data', (chunk: Buffer) => {
        const text = this.decoder.write(chunk);
        if (!this.ready) {
          banner = (banner + text).slice(-200);
          if (READY_BANNER.test(banner)) {
            clearTimeout(fallback);
            markReady();
          }
        }
        this.output(text);
      });
      ch.on('stderr', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      ch.on('exit', () => {
        clearTimeout(fallback);
        this.channel = null;
        this.ready = false;
        if (this.closed) return;
        const why = stderr.trim().replace(/^error:\s*/i, '');
        this.broadcastStatus('waiting', why ? `Console detached: ${why}` : 'Console detached; re-attaching when the VM is running');
        this.retryLater();
      });
      this.broadcastStatus('waiting', 'Connecting to the serial console');
    } catch (err) {
      this.broadcastStatus('waiting', `Could not open the console: ${(err as Error).message}`);
      this.retryLater();
    } finally {
      this.attaching = false;
    }
  }

  private retryLater() {
    if (this.timer || this.closed || this.viewers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.attach();
    }, REATTACH_MS);
    this.timer.unref();
  }

  private output(raw: string) {
    const text = raw.replace(POLKIT_NOISE, '');
    if (!text) return;
    // virsh's own banner is noise once the console is shared; the status line says the same.
    this.replay = (this.replay + text).slice(-REPLAY_BYTES);
    for (const v of this.viewers) v.send({ type: 'output', data: text });
  }

  private broadcastStatus(state: 'attached' | 'waiting' | 'closed', message: string) {
    for (const v of this.viewers) {
      const msg: ConsoleServerMessage = { type: 'status', state, message, readOnly: !v.canWrite, viewers: this.viewers.size };
      v.send(msg);
      this.lastStatus = msg;
    }
    if (this.viewers.size === 0) this.lastStatus = { type: 'status', state, message, readOnly: true, viewers: 0 };
  }

  private lastStatusState() {
    return this.lastStatus?.type === 'status' ? this.lastStatus.state : 'waiting';
  }

  private lastStatusMessage() {
    return this.lastStatus?.type === 'status' ? this.lastStatus.message : 'Connecting to the serial console';
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.channel?.kill('KILL');
    this.channel = null;
    for (const v of this.viewers) v.send({ type: 'status', state: 'closed', message: 'Console closed', readOnly: !v.canWrite, viewers: 0 });
    this.viewers.clear();
    this.onEmpty();
  }
}

/** Keyed console sessions, one per VM, shared by every viewer of that VM. */
export class ConsoleBroker {
  private sessions = new Map<string, ConsoleSession>();

  session(target: ConsoleTarget): ConsoleSession {
    const key = `${target.hostId}/${target.name}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = new ConsoleSession(target, () => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  poke(hostId: string, name: string) {
    this.sessions.get(`${hostId}/${name}`)?.poke();
  }

  closeAll() {
    for (const s of [...this.sessions.values()]) s.close();
  }
}

import { StringDecoder } from 'node:string_decoder';
import type { ConsoleServerMessage } from '@mirador/contract';
import type { CommandRunner, ProcessChannel } from '@mirador/ssh';
import { consoleArgv, withCLocale } from '@mirador/libvirt';
import { textReplay } from '../streams/replay.js';
import { SessionBroker } from '../streams/session-broker.js';
import type { StreamProtocol } from '../streams/stream-protocol.js';
import type { StreamSession } from '../streams/stream-session.js';
import { UpstreamUnavailable, type OpenUpstream } from '../streams/upstream.js';

interface ConsoleTarget {
  hostId: string;
  name: string;
  uri: string;
  runner: () => Promise<CommandRunner>;
  /** Current state from the inventory: the console only attaches to a running VM. */
  isRunning: () => boolean;
  hasSerialConsole: () => boolean;
}

/** A serial console session: text out, and the reason virsh gave when it let go. */
export type ConsoleSession = StreamSession<ConsoleServerMessage, string, string>;

const REPLAY_CHARS = 64 * 1024;
const REATTACH_MS = 1500;
const IDLE_CLOSE_MS = 15_000;
const READY_FALLBACK_MS = 3000;
/**
 * Ctrl+] (GS, U+001D) is virsh console's escape: typed by one viewer it would cut the stream for
 * everyone. Removed as a plain character, no regular expression needed.
 */
const VIRSH_ESCAPE = '\u001d';
/** virsh prints this once it really holds the console; keys sent before it would be lost. */
const READY_BANNER = /Escape character is/;
/**
 * What virsh prints when libvirtd goes away under a console (the daemon restarted): it does not exit
 * then, it sits there deaf, so the session would look attached forever and the process would stay on the host.
 */
const DAEMON_GONE = /error: (Disconnected from \S+ due to [^\r\n]+)/;
/** A warning virsh prints on hosts without polkit; it is noise in a shared console. */
const POLKIT_NOISE = /Authorization not available\. Check if polkit service is running[^\n]*\n?/g;

/** The console's websocket contract (ConsoleServerMessage): a status line with the viewer count. */
const consoleProtocol: StreamProtocol<ConsoleServerMessage, string, string> = {
  output: (data) => ({ type: 'output', data }),
  error: (message) => ({ type: 'error', message, ...consoleCode(message) }),
  status: (state, v) => ({
    type: 'status',
    state: state.phase,
    message: state.message,
    ...consoleCode(state.message),
    readOnly: v.readOnly,
    viewers: v.viewers,
  }),
  announceViewers: true,
  readOnlyInput: 'Read-only: your role may watch this console but not type',
  // The guest rebooted or was shut down: wait for it to run again.
  ended: (why) => ({ reattach: detached(why) }),
};

/**
 * The console's sentences (all written in this file) as stable codes the UI translates; the session
 * broker carries only the text, so they are recognised here, on the way out.
 */
const CONSOLE_CODES: [RegExp, string][] = [
  [/^Connecting to the serial console$/, 'console.connecting'],
  [/^Connected to the serial console$/, 'console.attached'],
  [/^Console closed$/, 'console.closed'],
  [/^Read-only: your role may watch this console but not type$/, 'console.readOnly'],
  [/^This VM has no serial console/, 'console.noSerial'],
  [/^The VM is not running; the console attaches when it starts$/, 'console.notRunning'],
  [/^Console detached; re-attaching when the VM is running$/, 'console.detachedWaiting'],
  [/^Console detached: (?<detail>.+)$/s, 'console.detached'],
  [/^Could not open the console: (?<detail>.+)$/s, 'console.openFailed'],
];

export function consoleCode(message: string): { code?: string; params?: Record<string, string> } {
  for (const [shape, code] of CONSOLE_CODES) {
    const m = shape.exec(message);
    if (m) return m.groups ? { code, params: { ...m.groups } } : { code };
  }
  return {};
}

function detached(why: string) {
  return why ? `Console detached: ${why}` : 'Console detached; re-attaching when the VM is running';
}

/**
 * `virsh console` over the host's SSH connection, as a session upstream. It counts as open once
 * virsh says it holds the console (or after a grace period), so keys typed meanwhile wait for it.
 */
function virshConsole(target: ConsoleTarget): OpenUpstream<string, string> {
  return async (events, size) => {
    if (!target.hasSerialConsole())
      throw new UpstreamUnavailable('This VM has no serial console (add <serial type="pty"/> to its definition)', false);
    if (!target.isRunning()) throw new UpstreamUnavailable('The VM is not running; the console attaches when it starts', true);
    let channel: ProcessChannel;
    try {
      const runner = await target.runner();
      channel = await runner.spawn(withCLocale(consoleArgv(target.uri, target.name)), { pty: { ...size, term: 'xterm-256color' } });
    } catch (err) {
      throw new UpstreamUnavailable(`Could not open the console: ${(err as Error).message}`, true);
    }
    events.progress('Connecting to the serial console');
    const decoder = new StringDecoder('utf8');
    let stderr = '';
    let ready = false;
    /** Set when the daemon went away: the reason the session ends with, whatever the exit says. */
    let gone: string | null = null;
    let tail = '';
    await new Promise<void>((resolve, reject) => {
      let banner = '';
      const markReady = () => {
        if (ready) return;
        ready = true;
        clearTimeout(fallback);
        resolve();
      };
      const fallback = setTimeout(markReady, READY_FALLBACK_MS);
      fallback.unref();
      channel.on('data', (chunk: Buffer) => {
        const raw = decoder.write(chunk);
        if (!ready) {
          banner = (banner + raw).slice(-200);
          if (READY_BANNER.test(banner)) markReady();
        }
        const text = raw.replace(POLKIT_NOISE, '');
        if (text) events.output(text);
        tail = (tail + raw).slice(-300);
        const lost = ready && !gone ? DAEMON_GONE.exec(tail) : null;
        if (lost) {
          gone = lost[1]!;
          // Hanging up the terminal ends virsh on the host; its exit then ends the session with this reason.
          channel.kill('KILL');
        }
      });
      channel.on('stderr', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      channel.on('exit', () => {
        clearTimeout(fallback);
        const why = gone ?? stderr.trim().replace(/^error:\s*/i, '');
        if (ready) return events.ended(why);
        reject(new UpstreamUnavailable(detached(why), true));
      });
    });
    // A fresh prompt for whoever just arrived; keys typed while connecting follow it.
    channel.write('\r');
    return {
      write: (data) => channel.write(data),
      resize: ({ cols, rows }) => channel.resize(cols, rows),
      close: () => channel.kill('KILL'),
    };
  };
}

/**
 * Keyed console sessions, one per VM (libvirt allows one console stream per device), shared by
 * every viewer of that VM. A session re-attaches by itself when the guest comes back (reboot,
 * start) and closes when nobody has watched for a while.
 */
export class ConsoleBroker {
  private sessions = new SessionBroker<ConsoleServerMessage, string, string>();

  /** The VM's session, created on first use; the caller joins it or releases it. */
  session(target: ConsoleTarget): ConsoleSession {
    return this.sessions.claim(`${target.hostId}/${target.name}`, () => ({
      protocol: consoleProtocol,
      open: virshConsole(target),
      replay: textReplay(REPLAY_CHARS),
      messages: { connecting: 'Connecting to the serial console', attached: 'Connected to the serial console', closed: 'Console closed' },
      filterInput: (data) => data.replaceAll(VIRSH_ESCAPE, ''),
      reattachMs: REATTACH_MS,
      idleCloseMs: IDLE_CLOSE_MS,
    }));
  }

  /** Called when the inventory sees the VM change state, so a started guest gets its console at once. */
  poke(hostId: string, name: string) {
    this.sessions.get(`${hostId}/${name}`)?.poke();
  }

  closeAll() {
    this.sessions.closeAll();
  }
}

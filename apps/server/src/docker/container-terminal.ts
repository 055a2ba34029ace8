import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { TerminalServerMessage } from '@mirador/contract';
import { DockerLogDemuxer } from '@mirador/docker';
import { textReplay } from '../streams/replay.js';
import type { SessionOptions, StreamProtocol } from '../streams/stream-protocol.js';
import type { OpenUpstream, TerminalSize, Upstream, UpstreamEvents } from '../streams/upstream.js';
import { engineMessage } from './docker-errors.js';

/** A terminal's session ends with the exit code of its process (null when unknown). */
export type ExitCode = number | null;

/** What a late joiner of an attach sees of the screen before it came. */
const REPLAY_CHARS = 64 * 1024;

/** A terminal session: `command` is the docker command line the UI shows for it. */
export function terminalSession(
  command: string,
  open: OpenUpstream<string, ExitCode>,
  size: TerminalSize,
): SessionOptions<TerminalServerMessage, string, ExitCode> {
  return {
    protocol: terminalProtocol(command),
    open,
    replay: textReplay(REPLAY_CHARS),
    messages: { connecting: 'Starting the terminal', attached: 'Attached', closed: 'The terminal closed' },
    size,
  };
}

/** The terminal websocket contract (TerminalServerMessage): "ready" once attached, "exit" at the end. */
function terminalProtocol(command: string): StreamProtocol<TerminalServerMessage, string, ExitCode> {
  return {
    output: (data) => ({ type: 'output', data }),
    error: (message) => ({ type: 'error', message }),
    status: (state, v) => (state.phase === 'attached' ? { type: 'ready', command, readOnly: v.readOnly } : null),
    announceViewers: false,
    readOnlyInput: 'Read-only: your role may watch but not type',
    ended: (code) => ({ final: { type: 'exit', code }, code: 1000, reason: 'exited' }),
  };
}

interface Log {
  warn(obj: unknown, msg: string): void;
}

/**
 * A hijacked exec/attach stream as a session upstream: demultiplexed unless the process has a
 * TTY, decoded as UTF-8; its end reports the exit code. Resize failures are logged, not shown.
 */
function hijacked(
  stream: Duplex,
  tty: boolean,
  events: UpstreamEvents<string, ExitCode>,
  ops: { resize(size: TerminalSize): Promise<unknown>; exitCode(): Promise<ExitCode> },
  log: Log,
): Upstream {
  const decoder = new TextDecoder();
  const demux = tty ? null : new DockerLogDemuxer();
  stream.on('data', (chunk: Buffer) => {
    if (!demux) return events.output(decoder.decode(chunk, { stream: true }));
    try {
      for (const f of demux.push(chunk)) events.output(decoder.decode(f.data, { stream: true }));
    } catch (err) {
      events.error((err as Error).message);
    }
  });
  stream.on('end', () => {
    void ops
      .exitCode()
      .catch(() => null)
      .then((code) => events.ended(code));
  });
  stream.on('error', (err) => events.error(engineMessage(err)));
  return {
    write: (data) => void stream.write(data),
    resize: (size) => void ops.resize(size).catch((err) => log.warn({ err: engineMessage(err) }, 'terminal resize failed')),
    close: () => stream.destroy(),
  };
}

/** A new process in the container (`docker exec -it`), started at the session's size. */
export function execUpstream(
  container: Docker.Container,
  argv: string[],
  user: string | undefined,
  log: Log,
): OpenUpstream<string, ExitCode> {
  return async (events, { cols, rows }) => {
    const exec = await container.exec({
      Cmd: argv,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      // No COLUMNS/LINES: shells and BusyBox tools prefer them to the pty's size, so resizes would be ignored.
      Env: ['TERM=xterm-256color'],
      ...(user ? { User: user } : {}),
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true, ConsoleSize: [rows, cols] } as never)) as unknown as Duplex;
    // The engine answers start before the process runs, and drops resizes sent in that gap.
    for (let i = 0; i < 40; i++) {
      const state = await exec.inspect().catch(() => null);
      if (!state || state.Running || state.ExitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await exec.resize({ w: cols, h: rows }).catch(() => {});
    return hijacked(
      stream,
      true,
      events,
      { resize: ({ cols: w, rows: h }) => exec.resize({ w, h }), exitCode: async () => (await exec.inspect()).ExitCode ?? null },
      log,
    );
  };
}

/**
 * The container's main process (`docker attach`). `stdin` only when someone may type and the
 * container keeps stdin open: a stdin attach that ends can close the process's input.
 */
export function attachUpstream(container: Docker.Container, tty: boolean, stdin: boolean, log: Log): OpenUpstream<string, ExitCode> {
  return async (events) => {
    const stream = (await container.attach({ stream: true, stdin, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    return hijacked(
      stream,
      tty,
      events,
      {
        resize: ({ cols: w, rows: h }) => container.resize({ w, h }),
        exitCode: async () => (await container.inspect()).State?.ExitCode ?? null,
      },
      log,
    );
  };
}

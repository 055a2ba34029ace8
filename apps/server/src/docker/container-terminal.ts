import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { TerminalServerMessage } from '@mirador/contract';
import { DockerLogDemuxer } from '@mirador/docker';
import { textReplay } from '../streams/replay.js';
import type { SessionOptions, StreamProtocol } from '../streams/stream-protocol.js';
import type { OpenUpstream, TerminalSize, Upstream, UpstreamEvents } from '../streams/upstream.js';
import { engineMessage } from './docker-errors.js';
import { endExecProcess, PidReportReader, withPidReport, type ExecReaper } from './exec-reaper.js';

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

/** What an exec's opener read of its stream before handing it on (the pid report). */
interface Head {
  /** Output already read, the report taken out. */
  text: string;
  /** The stream ended while it was read. */
  ended: boolean;
}

/**
 * A hijacked exec/attach stream as a session upstream: demultiplexed unless the process has a
 * TTY, decoded as UTF-8; its end reports the exit code. Resize failures are logged, not shown.
 * `head` is what an opener read first; `onClose` runs when the session gives the stream up.
 */
function hijacked(
  stream: Duplex,
  tty: boolean,
  events: UpstreamEvents<string, ExitCode>,
  ops: { resize(size: TerminalSize): Promise<unknown>; exitCode(): Promise<ExitCode>; onClose?(): void },
  log: Log,
  head: Head = { text: '', ended: false },
): Upstream {
  const decoder = new TextDecoder();
  const demux = tty ? null : new DockerLogDemuxer();
  const ended = () => {
    void ops
      .exitCode()
      .catch(() => null)
      .then((code) => events.ended(code));
  };
  if (head.text) events.output(head.text);
  if (head.ended) ended();
  stream.on('data', (chunk: Buffer) => {
    if (!demux) return events.output(decoder.decode(chunk, { stream: true }));
    try {
      for (const f of demux.push(chunk)) events.output(decoder.decode(f.data, { stream: true }));
    } catch (err) {
      events.error((err as Error).message);
    }
  });
  stream.on('end', ended);
  stream.on('error', (err) => events.error(engineMessage(err)));
  // An opener that read the head paused the stream; a flowing one is not affected.
  stream.resume();
  return {
    write: (data) => void stream.write(data),
    resize: (size) => void ops.resize(size).catch((err) => log.warn({ err: engineMessage(err) }, 'terminal resize failed')),
    close: () => {
      stream.destroy();
      ops.onClose?.();
    },
  };
}

/** Waits this long at most for the wrapper's pid report. */
const PID_REPORT_WAIT_MS = 3_000;

/** Reads the stream until the pid report (or its end, or the wait is over), then pauses it for `hijacked`. */
function readPidReport(stream: Duplex): Promise<{ pid: number | null; head: Head }> {
  const reader = new PidReportReader();
  const decoder = new TextDecoder();
  let text = '';
  return new Promise((resolve) => {
    const done = (ended: boolean) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.pause();
      text += decoder.decode() + reader.giveUp();
      resolve({ pid: reader.pid, head: { text, ended } });
    };
    const onData = (chunk: Buffer) => {
      text += reader.push(decoder.decode(chunk, { stream: true }));
      if (reader.pid !== null || reader.gaveUp) done(false);
    };
    const onEnd = () => done(true);
    const timer = setTimeout(() => done(false), PID_REPORT_WAIT_MS);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.resume();
  });
}

/** Starts an exec with a TTY at the session's size; its stream comes paused, so nothing is lost before it is read. */
async function startExec(container: Docker.Container, argv: string[], user: string | undefined, { cols, rows }: TerminalSize) {
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
  stream.pause();
  return { exec, stream };
}

/**
 * A new process in the container (`docker exec -it`), started at the session's size. It runs
 * through a wrapper that reports its pid, so that closing the session ends it (exec-reaper.ts)
 * instead of leaving it running in the container. An image without /bin/sh gets the command
 * itself, which then cannot be ended from here.
 */
export function execUpstream(
  container: Docker.Container,
  argv: string[],
  user: string | undefined,
  log: Log,
  reaper: ExecReaper,
): OpenUpstream<string, ExitCode> {
  return async (events, size) => {
    let { exec, stream } = await startExec(container, withPidReport(argv), user, size);
    const report = await readPidReport(stream);
    const pid = report.pid;
    let head = report.head;
    if (pid === null && head.ended) {
      const code = (await exec.inspect().catch(() => null))?.ExitCode;
      // 126/127: the wrapper itself could not run (no /bin/sh in the image).
      if (code === 126 || code === 127) {
        log.warn({ argv }, 'no /bin/sh in the container: this terminal cannot be ended when it closes');
        ({ exec, stream } = await startExec(container, argv, user, size));
        head = { text: '', ended: false };
      }
    }
    // The engine answers start before the process runs, and drops resizes sent in that gap.
    for (let i = 0; i < 40; i++) {
      const state = await exec.inspect().catch(() => null);
      if (!state || state.Running || state.ExitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await exec.resize({ w: size.cols, h: size.rows }).catch(() => {});
    const started = exec;
    return hijacked(
      stream,
      true,
      events,
      {
        resize: ({ cols: w, rows: h }) => started.resize({ w, h }),
        exitCode: async () => (await started.inspect()).ExitCode ?? null,
        onClose: () => {
          if (pid !== null) reaper.track(endExecProcess(container, started, pid, user, log));
        },
      },
      log,
      head,
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

import { PassThrough, type Readable } from 'node:stream';
import type { LogsQuery, LogsServerMessage, LogStream } from '@mirador/contract';
import { DockerLogDemuxer, splitTimestamp } from '@mirador/docker';
import { itemReplay } from '../streams/replay.js';
import type { SessionOptions, StreamProtocol } from '../streams/stream-protocol.js';
import type { OpenUpstream } from '../streams/upstream.js';
import { engineMessage, onEngine } from './docker-errors.js';
import type { Engine } from './engine-pool.js';

export interface LogOptions extends LogsQuery {
  follow: boolean;
}

/**
 * The engine's log stream as a Node stream, without dockerode buffering a non-follow answer in
 * memory (a container's whole log can be gigabytes). Multiplexed unless the container has a TTY.
 */
export async function openLogStream(engine: Engine, id: string, q: LogOptions): Promise<{ stream: Readable; tty: boolean }> {
  const info = await onEngine(engine.host.name, () => engine.docker.getContainer(id).inspect());
  const stdout = q.stdout ?? true;
  const stderr = q.stderr ?? true;
  const options: Record<string, unknown> = { follow: q.follow, stdout, stderr, timestamps: q.timestamps ?? false };
  if (q.tail !== undefined) options.tail = q.tail;
  if (q.since) options.since = /^\d+$/.test(q.since) ? q.since : String(Math.floor(new Date(q.since).getTime() / 1000));
  const stream = await onEngine(
    engine.host.name,
    () =>
      new Promise<Readable>((resolve, reject) =>
        engine.docker.modem.dial(
          {
            path: `/containers/${encodeURIComponent(id)}/logs?`,
            method: 'GET',
            options,
            isStream: true,
            statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
          },
          (err: unknown, s: unknown) => (err ? reject(err) : resolve(s as Readable)),
        ),
      ),
  );
  return { stream, tty: info.Config?.Tty === true };
}

/** Splits the engine's stream into (stream, complete line) pairs, keeping partial lines per stream. */
export function lineSplitter(tty: boolean, onLine: (stream: LogStream, line: string) => void) {
  const demux = tty ? null : new DockerLogDemuxer();
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const partial = { stdout: '', stderr: '' };
  const take = (stream: LogStream, bytes: Uint8Array) => {
    const text = partial[stream] + decoders[stream].decode(bytes, { stream: true });
    const lines = text.split('\n');
    partial[stream] = lines.pop() ?? '';
    for (const l of lines) onLine(stream, l.endsWith('\r') ? l.slice(0, -1) : l);
  };
  return {
    push(chunk: Buffer) {
      if (!demux) return take('stdout', chunk);
      for (const f of demux.push(chunk)) take(f.stream, f.data);
    },
    /** Emits what is left (a last line without newline). */
    flush() {
      for (const s of ['stdout', 'stderr'] as const) {
        if (partial[s]) onLine(s, partial[s]);
        partial[s] = '';
      }
    },
  };
}

/** `docker logs` output as plain text (both streams interleaved, as the CLI prints them). */
export async function streamLogsAsText(engine: Engine, id: string, q: LogsQuery): Promise<Readable> {
  const { stream, tty } = await openLogStream(engine, id, { ...q, follow: false });
  const out = new PassThrough();
  const split = lineSplitter(tty, (_s, line) => out.write(`${line}\n`));
  stream.on('data', (c: Buffer) => split.push(c));
  stream.on('end', () => {
    split.flush();
    out.end();
  });
  stream.on('error', (err) => out.destroy(err));
  out.on('close', () => stream.destroy());
  return out;
}

// ---- live logs as a shared session ---------------------------------------------------------------

export type LogLine = Extract<LogsServerMessage, { type: 'log' }>;
/** How a followed log ends: the container stopped, or the engine failed. */
export type LogEnd = { reason: string } | { error: string };
export type FollowQuery = LogsQuery & { tail: number };

/** Cap on what one websocket may have queued before the engine is no longer read (backpressure). */
const MAX_BACKLOG = 4 * 1024 * 1024;
/** A late joiner is replayed the last `tail` lines, as long as they fit in this. */
const MAX_REPLAY_BYTES = 4 * 1024 * 1024;

/** The logs websocket contract (LogsServerMessage): lines out, "end" when the container stops. */
const logsProtocol: StreamProtocol<LogsServerMessage, LogLine, LogEnd> = {
  output: (line) => line,
  error: (message) => ({ type: 'error', message }),
  status: () => null,
  announceViewers: false,
  readOnlyInput: 'A log stream takes no input',
  ended: (end) =>
    'error' in end
      ? { final: { type: 'error', message: end.error }, code: 1011, reason: 'engine error' }
      : { final: { type: 'end', reason: end.reason }, code: 1000, reason: 'ended' },
};

/** Viewers share a followed log only when they asked for the very same lines. */
export function followKey(hostId: string, id: string, q: FollowQuery): string {
  return JSON.stringify([hostId, id, q.tail, q.since ?? null, q.timestamps === true, q.stdout ?? true, q.stderr ?? true]);
}

/** The engine's followed log as a session upstream: complete lines, stdout and stderr told apart. */
function followLogs(engine: Engine, id: string, q: FollowQuery): OpenUpstream<LogLine, LogEnd> {
  return async (events) => {
    const opened = await openLogStream(engine, id, { ...q, follow: true });
    const stream = opened.stream;
    const withTs = q.timestamps === true;
    const split = lineSplitter(opened.tty, (s, line) => {
      if (!withTs) return events.output({ type: 'log', stream: s, data: line });
      const { ts, text } = splitTimestamp(line);
      events.output(ts ? { type: 'log', stream: s, data: text, ts } : { type: 'log', stream: s, data: text });
    });
    stream.on('data', (c: Buffer) => split.push(c));
    stream.on('end', () => {
      split.flush();
      events.ended({ reason: 'The log stream ended (the container stopped or was removed)' });
    });
    stream.on('error', (err) => events.ended({ error: engineMessage(err) }));
    return {
      // The log protocol has no client messages; nothing is ever written.
      write: () => {},
      resize: () => {},
      close: () => stream.destroy(),
      pause: () => stream.pause(),
      resume: () => stream.resume(),
    };
  };
}

/** A followed log shared by everyone asking for the same lines; the slowest viewer sets the pace. */
export function followSession(engine: Engine, id: string, q: FollowQuery): SessionOptions<LogsServerMessage, LogLine, LogEnd> {
  return {
    protocol: logsProtocol,
    open: followLogs(engine, id, q),
    replay: itemReplay<LogLine>(q.tail, MAX_REPLAY_BYTES, (l) => l.data.length + (l.ts?.length ?? 0)),
    messages: { connecting: 'Opening the log stream', attached: 'Following the log', closed: 'The log stream closed' },
    maxBacklog: MAX_BACKLOG,
  };
}

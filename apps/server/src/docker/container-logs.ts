import { PassThrough, type Readable } from 'node:stream';
import type { LogsQuery, LogStream } from '@mirador/contract';
import { DockerLogDemuxer } from '@mirador/docker';
import { onEngine } from './docker-errors.js';
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

import { Readable } from 'node:stream';
import type { ProcessChannel } from '@mirador/ssh';

/**
 * A process's stdout as a Readable with backpressure: when the HTTP client reads slowly the channel
 * is paused, so SSH's window (or the pipe) holds the host back instead of the server buffering a
 * whole disk image. A non-zero exit fails the stream with the process's stderr; destroying the
 * stream (the client went away) kills the process.
 */
export function channelReadable(channel: ProcessChannel): Readable {
  let stderr = '';
  const out = new Readable({
    read() {
      channel.resume?.();
    },
    destroy(err, cb) {
      if (!channel.exited) channel.kill();
      cb(err);
    },
  });
  channel.on('data', (chunk: Buffer) => {
    if (!out.push(chunk)) channel.pause?.();
  });
  channel.on('stderr', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  channel.once('exit', (code: number | null) => {
    if (code === 0) out.push(null);
    else out.destroy(new Error(stderr.trim() || `the command ended with code ${String(code)}`));
  });
  return out;
}

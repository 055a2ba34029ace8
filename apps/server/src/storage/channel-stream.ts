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

/**
 * Feeds `source` (an upload's request body) into a process's stdin with backpressure: when the pipe
 * or SSH window is full the source is paused until 'drain', so a browser faster than the host never
 * fills the server's memory, and chunks flow without a round trip each. Settles only once the process
 * has ended: resolves when exactly `expected` bytes went in and it exited 0; otherwise (the client went
 * away, sent more or fewer bytes, or the process failed) the process is killed and the promise rejects.
 */
/** The client's bytes stopped short (or ran long): how many arrived, so the failure can be said in any language. */
export class UploadCutShort extends Error {
  constructor(
    message: string,
    readonly sent: number,
    readonly expected: number,
  ) {
    super(message);
    this.name = 'UploadCutShort';
  }
}

export function pipeIntoChannel(source: Readable, channel: ProcessChannel, expected: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let sent = 0;
    let stderr = '';
    let failure: Error | null = null;
    const fail = (err: Error) => {
      failure ??= err;
      if (!channel.exited) channel.kill('KILL');
    };
    source.on('data', (chunk: Buffer) => {
      if (failure) return;
      sent += chunk.length;
      if (sent > expected)
        fail(new UploadCutShort(`The upload sent more than the ${expected} bytes its content-length announced`, sent, expected));
      else if (!channel.write(chunk)) source.pause();
    });
    channel.on('drain', () => source.resume());
    source.once('end', () => {
      if (sent !== expected) fail(new UploadCutShort(`The upload ended after ${sent} of ${expected} bytes`, sent, expected));
      else channel.endInput?.();
    });
    source.once('error', (err) =>
      fail(new UploadCutShort(`The upload broke off after ${sent} of ${expected} bytes: ${err.message}`, sent, expected)),
    );
    source.once('close', () => {
      if (!source.readableEnded) fail(new UploadCutShort(`The upload broke off after ${sent} of ${expected} bytes`, sent, expected));
    });
    channel.on('stderr', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    channel.once('exit', (code: number | null) => {
      // Whatever the client still sends is read and dropped, so the answer can go out.
      source.resume();
      if (!failure && code === 0 && sent === expected) resolve();
      else reject(failure ?? new Error(stderr.trim() || `the upload command ended with code ${String(code)}`));
    });
  });
}

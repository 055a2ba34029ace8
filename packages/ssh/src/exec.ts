import type { SshClient } from './connect.js';
import { closeChannel, signalChannel } from './channel-signal.js';
import { toCommandLine } from './quote.js';

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  stdin?: string;
  /** Output beyond this many bytes per stream is dropped (protects memory from runaway commands). */
  maxOutputBytes?: number;
}

/** Runs argv on the remote host (quoted through toCommandLine) and collects its output. */
export function execArgv(client: SshClient, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const command = toCommandLine(argv);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const max = opts.maxOutputBytes ?? 8 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // stdin is already at EOF, where ssh2's stream.signal() is a silent no-op: see signalChannel.
        signalChannel(stream, 'KILL');
        closeChannel(stream);
      }, timeoutMs);
      stream.on('data', (d: Buffer) => {
        if (outLen < max) out.push(d);
        outLen += d.length;
      });
      stream.stderr.on('data', (d: Buffer) => {
        if (errLen < max) errOut.push(d);
        errLen += d.length;
      });
      stream.on('close', (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        resolve({
          code: code ?? null,
          signal: signal ?? null,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errOut).toString('utf8'),
          timedOut,
        });
      });
      if (opts.stdin !== undefined) stream.end(opts.stdin);
      else stream.end();
    });
  });
}

import type { SshClient } from './connect.js';
import { closeChannel, signalChannel } from './channel-signal.js';
import { DEFAULT_MAX_OUTPUT_BYTES, OutputBuffer } from './exec-job.js';
import { toCommandLine } from '@mirador/argv';

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
  const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      const out = new OutputBuffer(max);
      const errOut = new OutputBuffer(max);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // stdin is already at EOF, where ssh2's stream.signal() is a silent no-op: see signalChannel.
        signalChannel(stream, 'KILL');
        closeChannel(stream);
      }, timeoutMs);
      stream.on('data', (d: Buffer) => out.push(d));
      stream.stderr.on('data', (d: Buffer) => errOut.push(d));
      stream.on('close', (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        resolve({ code: code ?? null, signal: signal ?? null, stdout: out.toString(), stderr: errOut.toString(), timedOut });
      });
      if (opts.stdin !== undefined) stream.end(opts.stdin);
      else stream.end();
    });
  });
}

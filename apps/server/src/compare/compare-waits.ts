import { performance } from 'node:perf_hooks';
import type { ConsoleServerMessage } from '@mirador/contract';
import type { ConsoleSession } from '../vms/console-broker.js';
import type { SessionViewer } from '../streams/stream-protocol.js';

/**
 * The two clocks of a measurement stop when a text appears: the guest's prompt on the shared serial
 * console, the container's first line on its attached output. Both give up on cancel and on timeout.
 */

const KEEP_CHARS = 4096;

/** Resolves `performance.now()` when `text` shows on the console; the task's viewer leaves either way. */
export function waitForConsoleText(session: ConsoleSession, text: string, signal: AbortSignal, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let seen = '';
    let done = false;
    const viewer: SessionViewer<ConsoleServerMessage> = {
      // Watches only: the broker itself sends the Enter that makes an already-booted shell print its prompt again.
      canWrite: false,
      backlog: 0,
      send(msg) {
        if (done || msg.type !== 'output') return;
        seen = (seen + msg.data).slice(-KEEP_CHARS);
        if (seen.includes(text)) finish(null, performance.now());
      },
      close(_code, reason) {
        finish(new Error(`The serial console closed before the prompt appeared: ${reason}`));
      },
    };
    const timer = setTimeout(
      () => finish(new Error(`No "${text.trim()}" prompt on the serial console within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onAbort = () => finish(new Error('Cancelled'));
    function finish(err: Error | null, at = 0) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // After join() has returned: a replayed prompt may finish the wait from inside join itself.
      queueMicrotask(() => session.leave(viewer));
      if (err) reject(err);
      else resolve(at);
    }
    if (signal.aborted) return finish(new Error('Cancelled'));
    signal.addEventListener('abort', onAbort);
    session.join(viewer);
  });
}

/** Resolves `performance.now()` at the first chunk of `stream` that holds `text` (docker's attach stream). */
export function waitForFirstOutput(stream: NodeJS.ReadableStream, text: string, signal: AbortSignal, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let seen = '';
    let done = false;
    const onData = (chunk: Buffer | string) => {
      seen = (seen + chunk.toString()).slice(-KEEP_CHARS);
      if (seen.includes(text)) finish(null, performance.now());
    };
    const onEnd = () => finish(new Error('The container ended before printing its first line'));
    const onAbort = () => finish(new Error('Cancelled'));
    const timer = setTimeout(() => finish(new Error(`The container printed nothing within ${timeoutMs / 1000} s`)), timeoutMs);
    function finish(err: Error | null, at = 0) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      // The attach stream is not needed past the first line (the container keeps running on its own).
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      if (err) reject(err);
      else resolve(at);
    }
    if (signal.aborted) return finish(new Error('Cancelled'));
    signal.addEventListener('abort', onAbort);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

export type LogStreamName = 'stdout' | 'stderr';

export interface LogFrame {
  stream: LogStreamName;
  data: Uint8Array;
}

/**
 * Incremental parser of the engine's multiplexed log/attach stream (containers without a TTY):
 * frames of an 8-byte header — stream (0 stdin, 1 stdout, 2 stderr, 3 engine error), three zero
 * bytes, big-endian uint32 payload length — followed by the payload. Chunks may cut frames
 * anywhere. Containers created with a TTY send raw bytes instead: construct with `{ tty: true }`.
 * Uint8Array/DataView only, so it also runs in the browser.
 */
export class DockerLogDemuxer {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private readonly tty: boolean;

  constructor(opts: { tty?: boolean } = {}) {
    this.tty = opts.tty === true;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): LogFrame[] {
    if (this.tty) return chunk.length ? [{ stream: 'stdout', data: chunk }] : [];
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: LogFrame[] = [];
    while (this.buffered >= 8) {
      const header = this.peek(8);
      const kind = header[0]!; // peek(8) returns exactly 8 bytes
      if (kind > 3 || header[1] !== 0 || header[2] !== 0 || header[3] !== 0) {
        throw new Error('Not a multiplexed Docker stream (bad frame header); is the container running with a TTY?');
      }
      const size = new DataView(header.buffer, header.byteOffset, 8).getUint32(4, false);
      if (this.buffered < 8 + size) break;
      const frame = this.take(8 + size).subarray(8);
      if (size > 0) frames.push({ stream: kind === 2 || kind === 3 ? 'stderr' : 'stdout', data: frame });
    }
    return frames;
  }

  /** The first `n` buffered bytes (joined only when they span chunks). */
  private peek(n: number): Uint8Array {
    // Callers never ask for more than `buffered` bytes (n >= 1), so there is at least one chunk.
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let filled = 0;
    for (const c of this.chunks) {
      const part = c.subarray(0, n - filled);
      out.set(part, filled);
      filled += part.length;
      if (filled === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` buffered bytes. */
  private take(n: number): Uint8Array {
    const out = this.peek(n);
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!; // the `left` bytes still to drop are buffered, so a chunk remains
      if (c.length <= left) {
        this.chunks.shift();
        left -= c.length;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
    return out;
  }
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))(?: |$)/;

/** `2024-05-01T12:00:00.123456789Z hello` → `{ ts: '2024-05-01T12:00:00.123456789Z', text: 'hello' }` (logs with `timestamps=true`). */
export function splitTimestamp(line: string): { ts: string | null; text: string } {
  const m = TIMESTAMP.exec(line);
  if (!m) return { ts: null, text: line };
  return { ts: m[1]!, text: line.slice(m[0].length) }; // group 1 is required
}

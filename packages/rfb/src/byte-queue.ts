/** The RFB handshake failed or a peer broke the protocol; `message` is what a person reads. */
export class RfbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RfbError';
  }
}

/**
 * Bytes from a stream, taken in the exact sizes a handshake step needs. Chunks arrive however the
 * transport splits them; `take(n)` waits for n, and fails when the stream ends or a step takes too long.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private ended: Error | null = null;

  constructor(private readonly stepTimeoutMs: number) {}

  push(chunk: Uint8Array) {
    if (this.ended || chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk));
    this.length += chunk.length;
    this.settle();
  }

  /** No more bytes will come; a pending or later take fails with `why`. */
  end(why: Error) {
    if (this.ended) return;
    this.ended = why;
    this.settle();
  }

  take(n: number, what: string): Promise<Buffer> {
    if (this.waiter) return Promise.reject(new Error('ByteQueue: one take at a time'));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new RfbError(`Timed out waiting for ${what}`));
      }, this.stepTimeoutMs);
      timer.unref();
      this.waiter = { n, resolve, reject, timer };
      this.settle();
    });
  }

  /** Whatever arrived beyond the handshake; the queue is empty afterwards. */
  drain(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.length = 0;
    return all;
  }

  private settle() {
    const w = this.waiter;
    if (!w) return;
    if (this.length >= w.n) {
      const all = Buffer.concat(this.chunks);
      this.chunks = all.length > w.n ? [all.subarray(w.n)] : [];
      this.length = all.length - w.n;
      this.finish(w).resolve(all.subarray(0, w.n));
    } else if (this.ended) {
      this.finish(w).reject(this.ended);
    }
  }

  private finish(w: NonNullable<ByteQueue['waiter']>) {
    clearTimeout(w.timer);
    this.waiter = null;
    return w;
  }
}

/** A terminal size in character cells. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/**
 * The far end of a stream session: a duplex byte stream that an adapter opened (an SSH channel
 * running `virsh console`, a docker hijacked exec/attach stream, a log stream, later a VNC socket).
 * The session only writes keys, passes sizes on and closes it; what the bytes mean stays in the adapter.
 */
export interface Upstream {
  write(data: string): void;
  resize(size: TerminalSize): void;
  /** Ends the upstream; events it emits afterwards are ignored. */
  close(): void;
  /** Backpressure: stop reading until resume(). Absent when the transport cannot. */
  pause?(): void;
  resume?(): void;
}

/** What an adapter tells its session while the upstream runs. Events from an upstream the session gave up are dropped. */
export interface UpstreamEvents<C, E> {
  /** Output, already decoded into the chunks the protocol sends (terminal text, log lines). */
  output(chunk: C): void;
  /** Still connecting; `message` is what the viewers see meanwhile. */
  progress(message: string): void;
  /** A problem the viewers should read; the upstream goes on. */
  error(message: string): void;
  /** The upstream ended by itself (process exit, stream end, connection lost). */
  ended(end: E): void;
}

/**
 * Opens the upstream. Resolves once it takes input (for `virsh console`: once virsh holds the
 * console); output may flow through `events` before that.
 */
export type OpenUpstream<C, E> = (events: UpstreamEvents<C, E>, size: TerminalSize) => Promise<Upstream>;

/**
 * Thrown by an opener when there is nothing to attach to right now. A re-attaching session shows
 * `message`, and tries again later when `retry` says it is worth it (the VM is off: yes; it has no
 * serial port: no).
 */
export class UpstreamUnavailable extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
    this.name = 'UpstreamUnavailable';
  }
}

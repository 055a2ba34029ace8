/**
 * One interactive websocket of a component — the VM serial console, a container terminal, a log follow —
 * talking to a session of the server's stream broker (`apps/server/src/streams/`). It owns what every such
 * client needs: the ws/wss URL, typed JSON in and out, messages sent before the socket opens (kept and sent
 * on open), the connection state, an optional re-connect with capped backoff, the server's final close
 * codes, and closing when the component goes away.
 *
 * Construct it during component initialisation (it uses `$effect` for that last part), then
 * `$effect(() => stream.connect(path))`: the returned function closes it again.
 */
import { api } from '$lib/api';

/**
 * idle: never connected · connecting: a socket is opening · open: connected · retrying: waiting for the
 * next attempt · ended: the server closed it for good (session ended, role too low), no retry ·
 * closed: closed otherwise, and not re-connecting (no `reconnect` option, or `close()`).
 */
export type StreamState = 'idle' | 'connecting' | 'open' | 'retrying' | 'ended' | 'closed';

/** Close codes of the server's identity guard, mirroring HTTP 401/403: retrying would only be refused. */
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;

/** Messages sent while connecting are kept up to this many (as many as the server keeps before joining). */
const MAX_QUEUED = 256;

export interface Backoff {
  /** The first wait; each failed attempt doubles it, up to `maxMs`. A random half of it is taken off. */
  minMs: number;
  maxMs: number;
}

export interface StreamSocketOptions<In> {
  onmessage(msg: In): void;
  /** The socket is open (messages sent meanwhile have just gone out). */
  onopen?(): void;
  /** The server closed the socket (not called for `close()` or `connect()` replacing it). */
  onclose?(code: number): void;
  /** Re-connect after a close the server did not mean as final. Without it a closed stream stays closed. */
  reconnect?: Backoff;
  /** The session behind the socket ended (close 4401). Default: `checkSession`. */
  onUnauthorized?(): void;
}

/** The same-origin websocket URL of an API path (with its query). */
export function socketUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

/**
 * Asks who we are, as the realtime socket does after a 4401: a 401 there hands over to the login redirect;
 * an answer means a new session is already in place (logged in again in another tab).
 */
export function checkSession(): void {
  api.GET('/api/auth/me').catch(() => {});
}

export function backoffDelay(b: Backoff, attempt: number): number {
  const base = Math.min(b.maxMs, b.minMs * 2 ** attempt);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

export class StreamSocket<In, Out> {
  state = $state<StreamState>('idle');
  /** When the next attempt starts (epoch ms) while `retrying`. */
  retryAt = $state<number | null>(null);

  readonly #opts: StreamSocketOptions<In>;
  #path: string | null = null;
  #ws: WebSocket | null = null;
  /** Not `state`: `send` may run inside an effect, which must not come to depend on the connection. */
  #isOpen = false;
  #queue: string[] = [];
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(opts: StreamSocketOptions<In>) {
    this.#opts = opts;
    $effect(() => () => this.close());
  }

  /** Connects to `path` (closing any previous socket of this stream); returns the function that closes it. */
  connect(path: string): () => void {
    this.#drop();
    this.#path = path;
    this.#attempt = 0;
    this.#open();
    return () => this.close();
  }

  /** Starts over at once: a new socket, the backoff reset (the "reconnect now" button). */
  reconnect(): void {
    if (this.#path !== null) this.connect(this.#path);
  }

  /** Sends now if open, later if connecting; otherwise the message is dropped (there is no session to take it). */
  send(msg: Out): void {
    const data = JSON.stringify(msg);
    if (this.#isOpen) this.#ws?.send(data);
    else if (this.#ws && this.#queue.length < MAX_QUEUED) this.#queue.push(data);
  }

  close(): void {
    const had = this.#ws !== null || this.#timer !== null;
    this.#drop();
    this.#path = null;
    if (had) this.state = 'closed';
  }

  /** Forgets the current socket and any pending retry, without a state change of its own. */
  #drop() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.retryAt = null;
    this.#queue = [];
    this.#isOpen = false;
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(1000, 'bye');
  }

  #open() {
    this.#timer = null;
    this.retryAt = null;
    this.state = 'connecting';
    let ws: WebSocket;
    try {
      ws = new WebSocket(socketUrl(this.#path ?? ''));
    } catch {
      this.#closed(1006);
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#isOpen = true;
      this.state = 'open';
      const queued = this.#queue;
      this.#queue = [];
      for (const data of queued) ws.send(data);
      this.#opts.onopen?.();
    };
    ws.onmessage = (ev) => {
      if (this.#ws !== ws || typeof ev.data !== 'string') return;
      let msg: In;
      try {
        msg = JSON.parse(ev.data) as In;
      } catch {
        return;
      }
      // A connection that delivered something worked: the next failure starts the backoff over.
      this.#attempt = 0;
      this.#opts.onmessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#isOpen = false;
      this.#closed(ev.code);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  #closed(code: number) {
    this.#queue = [];
    this.#opts.onclose?.(code);
    if (code === CLOSE_UNAUTHENTICATED || code === CLOSE_FORBIDDEN) {
      // The server already said why (its last message); the socket stays down.
      this.state = 'ended';
      if (code === CLOSE_UNAUTHENTICATED) (this.#opts.onUnauthorized ?? checkSession)();
      return;
    }
    const backoff = this.#opts.reconnect;
    if (!backoff) {
      this.state = 'closed';
      return;
    }
    this.state = 'retrying';
    const delay = backoffDelay(backoff, this.#attempt++);
    this.retryAt = Date.now() + delay;
    this.#timer = setTimeout(() => this.#open(), delay);
  }
}

/**
 * The one websocket of the tab (`/api/ws`), shared by every page.
 * Pages call `realtime.subscribe(topic, handler)` (typically inside `$effect`, returning the
 * unsubscribe function as cleanup). The client reconnects with capped exponential backoff and
 * re-subscribes every topic after a reconnect; `onResync` lets a page refetch what it may have missed.
 */
import type { ClientMessage, ServerMessage, TopicMessage, TopicName } from '@mirador/contract';
import { api } from '$lib/api';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting';
export type Handler = (msg: ServerMessage) => void;

interface Subscriber {
  handler: Handler;
  onResync?: () => void;
}

const PING_MS = 25_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** The server closes with this when the session or token behind the socket has ended. */
const CLOSE_UNAUTHENTICATED = 4401;

function topicOf(msg: ServerMessage): string | undefined {
  return 'topic' in msg && typeof msg.topic === 'string' ? msg.topic : undefined;
}

class Realtime {
  state = $state<ConnectionState>('idle');
  /** Number of successful (re)connections; pages can watch it. */
  connections = $state(0);

  #ws: WebSocket | null = null;
  #wanted = false;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #topics = new Map<string, Set<Subscriber>>();

  /** Open the connection (idempotent). Called once a user is signed in. */
  start() {
    if (this.#wanted) return;
    this.#wanted = true;
    this.#connect();
  }

  /** Close and stop reconnecting (on logout). Subscriptions are kept for the next start(). */
  stop() {
    this.#wanted = false;
    this.#clearTimers();
    const ws = this.#ws;
    this.#ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'bye');
    this.state = 'idle';
  }

  /** Follows a topic (build it with `topics` from the contract); the handler gets that topic's messages only. */
  subscribe<T extends TopicName>(topic: T, handler: (msg: TopicMessage<T>) => void, onResync?: () => void): () => void {
    let subs = this.#topics.get(topic);
    const first = !subs;
    if (!subs) {
      subs = new Set();
      this.#topics.set(topic, subs);
    }
    // The server sends a topic only its own messages (and errors about it), so the union is safe to narrow.
    const sub: Subscriber = { handler: handler as Handler, onResync };
    subs.add(sub);
    if (first) this.#send({ type: 'subscribe', topic });
    return () => {
      const set = this.#topics.get(topic);
      if (!set) return;
      set.delete(sub);
      if (set.size === 0) {
        this.#topics.delete(topic);
        this.#send({ type: 'unsubscribe', topic });
      }
    };
  }

  #send(msg: ClientMessage) {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(msg));
  }

  #connect() {
    this.state = this.#attempt === 0 && this.connections === 0 ? 'connecting' : 'reconnecting';
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${proto}//${location.host}/api/ws`);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      const resync = this.connections > 0;
      this.#attempt = 0;
      this.connections++;
      this.state = 'open';
      for (const topic of this.#topics.keys()) this.#send({ type: 'subscribe', topic });
      if (resync) {
        for (const subs of this.#topics.values()) for (const s of subs) s.onResync?.();
      }
      this.#pingTimer = setInterval(() => this.#send({ type: 'ping' }), PING_MS);
    };
    ws.onmessage = (ev) => {
      if (this.#ws !== ws || typeof ev.data !== 'string') return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      this.#dispatch(msg);
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#clearTimers();
      if (this.#wanted && ev.code === CLOSE_UNAUTHENTICATED) {
        // The identity ended (logout elsewhere, revoked, disabled): retrying would only collect 401s.
        // Ask who we are: a 401 there hands over to the login redirect; an answer means a new
        // session is already in place (logged in again in another tab), so reconnect.
        this.state = 'reconnecting';
        void api.GET('/api/auth/me').then(
          () => this.#wanted && this.#scheduleReconnect(),
          () => (this.state = 'idle'),
        );
      } else if (this.#wanted) this.#scheduleReconnect();
      else this.state = 'idle';
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  #dispatch(msg: ServerMessage) {
    const topic = topicOf(msg);
    if (topic === undefined) return; // hello, pong, untargeted errors
    const subs = this.#topics.get(topic);
    if (!subs) return;
    if (msg.type === 'subscribed') {
      // The server confirms a subscription only after re-checking who we are: whatever happened on
      // the topic between the page's first read and now went out before we were listening. Re-read.
      for (const s of [...subs]) s.onResync?.();
      return;
    }
    for (const s of [...subs]) {
      try {
        s.handler(msg);
      } catch (err) {
        console.error('realtime handler failed', err);
      }
    }
  }

  #scheduleReconnect() {
    this.state = 'reconnecting';
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#attempt);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.#attempt++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#wanted) this.#connect();
    }, delay);
  }

  #clearTimers() {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#retryTimer = null;
    this.#pingTimer = null;
  }
}

export const realtime = new Realtime();

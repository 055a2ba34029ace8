import { UpstreamUnavailable, type TerminalSize, type Upstream, type UpstreamEvents } from './upstream.js';
import type { SessionEnd, SessionOptions, SessionState, SessionViewer, ViewerSession } from './stream-protocol.js';

/** Keys typed before the upstream takes input are kept, up to this many characters. */
const MAX_PENDING_INPUT = 4096;
const BACKLOG_POLL_MS = 50;

/**
 * One upstream fanned out to every viewer of it. Late joiners get the recent output replayed;
 * input and resizes come from writers only; keys typed while the upstream is still connecting
 * are kept for it. A session lives while someone watches or holds a claim (a route between
 * finding the session and joining it), and ends when the upstream ends for good, or idles out.
 */
export class StreamSession<M, C, E> implements ViewerSession<M> {
  /** Resolves once the upstream first takes input; rejects when the first open fails and the session does not re-attach. */
  readonly opened: Promise<void>;
  private viewers = new Set<SessionViewer<M>>();
  private claims = 1;
  private upstream: Upstream | null = null;
  private opening = false;
  /** Bumped at every attach and at close, so events of an upstream given up are dropped. */
  private attempt = 0;
  private state: SessionState;
  private final: Extract<SessionEnd<M>, { final: M }> | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private paused = false;
  private pendingInput = '';
  private size: TerminalSize;
  private settleOpened!: (err?: unknown) => void;

  constructor(
    private readonly opts: SessionOptions<M, C, E>,
    private readonly hooks: { onClose?(): void; onRetire?(): void } = {},
  ) {
    this.size = opts.size ?? { cols: 80, rows: 24 };
    this.state = { phase: 'waiting', message: opts.messages.connecting };
    let settled = false;
    this.opened = new Promise<void>((resolve, reject) => {
      this.settleOpened = (err) => {
        if (settled) return;
        settled = true;
        if (err === undefined) resolve();
        else reject(err instanceof Error ? err : new Error(String(err)));
      };
    });
    // Awaited by the routes that need it; a console nobody waits on must not count as unhandled.
    this.opened.catch(() => {});
    void this.attach();
  }

  get viewerCount() {
    return this.viewers.size;
  }

  get isClosed() {
    return this.closed;
  }

  /** One more route will join (or release); the session stays up for it. */
  claim() {
    this.claims++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** A claim is given up without joining (the socket closed while the route was busy). */
  release() {
    if (this.claims > 0) this.claims--;
    this.idleIfUnwatched();
  }

  /** Turns a claim into a viewer: it gets its status and the replay, then live output. */
  join(viewer: SessionViewer<M>) {
    if (this.claims > 0) this.claims--;
    if (this.final) {
      this.sendStatus(viewer, this.state, 0);
      this.sendReplay(viewer);
      viewer.send(this.final.final);
      viewer.close(this.final.code, this.final.reason);
      return;
    }
    if (this.closed) {
      this.sendStatus(viewer, { phase: 'closed', message: this.opts.messages.closed }, 0);
      return;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.viewers.add(viewer);
    this.greet(viewer);
    if (this.opts.reattachMs !== undefined) void this.attach();
  }

  leave(viewer: SessionViewer<M>) {
    if (!this.viewers.delete(viewer)) return;
    if (this.viewers.size > 0) {
      if (this.opts.protocol.announceViewers) this.broadcastStatus();
      return;
    }
    this.idleIfUnwatched();
  }

  /** Re-sends one viewer its status (its read-only flag changed). */
  refresh(viewer: SessionViewer<M>) {
    if (this.viewers.has(viewer)) this.sendStatus(viewer, this.state, this.viewers.size);
  }

  input(viewer: SessionViewer<M>, data: string) {
    if (!viewer.canWrite) return viewer.send(this.opts.protocol.error(this.opts.protocol.readOnlyInput));
    if (this.closed) return;
    const clean = this.opts.filterInput ? this.opts.filterInput(data) : data;
    if (!clean) return;
    if (this.upstream) this.upstream.write(clean);
    else this.pendingInput = (this.pendingInput + clean).slice(-MAX_PENDING_INPUT);
  }

  resize(viewer: SessionViewer<M>, cols: number, rows: number) {
    if (!viewer.canWrite || this.closed) return;
    this.size = { cols, rows };
    this.upstream?.resize(this.size);
  }

  /** Try to attach now rather than at the next retry (the VM was seen starting). */
  poke() {
    if (!this.upstream && !this.closed && this.wanted()) void this.attach();
  }

  /** Ends the session: the upstream is closed and the viewers are told; their sockets stay theirs. */
  close() {
    if (this.closed) return;
    this.shutDown();
    for (const v of this.viewers) this.sendStatus(v, { phase: 'closed', message: this.opts.messages.closed }, 0);
    this.viewers.clear();
  }

  private wanted() {
    return this.viewers.size > 0 || this.claims > 0;
  }

  private greet(viewer: SessionViewer<M>) {
    if (this.opts.protocol.announceViewers) this.broadcastStatus();
    else this.sendStatus(viewer, this.state, this.viewers.size);
    this.sendReplay(viewer);
  }

  private sendReplay(viewer: SessionViewer<M>) {
    for (const chunk of this.opts.replay.chunks()) viewer.send(this.opts.protocol.output(chunk));
  }

  private async attach() {
    if (this.upstream || this.opening || this.closed) return;
    this.opening = true;
    const attempt = ++this.attempt;
    const live = () => attempt === this.attempt && !this.closed;
    let endedEarly: { end: E } | null = null;
    const events: UpstreamEvents<C, E> = {
      output: (chunk) => live() && this.output(chunk),
      progress: (message) => live() && this.setState({ phase: 'waiting', message }),
      error: (message) => live() && this.broadcast(this.opts.protocol.error(message)),
      ended: (end) => {
        if (!live()) return;
        // An upstream can end before its opener has returned it (a command that exits at once).
        if (this.upstream) this.upstreamEnded(end);
        else endedEarly = { end };
      },
    };
    const size = this.size;
    try {
      const up = await this.opts.open(events, size);
      if (!live()) return up.close();
      this.upstream = up;
      if (size !== this.size) up.resize(this.size);
      this.setState({ phase: 'attached', message: this.opts.messages.attached });
      this.settleOpened();
      if (this.pendingInput) up.write(this.pendingInput);
      this.pendingInput = '';
      if (endedEarly) this.upstreamEnded((endedEarly as { end: E }).end);
    } catch (err) {
      if (!live()) return;
      const message = err instanceof Error ? err.message : String(err);
      if (this.opts.reattachMs === undefined) {
        this.settleOpened(err);
        this.shutDown();
        return;
      }
      const retry = err instanceof UpstreamUnavailable ? err.retry : true;
      this.setState({ phase: retry ? 'waiting' : 'closed', message });
      if (retry) this.retryLater();
    } finally {
      this.opening = false;
    }
  }

  private upstreamEnded(end: E) {
    this.paused = false;
    const how = this.opts.protocol.ended(end);
    if ('reattach' in how) {
      this.upstream = null;
      this.setState({ phase: 'waiting', message: how.reattach });
      this.retryLater();
      return;
    }
    this.final = how;
    const viewers = [...this.viewers];
    this.viewers.clear();
    // Closing what is left of the upstream (a half-open hijacked socket) is the session's job.
    this.shutDown();
    for (const v of viewers) {
      v.send(how.final);
      v.close(how.code, how.reason);
    }
  }

  private retryLater() {
    if (this.retryTimer || this.closed || !this.wanted() || this.opts.reattachMs === undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.attach();
    }, this.opts.reattachMs);
    this.retryTimer.unref();
  }

  private idleIfUnwatched() {
    if (this.wanted() || this.closed || this.idleTimer) return;
    const ms = this.opts.idleCloseMs ?? 0;
    if (ms <= 0) return this.close();
    this.idleTimer = setTimeout(() => this.close(), ms);
    this.idleTimer.unref();
  }

  private output(chunk: C) {
    const { replay, protocol } = this.opts;
    replay.push(chunk);
    if (!replay.complete) this.hooks.onRetire?.();
    const msg = protocol.output(chunk);
    for (const v of this.viewers) v.send(msg);
    this.applyBackpressure();
  }

  /** The slowest viewer sets the pace: reading stops while one is behind, and resumes when all have caught up. */
  private applyBackpressure() {
    const max = this.opts.maxBacklog;
    const up = this.upstream;
    if (!max || this.paused || !up?.pause || !up.resume) return;
    if (![...this.viewers].some((v) => v.backlog > max)) return;
    up.pause();
    this.paused = true;
    const poll = setInterval(() => {
      if (this.upstream !== up || !this.paused) return clearInterval(poll);
      if ([...this.viewers].some((v) => v.backlog >= max / 4)) return;
      clearInterval(poll);
      this.paused = false;
      up.resume?.();
    }, BACKLOG_POLL_MS);
    poll.unref();
  }

  private setState(state: SessionState) {
    this.state = state;
    this.broadcastStatus();
  }

  private broadcastStatus() {
    for (const v of this.viewers) this.sendStatus(v, this.state, this.viewers.size);
  }

  private sendStatus(viewer: SessionViewer<M>, state: SessionState, viewers: number) {
    const msg = this.opts.protocol.status(state, { readOnly: !viewer.canWrite, viewers });
    if (msg) viewer.send(msg);
  }

  private broadcast(msg: M) {
    for (const v of this.viewers) v.send(msg);
  }

  private shutDown() {
    this.closed = true;
    this.attempt++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.retryTimer = this.idleTimer = null;
    const up = this.upstream;
    this.upstream = null;
    up?.close();
    this.settleOpened(new Error(this.opts.messages.closed));
    this.hooks.onClose?.();
  }
}

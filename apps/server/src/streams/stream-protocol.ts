import type { Replay } from './replay.js';
import type { OpenUpstream, TerminalSize } from './upstream.js';

/** One person on a session: a websocket, seen through the socket adapter. */
export interface SessionViewer<M> {
  /** False for watchers, and from the moment a typing user is demoted. */
  canWrite: boolean;
  send(msg: M): void;
  /** Bytes queued towards this viewer and not yet sent (backpressure). */
  readonly backlog: number;
  /** Ends this viewer's connection: the session ended for good. */
  close(code: number, reason: string): void;
}

export type SessionPhase = 'waiting' | 'attached' | 'closed';

export interface SessionState {
  phase: SessionPhase;
  message: string;
}

/** How an upstream's end reads for the viewers. */
export type SessionEnd<M> =
  /** The session is over: every viewer gets `message`, then its connection closes with `code`. */
  | { final: M; code: number; reason: string }
  /** The upstream may come back (the VM rebooted): viewers wait with `message`. Only for sessions with `reattachMs`. */
  | { reattach: string };

/**
 * The wire protocol of one kind of stream: turns what the session knows into the messages its
 * websocket contract defines (packages/contract). The broker never builds a message itself.
 */
export interface StreamProtocol<M, C, E> {
  output(chunk: C): M;
  error(message: string): M;
  /**
   * What one viewer is told about the session, with its own read-only flag; null when this
   * protocol says nothing in that state (a terminal says "ready" only once attached).
   */
  status(state: SessionState, viewer: { readOnly: boolean; viewers: number }): M | null;
  /** Every viewer hears when someone joins or leaves (the console shows how many watch). */
  announceViewers: boolean;
  /** The refusal a read-only viewer gets for typing. */
  readOnlyInput: string;
  ended(end: E): SessionEnd<M>;
}

export interface SessionOptions<M, C, E> {
  protocol: StreamProtocol<M, C, E>;
  open: OpenUpstream<C, E>;
  replay: Replay<C>;
  /** What the viewers read while the first attach is under way, and once it holds. */
  messages: { connecting: string; attached: string; closed: string };
  size?: TerminalSize;
  /** Keys pass through this before they reach the upstream; an empty result is dropped. */
  filterInput?(data: string): string;
  /**
   * Re-attach this long after the upstream ended or could not be had, while anyone watches.
   * Without it the first failure or end is final.
   */
  reattachMs?: number;
  /** Keep the upstream this long after the last viewer left (a reload should not cut a console); default 0. */
  idleCloseMs?: number;
  /** Stop reading the upstream while a viewer has more than this many bytes queued. */
  maxBacklog?: number;
}

/**
 * A session as the socket adapter uses it, whatever its messages and upstream. `D` is what a viewer
 * sends: keys as text for terminals, raw bytes for a binary protocol (the VNC screen).
 */
export interface ViewerSession<M, D = string> {
  join(viewer: SessionViewer<M>): void;
  leave(viewer: SessionViewer<M>): void;
  release(): void;
  refresh(viewer: SessionViewer<M>): void;
  input(viewer: SessionViewer<M>, data: D): void;
  resize(viewer: SessionViewer<M>, cols: number, rows: number): void;
}

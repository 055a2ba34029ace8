import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Role } from '@mirador/contract';
import { actorOf } from '../audit/audit.plugin.js';
import type { AuditService } from '../audit/audit.service.js';
import type { StreamAuditAction } from '../audit/audit-catalog.js';
import { roleAtLeast } from '../auth/auth.service.js';
import type { IdentityWatch, StreamGuard } from '../auth/identity-watch.js';
import type { AuditTarget } from '../types.js';
import { BINARY_ONLY, MALFORMED, NOT_JSON, parseFrame, type InputCheck, type StreamInput } from './client-message.js';
import type { SessionViewer, ViewerSession } from './stream-protocol.js';

/** Messages a client may send before its session is joined are kept, up to this many. */
const MAX_EARLY_MESSAGES = 256;

export interface StreamSocketDeps {
  identityWatch: IdentityWatch;
  audit: Pick<AuditService, 'append'>;
}

export interface StreamSocketOptions<M, I extends StreamInput> {
  /** How the stream reads in messages: "console", "terminal", "log stream". */
  noun: string;
  /** Below this role the stream is closed. */
  minRole: Role;
  /** Below this role the viewer watches read-only, and a writer demoted below it goes on read-only. */
  writeRole?: Role;
  /** The stream's own error message (every stream contract has one). */
  error(message: string): M;
  /** The client messages this stream takes; without it a client message only re-checks the identity. */
  input?: InputCheck<I>;
  /**
   * A binary stream (the VNC screen): the client's binary frames go to the session's input as raw
   * bytes, text frames are refused, and messages that are bytes go out as binary frames (the rest as JSON).
   */
  binary?: true;
  audit: {
    /** `<action>.open` / `.close` here, `.revoked` / `.downgraded` from the identity guard. */
    action: StreamAuditAction;
    /** Shared with the guard: a route that learns the real id later updates this object. */
    target: AuditTarget;
    /** With these, opening and closing are audited (interactive streams); without, only the guard's records are written. */
    params?: {
      open(readOnly: boolean): Record<string, unknown>;
      close(readOnly: boolean): Record<string, unknown>;
      failed?(): Record<string, unknown>;
    };
  };
  /** The close reason when the stream cannot be opened ("console unavailable"). */
  unavailable: string;
  /** The message for an error that kept the stream from opening; default: its own message. */
  describeError?(err: unknown): string;
  /** The close code for an error that kept the stream from opening; default 1008 with `unavailable`. */
  closeCode?(err: unknown): number | undefined;
}

export interface StreamSocket<M, D = string> {
  /** This socket as a session sees it; a route may lower `canWrite` once it knows more (policy). */
  readonly viewer: SessionViewer<M>;
  readonly guard: StreamGuard;
  send(msg: M): void;
  /**
   * Finds (or opens) the session, audits the open, joins it and from then on feeds it the client's
   * messages, those that came early included. A failure is told to the client, audited, and closes
   * the socket.
   */
  serve(find: () => Promise<ViewerSession<M, D>>): void;
}

/**
 * A websocket as a viewer of a stream session: one place for the identity guard (every message
 * waits for a re-check; revocation closes, demotion makes read-only), JSON parsing, the queue of
 * messages that arrive before the session is joined, and the audited open and close.
 * Call it synchronously in the route handler, before any await, or early messages are lost.
 */
export function streamSocket<M, I extends StreamInput, D = string>(
  deps: StreamSocketDeps,
  socket: WebSocket,
  req: FastifyRequest,
  opts: StreamSocketOptions<M, I>,
): StreamSocket<M, D> {
  const identity = req.identity!;
  const actor = actorOf(req);
  const { action, target, params } = opts.audit;
  const connectedAt = Date.now();
  const send = (msg: M) => {
    if (socket.readyState !== socket.OPEN) return;
    if (opts.binary && msg instanceof Uint8Array) socket.send(msg, { binary: true });
    else socket.send(JSON.stringify(msg));
  };
  const viewer: SessionViewer<M> = {
    canWrite: opts.writeRole ? roleAtLeast(identity.user.role, opts.writeRole) : false,
    send,
    get backlog() {
      return socket.bufferedAmount;
    },
    close: (code, reason) => socket.close(code, reason),
  };
  let session: ViewerSession<M, D> | null = null;
  const guard = deps.identityWatch.register(socket, identity, {
    noun: opts.noun,
    minRole: opts.minRole,
    sendFinal: (message) => send(opts.error(message)),
    audit: { action, actor, sourceIp: req.ip, target },
    ...(opts.writeRole && {
      writeRole: opts.writeRole,
      onReadOnly: (message: string) => {
        viewer.canWrite = false;
        send(opts.error(message));
        session?.refresh(viewer);
      },
    }),
  });

  const early: unknown[] = [];
  let handle: ((msg: unknown) => void) | null = null;
  socket.on('message', (raw, isBinary) => {
    if (opts.binary) {
      if (!isBinary) return send(opts.error(BINARY_ONLY));
      const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
      return guard.input(
        () => {
          if (handle) handle(bytes);
          else if (early.length < MAX_EARLY_MESSAGES) early.push(bytes);
          // Dropping bytes of a binary protocol would desynchronise it: give up instead.
          else socket.close(1008, 'too much input before the stream opened');
        },
        { activity: true },
      );
    }
    // A stream without client messages still re-checks who is listening; it is not use of the session.
    if (!opts.input) return guard.input(() => {});
    const frame = parseFrame(raw);
    if (!frame) return send(opts.error(NOT_JSON));
    // Every message waits for the identity re-check; keystrokes count as use of the session.
    guard.input(
      () => {
        if (handle) handle(frame.value);
        else if (early.length < MAX_EARLY_MESSAGES) early.push(frame.value);
      },
      { activity: true },
    );
  });

  let closed = false;
  let auditedOpen = false;
  const auditClose = () => {
    if (!auditedOpen || !params) return;
    void deps.audit
      .append({
        actor,
        sourceIp: req.ip,
        action: `${action}.close`,
        target,
        params: params.close(!viewer.canWrite),
        result: 'ok',
        durationMs: Date.now() - connectedAt,
      })
      .catch((err) => req.log.error({ err }, 'audit failed'));
  };
  socket.on('close', () => {
    closed = true;
    session?.leave(viewer);
    auditClose();
  });

  async function fail(err: unknown) {
    const message = opts.describeError ? opts.describeError(err) : err instanceof Error ? err.message : String(err);
    send(opts.error(message));
    if (params) {
      const failedParams = params.failed?.();
      await deps.audit
        .append({
          actor,
          sourceIp: req.ip,
          action: `${action}.open`,
          target,
          ...(failedParams && { params: failedParams }),
          result: 'error',
          errorMessage: message,
          errorCode: 'stream.openFailed',
          errorParams: { detail: message },
        })
        .catch(() => {});
    }
    socket.close(opts.closeCode?.(err) ?? 1008, opts.unavailable);
  }

  async function serve(find: () => Promise<ViewerSession<M, D>>) {
    let found: ViewerSession<M, D>;
    try {
      found = await find();
    } catch (err) {
      return fail(err);
    }
    if (closed) return found.release();
    if (params) {
      await deps.audit
        .append({ actor, sourceIp: req.ip, action: `${action}.open`, target, params: params.open(!viewer.canWrite), result: 'ok' })
        .catch(() => {});
      auditedOpen = true;
      // Closed while the open was being recorded: the close handler ran too early to record its end.
      if (closed) auditClose();
    }
    if (closed || guard.closed) return found.release();
    session = found;
    const check = opts.input;
    handle = (msg) => {
      if (guard.closed) return;
      // Binary frames were checked for what they are (bytes) already; the session frames them itself.
      if (opts.binary) return found.input(viewer, msg as D);
      if (!check) return;
      if (!check.Check(msg)) return send(opts.error(MALFORMED));
      const m: StreamInput = msg;
      if (m.type === 'input') found.input(viewer, m.data as D);
      else found.resize(viewer, m.cols, m.rows);
    };
    found.join(viewer);
    for (const m of early.splice(0)) handle(m);
  }

  return { viewer, guard, send, serve: (find) => void serve(find) };
}

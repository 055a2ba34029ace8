import type { WebSocket } from 'ws';
import type { Role } from '@mirador/contract';
import type { Actor, AuditInput } from '../audit/audit.service.js';
import type { StreamAuditAction } from '../audit/audit-catalog.js';
import type { AuditTarget } from '../types.js';
import type { Identity } from './identity.js';
import { LAST_SEEN_WRITE_MS, roleAtLeast, type IdentityCheck } from './auth.service.js';

/** Why an identity changed; it names the cause in the message the closed stream shows. */
export type IdentityChangeCause =
  'logout' | 'session-revoked' | 'password-changed' | 'token-revoked' | 'password-reset' | 'disabled' | 'role-changed' | 'deleted';

/** Published after a change is stored; every stream whose identity matches any field re-checks at once. */
export interface IdentityChange {
  cause: IdentityChangeCause;
  userId?: string;
  sessionId?: string;
  tokenId?: string;
}

const CAUSE_TEXT: Record<IdentityChangeCause, string> = {
  logout: 'You logged out',
  'session-revoked': 'This session was revoked',
  'password-changed': 'Your password was changed, which ended your other sessions',
  'token-revoked': 'The API token was revoked',
  'password-reset': 'An admin reset your password, which ended your sessions and API tokens',
  disabled: 'Your account was disabled',
  'role-changed': 'Your role changed',
  deleted: 'Your account was deleted',
};

/** Close codes in the private range, mirroring HTTP 401 and 403. */
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;

export interface StreamSpec {
  /** How the stream reads in messages: "terminal", "console", "log stream"… */
  noun: string;
  /** Below this role the stream is closed. */
  minRole: Role;
  /** Below this role (but at least minRole) the stream goes on read-only; onReadOnly tells the route. */
  writeRole?: Role;
  /** Sends the stream's final message in its own protocol, just before the close. */
  sendFinal(message: string): void;
  onReadOnly?(message: string): void;
  /** Told whenever a re-check sees a different role (the realtime socket drops topics with it). */
  onRoleChange?(identity: Identity): void;
  /** The audit record written when the stream is closed or downgraded: `<action>.revoked` / `<action>.downgraded`. */
  audit: { action: StreamAuditAction; actor: Actor; sourceIp: string | null; target: AuditTarget };
}

export interface StreamGuard {
  /** The identity as of the last re-check (its role may have changed since the socket opened). */
  readonly identity: Identity;
  readonly readOnly: boolean;
  /** True once the guard has closed the socket: nothing from it may run any more. */
  readonly closed: boolean;
  /**
   * Runs `fn` for one client message after re-checking the identity, in arrival order;
   * if the identity is no longer good enough the socket is closed and `fn` never runs.
   * `activity` counts the message as use of the session (keystrokes, not pings).
   */
  input(fn: (identity: Identity) => void, opts?: { activity?: boolean }): void;
  /**
   * Raises what the stream needs from here on, once the route knows more than at connect time (e.g. a
   * shell in a container only an admin could have created needs the admin role to stay open).
   */
  raise(needs: { minRole?: Role; writeRole?: Role }): void;
}

export interface IdentityWatchDeps {
  recheck(identity: Identity, opts: { activity?: boolean }): Promise<IdentityCheck>;
  audit(input: AuditInput): Promise<unknown>;
  onError(err: unknown): void;
  /** How often every open stream is re-checked even without input, so expiry ends idle streams too. */
  sweepMs?: number;
}

/** A cached positive answer is trusted at most this long, even if no change was published. */
const CACHE_MAX_AGE_MS = 5_000;
/** A client that does not answer the close handshake is cut off after this. */
const CLOSE_GRACE_MS = 1_000;

const keyOf = (id: Identity) => (id.via === 'token' ? `t:${id.tokenId}` : `s:${id.sessionId}`);

const matches = (id: Identity, c: IdentityChange) =>
  (c.userId !== undefined && id.user.id === c.userId) ||
  (c.sessionId !== undefined && id.via === 'session' && id.sessionId === c.sessionId) ||
  (c.tokenId !== undefined && id.via === 'token' && id.tokenId === c.tokenId);

/**
 * Keeps every open websocket honest about who is on the other end. A websocket route registers
 * its socket with the identity it was opened with and the role it needs; the guard re-checks the
 * identity on each client message and whenever a session, token or user changes, and closes the
 * socket (after a final message the UI shows) once the identity is gone or its role too low.
 * Positive answers are cached, but every published change clears the cache first, so no check
 * trusts state older than the last change.
 */
export function createIdentityWatch(deps: IdentityWatchDeps) {
  const guards = new Set<Guard>();
  const cache = new Map<string, { check: Extract<IdentityCheck, { valid: true }>; storedAt: number }>();
  /** Bumped by every change, so a check that read the database before it cannot refill the cache after it. */
  let generation = 0;

  function cached(identity: Identity, activity: boolean): IdentityCheck | null {
    const hit = cache.get(keyOf(identity));
    const now = Date.now();
    if (!hit || now >= hit.check.validUntil || now - hit.storedAt > CACHE_MAX_AGE_MS) return null;
    // Typing must keep refreshing the session's last use, which only the database check does.
    if (activity && identity.via === 'session' && now - hit.check.lastSeenAt > LAST_SEEN_WRITE_MS) return null;
    return hit.check;
  }

  async function check(identity: Identity, activity: boolean): Promise<IdentityCheck> {
    const gen = generation;
    const result = await deps.recheck(identity, { activity });
    const key = keyOf(identity);
    if (result.valid && gen === generation) cache.set(key, { check: result, storedAt: Date.now() });
    if (!result.valid) cache.delete(key);
    return result;
  }

  class Guard implements StreamGuard {
    identity: Identity;
    readOnly: boolean;
    closed = false;
    private chain: Promise<void> = Promise.resolve();
    private pending = 0;

    constructor(
      private readonly socket: WebSocket,
      identity: Identity,
      private spec: StreamSpec,
    ) {
      this.identity = identity;
      this.readOnly = spec.writeRole ? !roleAtLeast(identity.user.role, spec.writeRole) : false;
    }

    raise(needs: { minRole?: Role; writeRole?: Role }) {
      this.spec = { ...this.spec, ...needs };
      // Judged against the identity as last checked; the next input or change re-checks it anew.
      this.apply({ valid: true, identity: this.identity, validUntil: Number.POSITIVE_INFINITY, lastSeenAt: Date.now() }, null);
    }

    input(fn: (identity: Identity) => void, opts: { activity?: boolean } = {}) {
      if (this.closed) return;
      const activity = opts.activity === true;
      // Fast path: a fresh cached answer and nothing queued ahead, so order is kept without a wait.
      const hit = this.pending === 0 ? cached(this.identity, activity) : null;
      if (hit) {
        if (this.apply(hit, null)) fn(this.identity);
        return;
      }
      this.pending++;
      this.chain = this.chain
        .then(async () => {
          const result = await check(this.identity, activity);
          if (this.closed) return;
          if (this.apply(result, null)) fn(this.identity);
        })
        .catch((err) => {
          deps.onError(err);
          // A check that cannot be made is not a pass: refuse rather than trust stale state.
          this.close(CLOSE_UNAUTHENTICATED, 'Your identity could not be checked; reconnect', 'revoked', null);
        })
        .finally(() => this.pending--);
    }

    /** Re-checks now (a change was published, or the periodic sweep). */
    async recheckNow(cause: IdentityChangeCause | null) {
      if (this.closed) return;
      try {
        const result = cause ? await check(this.identity, false) : (cached(this.identity, false) ?? (await check(this.identity, false)));
        if (!this.closed) this.apply(result, cause);
      } catch (err) {
        deps.onError(err);
      }
    }

    /** Applies a check's answer; true when the message may go on. */
    private apply(result: IdentityCheck, cause: IdentityChangeCause | null): boolean {
      const { spec } = this;
      if (!result.valid) {
        const why = cause && cause !== 'role-changed' ? CAUSE_TEXT[cause] : result.message;
        const canLogIn = this.identity.via === 'session' && cause !== 'disabled' && cause !== 'deleted';
        const hint = canLogIn ? ' Log in again to reopen it.' : '';
        this.close(CLOSE_UNAUTHENTICATED, `${why}: this ${spec.noun} is closed.${hint}`, result.reason, cause);
        return false;
      }
      const before = this.identity;
      this.identity = result.identity;
      const role = result.identity.user.role;
      if (!roleAtLeast(role, spec.minRole)) {
        this.close(CLOSE_FORBIDDEN, `Your role is now ${role}, and this ${spec.noun} needs ${spec.minRole}: it is closed.`, 'role', cause);
        return false;
      }
      if (role !== before.user.role) spec.onRoleChange?.(result.identity);
      if (spec.writeRole && !this.readOnly && !roleAtLeast(role, spec.writeRole)) {
        this.readOnly = true;
        const message = `Your role is now ${role}: this ${spec.noun} is read-only from here on.`;
        spec.onReadOnly?.(message);
        this.record('downgraded', { reason: 'role', cause, role, message });
      }
      return true;
    }

    close(code: number, message: string, reason: 'revoked' | 'expired' | 'role', cause: IdentityChangeCause | null) {
      if (this.closed) return;
      this.closed = true;
      guards.delete(this);
      const { socket } = this;
      if (socket.readyState === socket.OPEN) {
        this.spec.sendFinal(message);
        // The close reason is limited to 123 bytes; the full sentence went in the final message.
        socket.close(code, reason === 'role' ? 'role too low' : reason === 'expired' ? 'session expired' : 'identity revoked');
        const cut = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
        cut.unref();
        socket.once('close', () => clearTimeout(cut));
      }
      this.record('revoked', { reason, cause, role: this.identity.user.role, message });
    }

    private record(what: 'revoked' | 'downgraded', params: Record<string, unknown>) {
      const { audit } = this.spec;
      void deps
        .audit({
          actor: audit.actor,
          sourceIp: audit.sourceIp,
          action: `${audit.action}.${what}`,
          target: audit.target,
          params,
          result: 'ok',
        })
        .catch(deps.onError);
    }
  }

  const sweepMs = deps.sweepMs ?? 30_000;
  const sweep = setInterval(() => {
    for (const g of [...guards]) void g.recheckNow(null);
  }, sweepMs);
  sweep.unref();

  return {
    /** Starts guarding a websocket; the guard ends with the socket. Call before any await. */
    register(socket: WebSocket, identity: Identity, spec: StreamSpec): StreamGuard {
      const guard = new Guard(socket, identity, spec);
      guards.add(guard);
      socket.once('close', () => {
        guard.closed = true;
        guards.delete(guard);
      });
      return guard;
    },

    /**
     * Call after a session, token or user change is stored (before answering the request):
     * resolves once every affected stream has been re-checked and, if need be, closed.
     */
    async changed(change: IdentityChange): Promise<void> {
      generation++;
      cache.clear();
      await Promise.all([...guards].filter((g) => matches(g.identity, change)).map((g) => g.recheckNow(change.cause)));
    },

    stop() {
      clearInterval(sweep);
    },
  };
}

export type IdentityWatch = ReturnType<typeof createIdentityWatch>;

import { createHash } from 'node:crypto';
import type { ApiToken, Me, Role, SessionInfo } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import { newId, randomToken } from '../lib/ids.js';
import type { Identity } from './identity.js';
import { createLoginFlow, type LoginLimits } from './login.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';

export const TOKEN_PREFIX = 'mir_';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** lastSeenAt/lastUsedAt are written at most this often: a read per request, not a write. */
export const LAST_SEEN_WRITE_MS = 60_000;

export interface SessionPolicy {
  ttlHours: number;
  idleHours: number;
}

/**
 * An identity re-checked against the database (open websockets do this on every input).
 * `validUntil` is when it lapses by itself (session ttl/idle, token expiry), so a cached
 * answer is never trusted past it.
 */
export type IdentityCheck =
  | { valid: true; identity: Identity; validUntil: number; lastSeenAt: number }
  | { valid: false; reason: 'revoked' | 'expired'; message: string };

type SessionRow = {
  id: string;
  revokedAt: Date | null;
  expiresAt: Date;
  lastSeenAt: Date;
  user: { id: string; username: string; role: string; disabled: boolean };
};
type TokenRow = {
  id: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
  user: { id: string; username: string; role: string; disabled: boolean };
};

const userOf = (u: SessionRow['user']) => ({ id: u.id, username: u.username, role: u.role as Role });

/** Sessions and API tokens: only hashes are stored, so a copy of the database logs nobody in. */
export function createAuthService(deps: { db: PrismaClient; policy: SessionPolicy; loginLimits: LoginLimits }) {
  const { db, policy } = deps;
  const passwords = { hash: hashPassword, verify: verifyPassword, burn: burnPasswordCheck };
  const { login, changePassword } = createLoginFlow({ db, limits: deps.loginLimits, passwords });

  /** The one place that decides whether a stored session still logs someone in. */
  function judgeSession(s: SessionRow | null, now: number): IdentityCheck {
    if (!s)
      return { valid: false, reason: 'revoked', message: 'Your session no longer exists (you logged out, or the account was deleted)' };
    if (s.revokedAt)
      return { valid: false, reason: 'revoked', message: 'Your session was ended (logout, revocation or a password change)' };
    if (s.user.disabled) return { valid: false, reason: 'revoked', message: 'Your account is disabled' };
    const validUntil = Math.min(s.expiresAt.getTime(), s.lastSeenAt.getTime() + policy.idleHours * 3600_000);
    if (validUntil <= now) return { valid: false, reason: 'expired', message: 'Your session has expired' };
    const identity: Identity = { via: 'session', sessionId: s.id, user: userOf(s.user) };
    return { valid: true, identity, validUntil, lastSeenAt: s.lastSeenAt.getTime() };
  }

  function judgeToken(t: TokenRow | null, now: number): IdentityCheck {
    if (!t || t.revokedAt) return { valid: false, reason: 'revoked', message: 'The API token was revoked' };
    if (t.user.disabled) return { valid: false, reason: 'revoked', message: "The API token's account is disabled" };
    const validUntil = t.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
    if (validUntil <= now) return { valid: false, reason: 'expired', message: 'The API token has expired' };
    return { valid: true, identity: { via: 'token', tokenId: t.id, user: userOf(t.user) }, validUntil, lastSeenAt: now };
  }

  async function touchSession(id: string, lastSeenAt: number, now: number) {
    if (now - lastSeenAt > LAST_SEEN_WRITE_MS) {
      await db.session.update({ where: { id }, data: { lastSeenAt: new Date(now) } });
    }
  }

  return {
    login,
    changePassword,

    async createSession(userId: string, meta: { ip: string | null; userAgent: string | null }) {
      const secret = randomToken(32);
      const now = new Date();
      await db.session.create({
        data: {
          id: sha256(secret),
          userId,
          ip: meta.ip,
          userAgent: meta.userAgent?.slice(0, 300) ?? null,
          expiresAt: new Date(now.getTime() + policy.ttlHours * 3600_000),
        },
      });
      await db.user.update({ where: { id: userId }, data: { lastLoginAt: now } });
      return { secret, maxAgeSeconds: policy.ttlHours * 3600 };
    },

    async resolveSession(secret: string): Promise<Identity | null> {
      const id = sha256(secret);
      const now = Date.now();
      const check = judgeSession(await db.session.findUnique({ where: { id }, include: { user: true } }), now);
      if (!check.valid) return null;
      await touchSession(id, check.lastSeenAt, now);
      return check.identity;
    },

    /**
     * Re-reads an identity resolved earlier (an open websocket's), with the same rules as
     * resolveSession/resolveToken. `activity` counts it as use of the session (typing in a
     * terminal), which keeps the idle timeout from ending a session that is being used.
     */
    async recheck(identity: Identity, opts: { activity?: boolean } = {}): Promise<IdentityCheck> {
      const now = Date.now();
      if (identity.via === 'token' && identity.tokenId) {
        return judgeToken(await db.apiToken.findUnique({ where: { id: identity.tokenId }, include: { user: true } }), now);
      }
      if (identity.via === 'session' && identity.sessionId) {
        const check = judgeSession(await db.session.findUnique({ where: { id: identity.sessionId }, include: { user: true } }), now);
        if (check.valid && opts.activity) await touchSession(identity.sessionId, check.lastSeenAt, now);
        return check;
      }
      return { valid: false, reason: 'revoked', message: 'This connection has no session or token to check' };
    },

    /** Returns the stored id of the session it ended (to close its websockets), if any. */
    async revokeSessionBySecret(secret: string): Promise<string> {
      const id = sha256(secret);
      await db.session.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      return id;
    },

    async listSessions(userId: string, currentId: string | undefined): Promise<SessionInfo[]> {
      const rows = await db.session.findMany({
        where: { userId, revokedAt: null, expiresAt: { gt: new Date() } },
        orderBy: { lastSeenAt: 'desc' },
      });
      // The handle shown is a hash of the stored id, so the API never echoes anything cookie-derived.
      return rows.map((s) => ({
        id: sha256(s.id).slice(0, 32),
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
        current: s.id === currentId,
      }));
    },

    /** Returns the stored id of the revoked session, or null when the handle matches none. */
    async revokeSessionByHandle(userId: string, handle: string): Promise<string | null> {
      const rows = await db.session.findMany({ where: { userId, revokedAt: null }, select: { id: true } });
      const match = rows.find((r) => sha256(r.id).slice(0, 32) === handle);
      if (!match) return null;
      await db.session.update({ where: { id: match.id }, data: { revokedAt: new Date() } });
      return match.id;
    },

    /** Ends every session of the user, except `keepSessionId` (the one changing its own password). */
    async revokeAllSessions(userId: string, keepSessionId?: string) {
      await db.session.updateMany({
        where: { userId, revokedAt: null, ...(keepSessionId ? { NOT: { id: keepSessionId } } : {}) },
        data: { revokedAt: new Date() },
      });
    },

    async listTokens(userId: string) {
      return db.apiToken.findMany({ where: { userId }, orderBy: { createdAt: 'desc' } });
    },

    /** Returns the token (revoked now or before), or null when the user has no such token. */
    async revokeToken(userId: string, tokenId: string) {
      const t = await db.apiToken.findFirst({ where: { id: tokenId, userId } });
      if (!t) return null;
      if (!t.revokedAt) await db.apiToken.update({ where: { id: t.id }, data: { revokedAt: new Date() } });
      return t;
    },

    async revokeAllTokens(userId: string) {
      await db.apiToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
    },

    async createToken(userId: string, name: string, expiresInDays?: number) {
      const secret = TOKEN_PREFIX + randomToken(32);
      const row = await db.apiToken.create({
        data: {
          id: newId(),
          userId,
          name,
          prefix: secret.slice(0, 12),
          tokenHash: sha256(secret),
          expiresAt: expiresInDays ? new Date(Date.now() + expiresInDays * 86400_000) : null,
        },
      });
      return { row, secret };
    },

    async resolveToken(secret: string): Promise<Identity | null> {
      if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 200) return null;
      const t = await db.apiToken.findUnique({ where: { tokenHash: sha256(secret) }, include: { user: true } });
      const check = judgeToken(t, Date.now());
      if (!t || !check.valid) return null;
      if (!t.lastUsedAt || Date.now() - t.lastUsedAt.getTime() > LAST_SEEN_WRITE_MS) {
        await db.apiToken.update({ where: { id: t.id }, data: { lastUsedAt: new Date() } });
      }
      return check.identity;
    },

    async purgeExpired() {
      const cutoff = new Date(Date.now() - 7 * 86400_000);
      await db.session.deleteMany({ where: { OR: [{ expiresAt: { lt: cutoff } }, { revokedAt: { lt: cutoff } }] } });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

export const toMe = (identity: Identity): Me => ({
  id: identity.user.id,
  username: identity.user.username,
  role: identity.user.role,
  authVia: identity.via,
});

/** Safe fields only: the hash never leaves. */
export function tokenDto(t: {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}): ApiToken {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    expiresAt: t.expiresAt?.toISOString() ?? null,
    revoked: Boolean(t.revokedAt),
  };
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
export const roleAtLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];

import { createHash } from 'node:crypto';
import type { Me, Role, SessionInfo } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import { newId, randomToken } from '../lib/ids.js';
import type { Identity } from '../types.js';

export const TOKEN_PREFIX = 'mir_';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const LAST_SEEN_WRITE_MS = 60_000;

export interface SessionPolicy {
  ttlHours: number;
  idleHours: number;
}

/** Sessions and API tokens: only hashes are stored, so a copy of the database logs nobody in. */
export function createAuthService(deps: { db: PrismaClient; policy: SessionPolicy }) {
  const { db, policy } = deps;

  return {
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
      const s = await db.session.findUnique({ where: { id }, include: { user: true } });
      const now = Date.now();
      if (!s || s.revokedAt || s.expiresAt.getTime() <= now || s.user.disabled) return null;
      if (now - s.lastSeenAt.getTime() > policy.idleHours * 3600_000) return null;
      if (now - s.lastSeenAt.getTime() > LAST_SEEN_WRITE_MS) {
        await db.session.update({ where: { id }, data: { lastSeenAt: new Date(now) } });
      }
      return { via: 'session', sessionId: id, user: { id: s.user.id, username: s.user.username, role: s.user.role as Role } };
    },

    async revokeSessionBySecret(secret: string) {
      await db.session.updateMany({ where: { id: sha256(secret), revokedAt: null }, data: { revokedAt: new Date() } });
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

    async revokeSessionByHandle(userId: string, handle: string): Promise<boolean> {
      const rows = await db.session.findMany({ where: { userId, revokedAt: null }, select: { id: true } });
      const match = rows.find((r) => sha256(r.id).slice(0, 32) === handle);
      if (!match) return false;
      await db.session.update({ where: { id: match.id }, data: { revokedAt: new Date() } });
      return true;
    },

    async revokeAllSessions(userId: string) {
      await db.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
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
      if (!t || t.revokedAt || (t.expiresAt && t.expiresAt.getTime() <= Date.now()) || t.user.disabled) return null;
      if (!t.lastUsedAt || Date.now() - t.lastUsedAt.getTime() > LAST_SEEN_WRITE_MS) {
        await db.apiToken.update({ where: { id: t.id }, data: { lastUsedAt: new Date() } });
      }
      return { via: 'token', tokenId: t.id, user: { id: t.user.id, username: t.user.username, role: t.user.role as Role } };
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

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
export const roleAtLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];

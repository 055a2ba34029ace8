import type { Role, User } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import { newId } from '../lib/ids.js';
import { conflict, badRequest, notFound } from '../lib/http-errors.js';
import { hashPassword } from '../auth/passwords.js';
import type { AuthService } from '../auth/auth.service.js';
import type { IdentityChange } from '../auth/identity-watch.js';

type UserRow = { id: string; username: string; role: string; disabled: boolean; createdAt: Date; lastLoginAt: Date | null };

export const toUserDto = (u: UserRow): User => ({
  id: u.id,
  username: u.username,
  role: u.role as Role,
  disabled: u.disabled,
  createdAt: u.createdAt.toISOString(),
  lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
});

/** Creates the first admin inside one transaction, so two racing set-ups cannot both win. */
export async function createFirstAdmin(db: PrismaClient, username: string, password: string) {
  const passwordHash = await hashPassword(password);
  return db.$transaction(async (tx) => {
    if ((await tx.user.count()) > 0) return null;
    return tx.user.create({ data: { id: newId(), username, passwordHash, role: 'admin' } });
  });
}

export interface UsersServiceDeps {
  db: PrismaClient;
  auth: Pick<AuthService, 'revokeAllSessions' | 'revokeAllTokens' | 'listTokens' | 'revokeToken'>;
  /** Told after each change to a user, so their open websockets are re-checked at once. */
  identityChanged: (change: IdentityChange) => Promise<void>;
}

export function createUsersService(deps: UsersServiceDeps) {
  const { db, auth, identityChanged } = deps;

  async function get(id: string) {
    const u = await db.user.findUnique({ where: { id } });
    if (!u) throw notFound('User');
    return u;
  }

  /** An admin change that would leave nobody able to administer Mirador is refused. */
  async function assertAnotherActiveAdmin(exceptId: string) {
    const others = await db.user.count({ where: { role: 'admin', disabled: false, NOT: { id: exceptId } } });
    if (others === 0) throw conflict('This is the last active admin; make another user admin first');
  }

  return {
    get,
    async list() {
      return (await db.user.findMany({ orderBy: { username: 'asc' } })).map(toUserDto);
    },
    async create(input: { username: string; password: string; role: Role }) {
      if (await db.user.findUnique({ where: { username: input.username } })) {
        throw conflict(`A user named "${input.username}" already exists`, 'username');
      }
      const row = await db.user.create({
        data: { id: newId(), username: input.username, role: input.role, passwordHash: await hashPassword(input.password) },
      });
      return toUserDto(row);
    },
    async update(actorId: string, id: string, patch: { role?: Role; disabled?: boolean }) {
      const u = await get(id);
      const losesAdmin = u.role === 'admin' && !u.disabled && ((patch.role && patch.role !== 'admin') || patch.disabled === true);
      if (losesAdmin) {
        if (id === actorId) throw badRequest('You cannot demote or disable your own account', patch.disabled ? 'disabled' : 'role');
        await assertAnotherActiveAdmin(id);
      }
      const row = await db.user.update({ where: { id }, data: patch });
      // Disabling ends every session and token for good (enabling again does not bring them back);
      // a role change keeps them, with the new role, and open websockets re-check it now.
      if (patch.disabled && !u.disabled) {
        await auth.revokeAllSessions(id);
        await auth.revokeAllTokens(id);
        await identityChanged({ cause: 'disabled', userId: id });
      } else if (patch.role && patch.role !== u.role) {
        await identityChanged({ cause: 'role-changed', userId: id });
      }
      return toUserDto(row);
    },
    /** An admin reset assumes the old credentials are out of the owner's hands: sessions and tokens end. */
    async resetPassword(id: string, password: string) {
      const u = await get(id);
      await db.user.update({ where: { id }, data: { passwordHash: await hashPassword(password) } });
      await auth.revokeAllSessions(id);
      await auth.revokeAllTokens(id);
      await identityChanged({ cause: 'password-reset', userId: id });
      return u;
    },
    async remove(actorId: string, id: string) {
      const u = await get(id);
      if (id === actorId) throw badRequest('You cannot delete your own account');
      if (u.role === 'admin' && !u.disabled) await assertAnotherActiveAdmin(id);
      await db.user.delete({ where: { id } });
      await identityChanged({ cause: 'deleted', userId: id });
      return u;
    },
    async listTokens(id: string) {
      await get(id);
      return auth.listTokens(id);
    },
    async revokeToken(id: string, tokenId: string) {
      await get(id);
      const t = await auth.revokeToken(id, tokenId);
      if (!t) throw notFound('Token');
      await identityChanged({ cause: 'token-revoked', tokenId: t.id });
      return t;
    },
  };
}

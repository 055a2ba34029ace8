import type { Role, User } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import { newId } from '../lib/ids.js';
import { conflict, badRequest, notFound } from '../lib/http-errors.js';
import { hashPassword } from '../auth/passwords.js';

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

export function createUsersService(db: PrismaClient) {
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
      // Disabling (or changing role) takes effect at once: existing sessions would otherwise keep old rights.
      if (patch.disabled) await db.session.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } });
      return toUserDto(row);
    },
    async resetPassword(id: string, password: string) {
      await get(id);
      await db.user.update({ where: { id }, data: { passwordHash: await hashPassword(password) } });
      await db.session.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } });
    },
    async remove(actorId: string, id: string) {
      const u = await get(id);
      if (id === actorId) throw badRequest('You cannot delete your own account');
      if (u.role === 'admin' && !u.disabled) await assertAnotherActiveAdmin(id);
      await db.user.delete({ where: { id } });
      return u;
    },
  };
}

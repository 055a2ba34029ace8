import type { Role } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import { badRequest, tooManyRequests, unauthorized } from '../lib/http-errors.js';
import type { FailureLimiter } from './rate-limit.js';

/** perUser is keyed by "<username>@<address>"; perIp by address alone. */
export interface LoginLimits {
  perUser: FailureLimiter;
  perIp: FailureLimiter;
}

export interface PasswordFns {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends a real check's time for an unknown username (see passwords.ts). */
  burn(password: string): Promise<void>;
}

export interface LoginDeps {
  db: Pick<PrismaClient, 'user'>;
  limits: LoginLimits;
  passwords: PasswordFns;
}

/** Password checks: logging in (with the lockout) and changing one's own password. */
export function createLoginFlow(deps: LoginDeps) {
  const { db, limits, passwords } = deps;

  return {
    /** Returns the user on success; throws 429 (with Retry-After) or 401 otherwise. */
    async login(username: string, password: string, ip: string) {
      const userKey = `${username.toLowerCase()}@${ip}`;
      const wait = Math.max(limits.perUser.retryAfter(userKey), limits.perIp.retryAfter(ip));
      if (wait > 0) {
        const after = wait < 60 ? `${wait} second(s)` : `${Math.ceil(wait / 60)} minute(s)`;
        throw tooManyRequests(`Too many failed logins from your address; try again in ${after}`, wait);
      }
      const user = await db.user.findUnique({ where: { username } });
      const valid = user ? await passwords.verify(user.passwordHash, password) : (await passwords.burn(password), false);
      if (!user || !valid || user.disabled) {
        limits.perUser.fail(userKey);
        limits.perIp.fail(ip);
        // One message for all three cases, so the answer does not reveal which usernames exist.
        throw unauthorized(user?.disabled && valid ? 'This account is disabled' : 'Wrong username or password');
      }
      limits.perUser.reset(userKey);
      return { id: user.id, username: user.username, role: user.role as Role };
    },

    /** Checks the current password, then stores the new one. Ending other sessions is the caller's. */
    async changePassword(userId: string, currentPassword: string, newPassword: string) {
      const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
      if (!(await passwords.verify(user.passwordHash, currentPassword))) {
        throw badRequest('The current password is wrong', 'currentPassword');
      }
      await db.user.update({ where: { id: userId }, data: { passwordHash: await passwords.hash(newPassword) } });
    },
  };
}

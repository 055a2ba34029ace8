import { describe, expect, it, vi } from 'vitest';
import { createLoginFlow, type LoginDeps } from '../../src/auth/login.js';
import { createFailureLimiter } from '../../src/auth/rate-limit.js';

// The login flow with typed fakes: no database, no argon2 (the HTTP behaviour is in integration/auth.test.ts).
function setup(users: Array<{ id: string; username: string; passwordHash: string; role: string; disabled: boolean }>) {
  const limits = { perUser: createFailureLimiter({ max: 2, windowMs: 60_000 }), perIp: createFailureLimiter({ max: 5, windowMs: 60_000 }) };
  const passwords = {
    hash: async (p: string) => `h:${p}`,
    verify: async (hash: string, p: string) => hash === `h:${p}`,
    burn: vi.fn(async () => {}),
  };
  const db = {
    user: {
      findUnique: async ({ where }: { where: { username: string } }) => users.find((u) => u.username === where.username) ?? null,
    },
  } as unknown as LoginDeps['db'];
  return { flow: createLoginFlow({ db, limits, passwords }), passwords, limits };
}

const ada = { id: 'u1', username: 'ada', passwordHash: 'h:right', role: 'operator', disabled: false };

describe('login flow', () => {
  it('returns the user on the right password and clears their failures', async () => {
    const { flow, limits } = setup([ada]);
    await expect(flow.login('ada', 'wrong', '10.0.0.1')).rejects.toMatchObject({ statusCode: 401 });
    expect(await flow.login('ada', 'right', '10.0.0.1')).toEqual({ id: 'u1', username: 'ada', role: 'operator' });
    expect(limits.perUser.retryAfter('ada@10.0.0.1')).toBe(0);
  });

  it('answers an unknown name like a wrong password, after spending a check', async () => {
    const { flow, passwords } = setup([ada]);
    const wrong = await flow.login('ada', 'wrong', '10.0.0.1').catch((e: Error) => e.message);
    const ghost = await flow.login('ghost', 'wrong', '10.0.0.1').catch((e: Error) => e.message);
    expect(ghost).toBe(wrong);
    expect(passwords.burn).toHaveBeenCalledOnce();
  });

  it('says "disabled" only to someone who knows the password', async () => {
    const { flow } = setup([{ ...ada, disabled: true }]);
    await expect(flow.login('ada', 'wrong', '10.0.0.1')).rejects.toThrow('Wrong username or password');
    await expect(flow.login('ada', 'right', '10.0.0.1')).rejects.toThrow('This account is disabled');
  });

  it('locks the (name, address) pair with a retry time, not the name everywhere', async () => {
    const { flow } = setup([ada]);
    for (let i = 0; i < 2; i++) await flow.login('ADA', 'wrong', '10.0.0.1').catch(() => {});
    await expect(flow.login('ada', 'right', '10.0.0.1')).rejects.toMatchObject({
      statusCode: 429,
      extra: { retryAfterSeconds: expect.any(Number) },
    });
    expect((await flow.login('ada', 'right', '10.0.0.2')).id).toBe('u1');
  });
});

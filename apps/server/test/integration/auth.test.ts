import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('accounts and sessions', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('offers first-run setup once, then refuses it with 409', async () => {
    expect((await t.call({ method: 'GET', url: '/api/setup' })).json()).toMatchObject({ needsSetup: true });
    const bad = await t.call({ method: 'POST', url: '/api/setup', payload: { username: 'x; rm', password: 'short' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('username');
    admin = await t.setupAdmin();
    const cookie = (await t.call({ method: 'POST', url: '/api/setup', payload: { username: 'admin', password: 'correct horse battery' } }))
      .cookies;
    expect(cookie).toHaveLength(0);
    const again = await t.call({ method: 'POST', url: '/api/setup', payload: { username: 'other', password: 'whatever123' } });
    expect(again.statusCode).toBe(409);
    expect((await t.call({ method: 'GET', url: '/api/setup' })).json()).toMatchObject({ needsSetup: false });
    expect(await t.app.db.user.count()).toBe(1);
  });

  it('sets an HttpOnly SameSite=Strict cookie and stores only a hash of it', async () => {
    const res = await t.call({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'correct horse battery' } });
    expect(res.statusCode).toBe(200);
    const c = res.cookies.find((x) => x.name === 'mirador_session')!;
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Strict');
    const sessions = await t.app.db.session.findMany();
    expect(sessions.some((s) => s.id === c.value)).toBe(false);
    const user = await t.app.db.user.findFirstOrThrow();
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('answers 401 without a session and after logout', async () => {
    expect((await t.call({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(401);
    const cookie = await t.login('admin', 'correct horse battery');
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie })).json()).toMatchObject({ username: 'admin', role: 'admin' });
    expect((await t.call({ method: 'POST', url: '/api/auth/logout', cookie })).statusCode).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie })).statusCode).toBe(401);
  });

  it('refuses cookie-authenticated mutations from another origin (CSRF)', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      headers: { origin: 'http://evil.example' },
      payload: { username: 'mallory', password: 'password123', role: 'admin' },
    });
    expect(res.statusCode).toBe(403);
    const noOrigin = await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      headers: { origin: '' },
      payload: { username: 'mallory', password: 'password123', role: 'admin' },
    });
    expect(noOrigin.statusCode).toBe(403);
    expect(await t.app.db.user.count({ where: { username: 'mallory' } })).toBe(0);
  });

  it('sets security headers', async () => {
    const res = await t.call({ method: 'GET', url: '/api/setup' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });

  it('rate-limits failed logins per user, and does not reveal which usernames exist', async () => {
    const wrong = await t.call({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'nope-nope' } });
    const unknown = await t.call({ method: 'POST', url: '/api/auth/login', payload: { username: 'ghost', password: 'nope-nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json().message).toBe(wrong.json().message);
    for (let i = 0; i < 4; i++)
      await t.call({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'nope-nope' } });
    const limited = await t.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: 'correct horse battery' },
    });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The lock is for this address only: the real admin, elsewhere, still gets in.
    const elsewhere = await t.call({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '10.9.8.7',
      payload: { username: 'admin', password: 'correct horse battery' },
    });
    expect(elsewhere.statusCode).toBe(200);
    t.app.loginLimits.perUser.reset('admin@127.0.0.1');
    t.app.loginLimits.perIp.reset('127.0.0.1');
  });

  it('lets an admin manage users with roles enforced', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      payload: { username: 'vera', password: 'viewer-pass-1', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    const vera = created.json();
    expect(vera).not.toHaveProperty('passwordHash');
    const dup = await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      payload: { username: 'vera', password: 'viewer-pass-1', role: 'viewer' },
    });
    expect(dup.statusCode).toBe(409);

    const viewer = await t.login('vera', 'viewer-pass-1');
    expect((await t.call({ method: 'GET', url: '/api/users', cookie: viewer })).statusCode).toBe(403);
    const hostAttempt = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: viewer,
      payload: { name: 'h1', address: '127.0.0.1', authMethod: 'generate' },
    });
    expect(hostAttempt.statusCode).toBe(403);
    expect(await t.app.db.host.count()).toBe(0);

    // Promote, then disable: disabling ends the user's sessions at once.
    expect(
      (await t.call({ method: 'PATCH', url: `/api/users/${vera.id}`, cookie: admin, payload: { role: 'operator' } })).json().role,
    ).toBe('operator');
    expect((await t.call({ method: 'PATCH', url: `/api/users/${vera.id}`, cookie: admin, payload: { disabled: true } })).statusCode).toBe(
      200,
    );
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie: viewer })).statusCode).toBe(401);
    expect(
      (await t.call({ method: 'POST', url: '/api/auth/login', payload: { username: 'vera', password: 'viewer-pass-1' } })).statusCode,
    ).toBe(401);

    // Re-enable and reset the password.
    await t.call({ method: 'PATCH', url: `/api/users/${vera.id}`, cookie: admin, payload: { disabled: false } });
    expect(
      (await t.call({ method: 'POST', url: `/api/users/${vera.id}/password`, cookie: admin, payload: { password: 'new-password-2' } }))
        .statusCode,
    ).toBe(204);
    await t.login('vera', 'new-password-2');

    // The last admin can neither demote nor delete themself.
    const me = (await t.call({ method: 'GET', url: '/api/auth/me', cookie: admin })).json();
    expect((await t.call({ method: 'PATCH', url: `/api/users/${me.id}`, cookie: admin, payload: { role: 'viewer' } })).statusCode).toBe(
      400,
    );
    expect((await t.call({ method: 'DELETE', url: `/api/users/${me.id}`, cookie: admin })).statusCode).toBe(400);
    expect((await t.call({ method: 'DELETE', url: `/api/users/${vera.id}`, cookie: admin })).statusCode).toBe(204);
    expect((await t.call({ method: 'DELETE', url: `/api/users/${vera.id}`, cookie: admin })).statusCode).toBe(404);
  });

  it('issues API tokens that are shown once, stored hashed, carry the owner role and can be revoked', async () => {
    const res = await t.call({ method: 'POST', url: '/api/auth/tokens', cookie: admin, payload: { name: 'ci script' } });
    expect(res.statusCode).toBe(201);
    const { token, secret } = res.json();
    expect(secret).toMatch(/^mir_/);
    const stored = await t.app.db.apiToken.findUniqueOrThrow({ where: { id: token.id } });
    expect(stored.tokenHash).not.toContain(secret);
    const listed = (await t.call({ method: 'GET', url: '/api/auth/tokens', cookie: admin })).body;
    expect(listed).not.toContain(secret);

    // Tokens work without an Origin header: they are not ambient credentials.
    const me = await t.call({ method: 'GET', url: '/api/auth/me', token: secret, headers: { origin: '' } });
    expect(me.json()).toMatchObject({ username: 'admin', authVia: 'token' });
    const created = await t.call({
      method: 'POST',
      url: '/api/users',
      token: secret,
      headers: { origin: '' },
      payload: { username: 'robot', password: 'robot-pass-1', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);

    expect((await t.call({ method: 'DELETE', url: `/api/auth/tokens/${token.id}`, cookie: admin })).statusCode).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', token: secret })).statusCode).toBe(401);
  });

  it('lists and revokes my sessions', async () => {
    const other = await t.login('admin', 'correct horse battery');
    const list = (await t.call({ method: 'GET', url: '/api/auth/sessions', cookie: admin })).json() as { id: string; current: boolean }[];
    expect(list.filter((s) => s.current)).toHaveLength(1);
    const otherId = (await t.call({ method: 'GET', url: '/api/auth/sessions', cookie: other }))
      .json()
      .find((s: { current: boolean }) => s.current).id;
    expect((await t.call({ method: 'DELETE', url: `/api/auth/sessions/${otherId}`, cookie: admin })).statusCode).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie: other })).statusCode).toBe(401);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie: admin })).statusCode).toBe(200);
  });

  it("revokes a user's API tokens and sessions when an admin resets the password or disables the account", async () => {
    await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      payload: { username: 'tess', password: 'tess-pass-1', role: 'operator' },
    });
    const users = (await t.call({ method: 'GET', url: '/api/users', cookie: admin })).json() as { id: string; username: string }[];
    const tess = users.find((u) => u.username === 'tess')!;
    const mint = async (cookie: string, name: string) =>
      (await t.call({ method: 'POST', url: '/api/auth/tokens', cookie, payload: { name } })).json() as {
        token: { id: string };
        secret: string;
      };

    // Admins see a user's tokens (never their secrets) and can revoke one.
    let session = await t.login('tess', 'tess-pass-1');
    const a = await mint(session, 'a');
    const b = await mint(session, 'b');
    const listed = await t.call({ method: 'GET', url: `/api/users/${tess.id}/tokens`, cookie: admin });
    expect(listed.statusCode).toBe(200);
    expect(
      listed
        .json()
        .map((x: { id: string }) => x.id)
        .sort(),
    ).toEqual([a.token.id, b.token.id].sort());
    expect(listed.body).not.toContain(a.secret);
    expect((await t.call({ method: 'GET', url: `/api/users/${tess.id}/tokens`, cookie: session })).statusCode).toBe(403);
    expect((await t.call({ method: 'DELETE', url: `/api/users/${tess.id}/tokens/${a.token.id}`, cookie: admin })).statusCode).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', token: a.secret })).statusCode).toBe(401);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', token: b.secret })).statusCode).toBe(200);
    expect((await t.call({ method: 'DELETE', url: `/api/users/${tess.id}/tokens/nope`, cookie: admin })).statusCode).toBe(404);

    // An admin reset ends sessions and tokens.
    expect(
      (await t.call({ method: 'POST', url: `/api/users/${tess.id}/password`, cookie: admin, payload: { password: 'tess-pass-2' } }))
        .statusCode,
    ).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', token: b.secret })).statusCode).toBe(401);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie: session })).statusCode).toBe(401);
    expect(
      (await t.call({ method: 'GET', url: `/api/users/${tess.id}/tokens`, cookie: admin }))
        .json()
        .every((x: { revoked: boolean }) => x.revoked),
    ).toBe(true);

    // Disabling revokes tokens for good: enabling the account again does not bring them back.
    session = await t.login('tess', 'tess-pass-2');
    const c = await mint(session, 'c');
    expect((await t.call({ method: 'PATCH', url: `/api/users/${tess.id}`, cookie: admin, payload: { disabled: true } })).statusCode).toBe(
      200,
    );
    expect((await t.call({ method: 'PATCH', url: `/api/users/${tess.id}`, cookie: admin, payload: { disabled: false } })).statusCode).toBe(
      200,
    );
    expect((await t.call({ method: 'GET', url: '/api/auth/me', token: c.secret })).statusCode).toBe(401);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie: session })).statusCode).toBe(401);

    // Changing my own password keeps this session and ends my others.
    const mine = await t.login('tess', 'tess-pass-2');
    const other = await t.login('tess', 'tess-pass-2');
    expect(
      (
        await t.call({
          method: 'POST',
          url: '/api/auth/password',
          cookie: mine,
          payload: { currentPassword: 'tess-pass-2', newPassword: 'tess-pass-3' },
        })
      ).statusCode,
    ).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie: mine })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: '/api/auth/me', cookie: other })).statusCode).toBe(401);
  });

  it('creates the first admin unattended from MIRADOR_ADMIN_USER/PASSWORD', async () => {
    const t2 = await startTestApp({ bootstrapAdmin: { username: 'root-admin', password: 'from-the-env-1' } });
    try {
      expect((await t2.call({ method: 'GET', url: '/api/setup' })).json().needsSetup).toBe(false);
      await t2.login('root-admin', 'from-the-env-1');
    } finally {
      await t2.close();
    }
  });
});

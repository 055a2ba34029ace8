import { createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, type SecurityLab } from './fixtures.js';
import { startLiveServer, type LiveServer } from './live.js';
import { tally } from './tally.js';

/**
 * Request-level rules: JSON bodies keep their types (no coercion), prototype poisoning is refused,
 * login throttling cannot lock the admin out from every address and cannot be dodged by forging
 * X-Forwarded-For when no proxy is trusted, and the local endpoint's socket is the server's own.
 */
const AREA = 'input';
let s: SecurityLab;
let before: Record<string, unknown>;

beforeAll(async () => {
  s = await startSecurityLab(AREA);
  before = await s.snapshot();
}, 180_000);
afterAll(async () => {
  await s?.close();
});

describe('JSON bodies are not coerced', () => {
  const cases: Array<[string, string, string, () => unknown, string]> = [
    ['port as a string', 'PATCH', 'hosts', () => ({ port: '22' }), 'port'],
    ['disabled as a string', 'PATCH', 'users', () => ({ disabled: 'false' }), 'disabled'],
    ['role as a number', 'PATCH', 'users', () => ({ role: 3 }), 'role'],
    [
      'privileged as a string',
      'POST',
      'containers',
      () => ({ image: s.lab.dockerImage, name: 'sec-input-coerced', privileged: 'false' }),
      'privileged',
    ],
    ['tags as a string instead of an array', 'PATCH', 'hosts', () => ({ tags: 'a' }), 'tags'],
    ['name as a number', 'PATCH', 'hosts', () => ({ name: 12345 }), 'name'],
  ];
  it.each(cases)('refuses %s with a 400 naming the field', async (what, method, kind, body, field) => {
    const path =
      kind === 'hosts'
        ? `/api/hosts/${s.sshHostId}`
        : kind === 'users'
          ? `/api/users/${s.users.viewer.id}`
          : `/api/hosts/${s.localHostId}/containers`;
    const res = await s.live.request(method, path, { cookie: s.cookies.admin, body: body() });
    expect(tally(AREA, `type coercion: ${what}`, res.status === 400), res.body).toBe(true);
    expect(res.json().field).toBe(field);
  });

  it('refuses prototype poisoning in a body', async () => {
    const raw = `{"username":"sec-proto","password":"password123","role":"viewer","__proto__":{"role":"admin"}}`;
    const res = await s.live.request('POST', '/api/users', { cookie: s.cookies.admin, body: raw });
    expect(tally(AREA, 'JSON body with __proto__', res.status === 400), res.body).toBe(true);
    expect(await s.live.test.app.db.user.count({ where: { username: 'sec-proto' } })).toBe(0);
  });

  it('changed nothing', async () => {
    expect(await s.snapshot()).toEqual(before);
  });
});

describe("the local endpoint uses the server's own socket", () => {
  let evil: Server;
  const evilPath = `/tmp/sec-${AREA}-${process.pid}.sock`;
  let connections = 0;
  beforeAll(async () => {
    rmSync(evilPath, { force: true });
    evil = createServer((c) => {
      connections++;
      c.destroy();
    });
    await new Promise<void>((r) => evil.listen(evilPath, r));
  });
  afterAll(async () => {
    await new Promise((r) => evil.close(r));
    rmSync(evilPath, { force: true });
  });

  it("ignores a socket path written into the database behind the API's back", async () => {
    await s.live.test.app.db.host.update({ where: { id: s.localHostId }, data: { dockerSocket: evilPath } });
    try {
      const info = await s.live.request('GET', `/api/hosts/${s.localHostId}/docker/info`, { cookie: s.cookies.viewer });
      const tested = await s.live.request('POST', `/api/hosts/${s.localHostId}/test`, { cookie: s.cookies.admin });
      expect(tally(AREA, 'local endpoint pointed at another socket in the database', connections === 0)).toBe(true);
      expect(info.status, info.body).toBe(200);
      expect(tested.json().ok).toBe(true);
    } finally {
      await s.live.test.app.db.host.update({ where: { id: s.localHostId }, data: { dockerSocket: s.lab.dockerSocket } });
    }
  });
});

describe('refusals without a session cannot flood the audit log', () => {
  it('writes a budget of records per address, then one record with the count', async () => {
    const l = await startLiveServer({ auditAnonymousRefusalsPerMinute: 5 }, { keepDataDir: true });
    const dataDir = l.test.dataDir;
    try {
      for (let i = 0; i < 20; i++) {
        const res = await l.request('POST', `/%61pi/users?pad=${'x'.repeat(4000)}`, { body: { filler: 'y'.repeat(4000) } });
        expect(res.status).toBe(400);
      }
      const refused = await l.test.app.db.auditLog.findMany({ where: { action: { startsWith: 'request.refused' } } });
      expect(tally(AREA, '20 anonymous refusals written one by one', refused.length === 5)).toBe(true);
      // What is stored of an anonymous refusal is small: no query string, no body.
      expect(Math.max(...refused.map((r) => (r.params ?? '').length + r.action.length))).toBeLessThan(400);
    } finally {
      await l.close();
    }
    // The count is written when the window ends or the server stops: reopen the same database.
    const again = await startLiveServer({}, { dataDir, keepDataDir: false });
    try {
      const folded = await again.test.app.db.auditLog.findFirst({ where: { action: 'audit.suppressed' } });
      expect(folded?.params).toContain('"count":15');
      const verify = await again.request('GET', '/api/audit/verify', { cookie: await again.test.setupAdmin() });
      expect(verify.json().intact).toBe(true);
    } finally {
      await again.close();
    }
  });
});

describe('login throttling', () => {
  let live: LiveServer;
  let proxied: LiveServer;
  const password = 'correct horse battery';
  beforeAll(async () => {
    live = await startLiveServer();
    await live.test.setupAdmin('admin', password);
    proxied = await startLiveServer({ trustProxy: true });
    await proxied.test.setupAdmin('admin', password);
  });
  afterAll(async () => {
    await live?.close();
    await proxied?.close();
  });
  const login = (l: LiveServer, pw: string, headers: Record<string, string> = {}) =>
    l.request('POST', '/api/auth/login', { body: { username: 'admin', password: pw }, headers });

  it("locks the attacker's address, not the admin everywhere (behind a trusted proxy)", async () => {
    const attacker = { 'x-forwarded-for': '203.0.113.66' };
    for (let i = 0; i < 5; i++) expect((await login(proxied, 'wrong-guess', attacker)).status).toBe(401);
    const locked = await login(proxied, password, attacker);
    expect(tally(AREA, "sixth guess from the attacker's address", locked.status === 429)).toBe(true);
    const admin = await login(proxied, password, { 'x-forwarded-for': '198.51.100.7' });
    expect(admin.status, 'the real admin, from elsewhere, still logs in').toBe(200);
  });

  it('does not let a forged X-Forwarded-For dodge the lock when no proxy is trusted', async () => {
    for (let i = 0; i < 5; i++) await login(live, 'wrong-guess', { 'x-forwarded-for': `192.0.2.${i + 1}` });
    const res = await login(live, 'wrong-guess', { 'x-forwarded-for': '192.0.2.99' });
    expect(tally(AREA, 'forged X-Forwarded-For after five failures', res.status === 429), res.body).toBe(true);
  });

  it('slows an address spraying many accounts, briefly', async () => {
    const spray = { 'x-forwarded-for': '203.0.113.99' };
    for (let i = 0; i < 20; i++)
      await proxied.request('POST', '/api/auth/login', { body: { username: `user${i}`, password: 'wrong-guess' }, headers: spray });
    const res = await proxied.request('POST', '/api/auth/login', {
      body: { username: 'someone', password: 'wrong-guess' },
      headers: spray,
    });
    expect(tally(AREA, 'twenty-first failure from one address on many accounts', res.status === 429)).toBe(true);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});
